"""The checks every complete list goes through, each a named rule whose code appears in
the receipt's returnInfo. Pure: the caller gathers the facts (catalogue in force on the
declaration date, filing statuses, quota used, other lists of the same order).

===========  ==================================================================
code         rule
===========  ==================================================================
C01.missing  the order, payment or waybill has not arrived (list waits, then is rejected)
C02.*        the three documents disagree with the list (see :mod:`compare`)
C03.positive every line's 8-digit tariff line is on the positive list in force
C03.mode     a line the positive list allows only in another trade mode
C04.limit    per-order limit (5,000 CNY); a single item above it clears at full rates
C05.quota    the buyer's annual quota (26,000 CNY) for the calendar year
C06.buyer    buyer ID valid (GB 11643 check digit, python-stdnum) and name present
C07.filing   every enterprise named is filed and active
C08.duplicate another live list for the same order
C09.weight   weights and units plausible (net <= gross; waybill vs list; kg lines vs net)
C10.tax      the declared tax agrees with the computed tax within the tolerance
C11.account  a bonded list (1210/1239) names a bonded account (emsNo) of its own
             e-commerce enterprise (review: the warehouse does not move another's stock)
===========  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from cbec.clearance.findings import Finding, Severity
from cbec.messages.models import Inventory, Logistics, Order, Payment

HEAD = "Inventory/InventoryHead"
KG = "035"
#: trade modes whose goods leave a bonded account (emsNo)
BONDED_MODES = frozenset({"1210", "1239"})


class PositiveLine(Protocol):
    @property
    def bonded_only(self) -> bool: ...

    def allows_trade_mode(self, trade_mode: str) -> bool: ...


class CatalogView(Protocol):
    """What the checks need of the catalogue in force on the declaration date."""

    def positive_line(self, code10: str) -> PositiveLine | None: ...


@dataclass(frozen=True, slots=True)
class Limits:
    per_order: Decimal
    annual: Decimal
    #: whether one indivisible item above the per-order limit may clear at full rates
    single_item_exception: bool = True


@dataclass(frozen=True, slots=True)
class LimitResult:
    findings: list[Finding]
    #: the single-item exception applies: taxed at full general-trade rates
    full_rates: bool


def taxable_value(inventory: Inventory) -> Decimal:
    """Goods + freight + insurance: the price the limits and the tax apply to."""
    head = inventory.inventoryHead
    goods = sum((line.totalPrice for line in inventory.inventoryList), Decimal(0))
    return goods + head.freight + head.insuredFee


def check_positive_list(inventory: Inventory, catalog: CatalogView) -> list[Finding]:
    found: list[Finding] = []
    trade_mode = inventory.inventoryHead.tradeMode
    for index, line in enumerate(inventory.inventoryList, start=1):
        entry = catalog.positive_line(line.gcode)
        path = f"Inventory/InventoryList[{index}]/gcode"
        if entry is None:
            found.append(
                Finding(
                    "C03.positive",
                    path,
                    f"{line.gcode} ({line.gname}): tariff line {line.gcode[:8]} is not on the "
                    "positive list in force on the declaration date",
                )
            )
        elif not entry.allows_trade_mode(trade_mode):
            allowed = "bonded import (1210/1239)" if entry.bonded_only else "direct purchase (9610)"
            found.append(
                Finding(
                    "C03.mode",
                    path,
                    f"{line.gcode}: the positive list allows this line only in {allowed}, "
                    f"not {trade_mode}",
                )
            )
    return found


def check_limits(inventory: Inventory, limits: Limits, quota_used: Decimal) -> LimitResult:
    """Per-order limit with the single-item exception, and the annual quota."""
    value = taxable_value(inventory)
    lines = inventory.inventoryList
    single_item = len(lines) == 1 and lines[0].qty == 1
    found: list[Finding] = []
    full_rates = False
    if value > limits.per_order:
        if single_item and limits.single_item_exception and value <= limits.annual:
            full_rates = True
        else:
            found.append(
                Finding(
                    "C04.limit",
                    f"{HEAD}",
                    f"taxable value {value} is above the per-order limit {limits.per_order}",
                )
            )
    if quota_used + value > limits.annual:
        remaining = max(limits.annual - quota_used, Decimal(0))
        found.append(
            Finding(
                "C05.quota",
                f"{HEAD}/buyerIdNumber",
                f"this list ({value}) exceeds the buyer's remaining annual quota "
                f"({remaining} of {limits.annual}); it must go to general trade",
            )
        )
    return LimitResult(found, full_rates)


@lru_cache(maxsize=8192)
def _county_spans(prefix: str) -> tuple[tuple[int, int], ...]:
    # The place lookup is the slow part of ric.validate (a search of stdnum's database,
    # ~0.1 ms); it depends only on the 6-digit area code, so its answer is cached as the
    # (first, last) years in which a county held that code. Same rule as
    # ric.get_birth_place: an entry without "[start-end]" is valid in any year.
    try:
        results = numdb.get("cn/loc").info(prefix)
    except ValidationError:  # pragma: no cover - numdb does not raise for unknown codes
        return ()
    info = {k: v for _part, props in results for k, v in props.items()}
    if "county" not in info:
        return ()
    spans = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            return ((0, 9999),)
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(spans)


def _birth_place_known(prefix: str, year: int) -> bool:
    return any(first <= year <= last for first, last in _county_spans(prefix))


def resident_id_problem(number: str) -> str | None:
    """Why ``number`` is not a valid resident ID (GB 11643), or None: the same checks as
    ``stdnum.cn.ric.validate`` (length, digits, birth date, check digit, place of birth),
    with the place lookup cached."""
    try:
        number = ric.compact(number)
        if len(number) != 18:
            raise InvalidLength()
        if not number[:17].isdigit():
            raise InvalidFormat()
        birth = ric.get_birth_date(number)
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
    except ValidationError as exc:
        return str(exc)
    if not _birth_place_known(number[:6], birth.year):
        return str(InvalidComponent())
    return None


def check_buyer(inventory: Inventory) -> list[Finding]:
    head = inventory.inventoryHead
    found: list[Finding] = []
    if not head.buyerName.strip():
        found.append(Finding("C06.buyer", f"{HEAD}/buyerName", "the buyer's name is missing"))
    if head.buyerIdType == "1":
        problem = resident_id_problem(head.buyerIdNumber)
        if problem is not None:
            found.append(
                Finding(
                    "C06.buyer",
                    f"{HEAD}/buyerIdNumber",
                    f"not a valid resident ID number: {problem}",
                )
            )
    return found


def check_filing(codes: Mapping[str, str], statuses: Mapping[str, str | None]) -> list[Finding]:
    """``codes``: path -> enterprise code; ``statuses``: code -> status (None: not filed)."""
    found: list[Finding] = []
    for path, code in codes.items():
        status = statuses.get(code)
        if status is None:
            found.append(Finding("C07.filing", path, f"{code} is not a filed enterprise"))
        elif status != "active":
            found.append(Finding("C07.filing", path, f"{code} is {status}"))
    return found


def check_duplicate(other_list: str | None) -> list[Finding]:
    if other_list is None:
        return []
    return [
        Finding(
            "C08.duplicate",
            f"{HEAD}/orderNo",
            f"the order already has a live list ({other_list})",
        )
    ]


def check_weights(
    inventory: Inventory, waybill: Logistics, *, tolerance: Decimal = Decimal("0.2")
) -> list[Finding]:
    """Weights plausible: net <= gross (reject); the waybill's weight within ``tolerance``
    (a share) of the gross weight, and kg legal quantities summing to the net weight
    (both for review)."""
    head = inventory.inventoryHead
    found: list[Finding] = []
    if head.netWeight > head.grossWeight:
        found.append(
            Finding(
                "C09.weight",
                f"{HEAD}/netWeight",
                f"net weight {head.netWeight} is above the gross weight {head.grossWeight}",
            )
        )
    carried = waybill.logisticsHead.weight
    if abs(carried - head.grossWeight) > max(head.grossWeight * tolerance, Decimal("0.5")):
        found.append(
            Finding(
                "C09.weight",
                "Logistics/LogisticsHead/weight",
                f"the waybill carries {carried} kg, the list declares {head.grossWeight} kg gross",
                Severity.REVIEW,
            )
        )
    kilos = [line.qty1 for line in inventory.inventoryList if line.unit1 == KG]
    if len(kilos) == len(inventory.inventoryList) and kilos:
        total = sum(kilos, Decimal(0))
        if abs(total - head.netWeight) > max(head.netWeight * tolerance, Decimal("0.1")):
            found.append(
                Finding(
                    "C09.weight",
                    f"{HEAD}/netWeight",
                    f"the lines' legal quantities add up to {total} kg, the net weight is "
                    f"{head.netWeight} kg",
                    Severity.REVIEW,
                )
            )
    return found


def check_tax(declared: Decimal, computed: Decimal, tolerance: Decimal) -> list[Finding]:
    if abs(declared - computed) <= tolerance:
        return []
    return [
        Finding(
            "C10.tax",
            "Order/OrderHead/taxTotal",
            f"declared tax {declared} differs from the computed {computed} (tolerance {tolerance})",
        )
    ]


def bonded_account(inventory: Inventory) -> str | None:
    """The bonded account (emsNo) a bonded list takes its goods from (None: not bonded, or
    no account named)."""
    head = inventory.inventoryHead
    if head.tradeMode not in BONDED_MODES or not head.emsNo:
        return None
    return head.emsNo


def check_bonded_account(inventory: Inventory, owners: Mapping[str, str]) -> list[Finding]:
    """A bonded list takes its goods from its e-commerce enterprise's own bonded account:
    ``owners`` maps the accounts known (emsNo) to the enterprise they are kept for. A list
    naming another's account goes to an officer (review): the warehouse does not move that
    stock for it, and its own goods are not on that book. An account nobody keeps here (a
    book cbec does not hold) is not judged."""
    ems_no = bonded_account(inventory)
    owner = owners.get(ems_no) if ems_no is not None else None
    ebc = inventory.inventoryHead.ebcCode
    if owner is None or owner == ebc:
        return []
    return [
        Finding(
            "C11.account",
            f"{HEAD}/emsNo",
            f"bonded account {ems_no} is kept for another e-commerce enterprise, not {ebc}",
            Severity.REVIEW,
        )
    ]


def enterprise_codes(
    inventory: Inventory, order: Order, payment: Payment, waybill: Logistics
) -> dict[str, str]:
    """Every enterprise named, by the path that names it."""
    head = inventory.inventoryHead
    codes = {
        f"{HEAD}/ebpCode": head.ebpCode,
        f"{HEAD}/ebcCode": head.ebcCode,
        f"{HEAD}/agentCode": head.agentCode,
        f"{HEAD}/logisticsCode": head.logisticsCode,
        "Payment/PaymentHead/payCode": payment.paymentHead.payCode,
    }
    if head.areaCode:
        codes[f"{HEAD}/areaCode"] = head.areaCode
    if head.assureCode:
        codes[f"{HEAD}/assureCode"] = head.assureCode
    return codes


def kilos_by_line(inventory: Inventory) -> dict[str, Decimal]:
    """Net kg per 8-digit tariff line of a list (lines whose legal unit is kg)."""
    kilos: dict[str, Decimal] = {}
    for line in inventory.inventoryList:
        if line.unit1 == KG:
            kilos[line.gcode[:8]] = kilos.get(line.gcode[:8], Decimal(0)) + line.qty1
    return kilos


def capped_lines(inventory: Inventory, catalog: CatalogView) -> dict[str, Decimal]:
    """8-digit lines of this list that the positive list caps per person and year, with
    the cap in kg."""
    caps: dict[str, Decimal] = {}
    for line in inventory.inventoryList:
        entry = catalog.positive_line(line.gcode)
        cap = getattr(entry, "annual_weight_cap_kg", None) if entry is not None else None
        if cap is not None:
            caps[line.gcode[:8]] = cap
    return caps


def check_weight_caps(
    inventory: Inventory, caps: Mapping[str, Decimal], used: Mapping[str, Decimal]
) -> list[Finding]:
    """The positive list's per-person annual weight caps (e.g. 2 kg of sugar): ``used`` is
    what the buyer's approved lists of the year already carry, by 8-digit line."""
    found: list[Finding] = []
    for code8, kilos in kilos_by_line(inventory).items():
        cap = caps.get(code8)
        if cap is None:
            continue
        already = used.get(code8, Decimal(0))
        if already + kilos > cap:
            found.append(
                Finding(
                    "C03.cap",
                    f"{HEAD}/buyerIdNumber",
                    f"tariff line {code8} is capped at {cap} kg a year per person: "
                    f"{already} kg already cleared, {kilos} kg on this list",
                )
            )
    return found
