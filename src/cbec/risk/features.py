"""Features of a declaration, computed by one set of pure functions in real time and in batch.

A list and its three documents become :class:`Facts` (:func:`facts_of`). What history says
about them is read from small aggregates: counters per (kind, key, bucket) and links
(pairs seen together). :func:`needs` names the aggregate rows a list's features read,
:func:`compute` turns the facts, those rows (:class:`Snapshot`) and the external results
(:class:`Externals`: flags, enterprise classes, filing dates) into feature values, and
:func:`observation` is what the list adds to the aggregates afterwards. Real time keeps
the aggregates in the store, updated in the decision's transaction
(:mod:`cbec.risk.realtime`); batch keeps them in memory (:mod:`cbec.risk.aggregates`)
and replays history in decision order. Same functions, same rows, same values.

Identities (buyer, payer, consignee address and phone) enter the aggregates only as
pseudonyms (:func:`pseudonym`), never as the personal data itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cbec.clearance.checks import taxable_value
from cbec.messages.fields import CST, parse_app_time
from cbec.network.address import key_of
from cbec.privacy import blind_id
from cbec.privacy import on_pseudonym_key_change as on_pseudonym_key_change
from cbec.privacy import pseudonym as pseudonym
from cbec.privacy import use_pseudonym_key as use_pseudonym_key
from cbec.risk.expressions import Kind, Value

#: A feature value: numbers are floats (JSON-friendly), None when history cannot say.
FeatureValue = float | str | bool | None

#: Bins of the unit-price histograms: 16 per doubling of the price (about 4.4% wide).
PRICE_BINS_PER_OCTAVE = 16
#: Observations of an HS code (and unit) before its reference price is trusted.
MIN_REFERENCE = 10
#: Days of a buyer's history read for the windows (1, 30, 365 days).
WINDOWS = (1, 30, 365)
_EPOCH = date(1970, 1, 1)

# Kinds of counters and links (short: they are part of every key).
BUYER_LISTS = "bl"  # (buyer, day) -> lists, cents
BUYER_PAID_BY_OTHER = "bpd"  # (buyer, 0) -> lists paid by someone else
HS_PRICE = "hp"  # (hs code|unit, price bin) -> lines
BUYER_ADDRESS = "ba"
BUYER_PHONE = "bp"
ADDRESS_BUYER = "ab"
PHONE_BUYER = "pb"
PAYER_BUYER = "yb"
PAY_PLATFORM = "pe"
PLATFORM_PAY = "ep"


@dataclass(frozen=True, slots=True)
class Spec:
    """A feature or field: its type and what it means."""

    kind: Kind
    description: str


#: Every feature, by name (``{"feature": name}`` in a rule).
FEATURES: dict[str, Spec] = {
    "unit_price_ratio": Spec(
        Kind.NUMBER,
        "lowest ratio, over the lines, of the unit price to the median unit price of the same "
        "HS code and unit in history (missing below 10 observations)",
    ),
    "unit_price_z": Spec(
        Kind.NUMBER,
        "lowest, over the lines, of (log price - log median) / spread of the same HS code and "
        "unit (robust z-score; negative: cheaper than usual)",
    ),
    "price_reference_n": Spec(Kind.NUMBER, "fewest observations behind a line's reference"),
    "buyer_lists_1d": Spec(Kind.NUMBER, "the buyer's lists declared that day, this one included"),
    "buyer_lists_30d": Spec(Kind.NUMBER, "the buyer's lists in the last 30 days, this one incl."),
    "buyer_lists_365d": Spec(Kind.NUMBER, "the buyer's lists in the last 365 days, this one incl."),
    "buyer_value_1d": Spec(Kind.NUMBER, "CNY of the buyer's lists that day, this one included"),
    "quota_used": Spec(
        Kind.NUMBER,
        "share of the annual limit taken by the buyer's lists of the calendar year, this one "
        "included (declared, whatever their outcome)",
    ),
    "buyer_addresses": Spec(Kind.NUMBER, "distinct consignee addresses the buyer has used"),
    "buyer_phones": Spec(Kind.NUMBER, "distinct consignee phones the buyer has used"),
    "address_buyers": Spec(Kind.NUMBER, "distinct buyers shipping to this consignee address"),
    "phone_buyers": Spec(Kind.NUMBER, "distinct buyers using this consignee phone"),
    "first_seen_consignee": Spec(Kind.BOOL, "the buyer never shipped to this address before"),
    "payer_not_buyer": Spec(Kind.BOOL, "the payment's payer is not the buyer"),
    "buyer_paid_by_other_before": Spec(
        Kind.NUMBER, "the buyer's earlier lists paid by someone else"
    ),
    "payer_buyers": Spec(Kind.NUMBER, "distinct buyers this payer has paid for"),
    "pay_platforms": Spec(Kind.NUMBER, "distinct platforms the payment company has served"),
    "platform_pay_companies": Spec(
        Kind.NUMBER, "distinct payment companies the platform's orders were paid through"
    ),
    "ebc_class": Spec(Kind.STRING, "class of the e-commerce enterprise (missing: none)"),
    "ebp_class": Spec(Kind.STRING, "class of the platform (missing: none)"),
    "platform_flags": Spec(Kind.NUMBER, "valid platform-verification flags on the buyer"),
    "payment_flags": Spec(
        Kind.NUMBER, "valid payment-company flags on the buyer, the payer or the payment company"
    ),
    "consumer_flags": Spec(Kind.NUMBER, "valid consumer-monitoring flags on the buyer"),
    "network_flags": Spec(
        Kind.NUMBER, "valid flags of consumer-end monitoring (cbec network) on the buyer or payer"
    ),
    "flag_score": Spec(Kind.NUMBER, "highest score of any valid flag on the list's parties"),
    "weight_per_value": Spec(Kind.NUMBER, "waybill weight in kg per 1,000 CNY of taxable value"),
    "net_to_gross": Spec(Kind.NUMBER, "net weight / gross weight of the list"),
    "order_to_payment_min": Spec(Kind.NUMBER, "minutes from the order to the payment"),
    "payment_to_waybill_min": Spec(Kind.NUMBER, "minutes from the payment to the waybill"),
    "order_to_list_min": Spec(Kind.NUMBER, "minutes from the order to the list"),
    "order_hour": Spec(Kind.NUMBER, "hour of the order, Beijing time (0-23)"),
    "ebp_age_days": Spec(Kind.NUMBER, "days since the platform was filed"),
    "ebc_age_days": Spec(Kind.NUMBER, "days since the e-commerce enterprise was filed"),
    "pay_age_days": Spec(Kind.NUMBER, "days since the payment company was filed"),
}

#: Every declaration field, by name (``{"field": name}`` in a rule).
FIELDS: dict[str, Spec] = {
    "ebp_code": Spec(Kind.STRING, "platform"),
    "ebc_code": Spec(Kind.STRING, "e-commerce enterprise"),
    "agent_code": Spec(Kind.STRING, "declaration agent"),
    "logistics_code": Spec(Kind.STRING, "logistics enterprise"),
    "pay_code": Spec(Kind.STRING, "payment enterprise"),
    "logistics_no": Spec(Kind.STRING, "waybill number"),
    "trade_mode": Spec(Kind.STRING, "9610, 1210 or 1239"),
    "customs_code": Spec(Kind.STRING, "customs house"),
    "port_code": Spec(Kind.STRING, "port of entry"),
    "country": Spec(Kind.STRING, "country of shipment"),
    "hs_codes": Spec(Kind.STRINGS, "10-digit HS codes of the lines"),
    "hs_chapters": Spec(Kind.STRINGS, "2-digit HS chapters of the lines"),
    "origin_countries": Spec(Kind.STRINGS, "countries of origin of the lines"),
    "taxable_value": Spec(Kind.NUMBER, "goods + freight + insurance, CNY"),
    "tax_total": Spec(Kind.NUMBER, "tax computed by clearance, CNY"),
    "gross_weight": Spec(Kind.NUMBER, "gross weight of the list, kg"),
    "net_weight": Spec(Kind.NUMBER, "net weight of the list, kg"),
    "waybill_weight": Spec(Kind.NUMBER, "weight on the waybill, kg"),
    "line_count": Spec(Kind.NUMBER, "lines of the list"),
}

#: What rules may read: ``feature.<name>`` and ``field.<name>`` with their types.
CATALOGUE: dict[str, Kind] = {
    **{f"feature.{name}": spec.kind for name, spec in FEATURES.items()},
    **{f"field.{name}": spec.kind for name, spec in FIELDS.items()},
}


#: The pseudonym kind of a normalised address: the graph's address nodes are keyed by the
#: same pseudonym (:func:`cbec.network.graph.address_key`).
ADDRESS_KIND = "naddress"


def address_pseudonym(address: str, district: str | None = None) -> str:
    """The pseudonym of an address in its normal form (:mod:`cbec.network.address`:
    full-width digits, spacing, punctuation and how much of province and city is written
    do not make a new address), so that the features count one place once.

    >>> a = address_pseudonym("广东省广州市天河区体育西路88号", "440106")
    >>> a == address_pseudonym("广东广州天河区体育西路８８号", "440106")
    True
    >>> a == address_pseudonym("广州市天河区体育西路89号", "440106")
    False
    """
    return pseudonym(ADDRESS_KIND, key_of(address, district or None))


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_bin(price: float) -> int:
    """The histogram bin of a unit price (> 0)."""
    return math.floor(math.log2(price) * PRICE_BINS_PER_OCTAVE)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a list as the features see it."""

    reference: str  # "<hs code>|<unit>"
    hs_code: str
    country: str
    price: float
    qty: float = 1.0


@dataclass(frozen=True, slots=True)
class Facts:
    """What risk control takes from a list and its order, payment and waybill."""

    declaration_id: int
    #: the list's appTime, Beijing time: every window and validity is judged at it
    at: datetime
    #: the personal data itself: kept in memory for the identity graph and case evidence,
    #: never written (flags and instructions name identities by :meth:`blind_ids`)
    buyer_id: str
    payer_id: str
    consignee_phone: str
    consignee_address: str
    buyer: str  # pseudonyms
    payer: str
    address: str
    phone: str
    ebp_code: str
    ebc_code: str
    agent_code: str
    logistics_code: str
    logistics_no: str
    pay_code: str
    trade_mode: str
    customs_code: str
    port_code: str
    country: str
    lines: tuple[Line, ...]
    taxable_value: Decimal
    gross_weight: Decimal
    net_weight: Decimal
    waybill_weight: Decimal
    order_time: datetime | None
    pay_time: datetime | None
    waybill_time: datetime | None
    #: set by clearance before the risk verdict is asked for (None in some batch rows)
    tax_total: Decimal | None = None
    #: the order's buyer phone and consignee district code (for the identity graph)
    buyer_phone: str = ""
    district: str = ""

    @property
    def day(self) -> int:
        return day_number(self.at.astimezone(CST).date())

    def blind_ids(self) -> tuple[str, str]:
        """The blind indexes of the buyer's and the payer's ID numbers: what identity
        flags and control instructions name them by (:func:`cbec.privacy.blind_id`)."""
        return blind_id(self.buyer_id), blind_id(self.payer_id)

    @property
    def enterprises(self) -> tuple[str, ...]:
        codes = (self.ebp_code, self.ebc_code, self.agent_code, self.logistics_code)
        return tuple(dict.fromkeys((*codes, self.pay_code)))


def _time(value: str | None) -> datetime | None:
    """``yyyyMMddHHmmss`` in Beijing time (sliced by hand: strptime is slow on the hot path)."""
    if not value or len(value) != 14 or not value.isdigit():
        return None
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=CST,
        )
    except ValueError:
        return None


def facts_of(
    declaration_id: int,
    inventory: Any,
    order: Any,
    payment: Any,
    waybill: Any,
    *,
    tax_total: Decimal | None = None,
) -> Facts:
    """The facts of a list from its four messages (CEB621, 311, 411, 511 models)."""
    inv = inventory.inventory
    head = inv.inventoryHead
    order_head = order.order.orderHead
    pay_head = payment.payment.paymentHead
    way_head = waybill.logistics.logisticsHead
    at = _time(head.appTime) or _time(f"{head.declTime}000000") or parse_app_time(head.appTime)
    lines = tuple(
        Line(
            reference=f"{line.gcode}|{line.unit}",
            hs_code=line.gcode,
            country=line.country,
            price=float(line.price),
            qty=float(line.qty),
        )
        for line in inv.inventoryList
    )
    return Facts(
        declaration_id=declaration_id,
        at=at,
        buyer_id=head.buyerIdNumber,
        payer_id=pay_head.payerIdNumber,
        consignee_phone=way_head.consigneeTelephone,
        consignee_address=way_head.consigneeAddress,
        buyer=pseudonym("identity", head.buyerIdNumber),
        payer=pseudonym("identity", pay_head.payerIdNumber),
        address=address_pseudonym(way_head.consigneeAddress, order_head.consigneeDistrict),
        phone=pseudonym("phone", way_head.consigneeTelephone),
        ebp_code=head.ebpCode,
        ebc_code=head.ebcCode,
        agent_code=head.agentCode,
        logistics_code=head.logisticsCode,
        logistics_no=head.logisticsNo,
        pay_code=pay_head.payCode,
        trade_mode=head.tradeMode,
        customs_code=head.customsCode,
        port_code=head.portCode,
        country=head.country,
        lines=lines,
        taxable_value=taxable_value(inv),
        gross_weight=head.grossWeight,
        net_weight=head.netWeight,
        waybill_weight=way_head.weight,
        order_time=_time(order_head.appTime),
        pay_time=_time(pay_head.payTime),
        waybill_time=_time(way_head.appTime),
        tax_total=tax_total,
        buyer_phone=order_head.buyerTelephone,
        district=order_head.consigneeDistrict or "",
    )


# -- what a list reads and adds -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Needs:
    """The aggregate rows a list's features read.

    ``counters``: (kind, key, lowest bucket or None for all buckets); ``links``: (kind, a,
    b): how many b's are linked to a, and whether this b is one of them.
    """

    counters: tuple[tuple[str, str, int | None], ...]
    links: tuple[tuple[str, str, str], ...]


@dataclass(slots=True)
class Snapshot:
    """The aggregate rows named by :class:`Needs`, as they stood before this list."""

    #: (kind, key) -> bucket -> (n, cents)
    counters: dict[tuple[str, str], dict[int, tuple[int, int]]] = field(default_factory=dict)
    #: (kind, a, b) -> (how many b's a has, whether this b is one)
    links: dict[tuple[str, str, str], tuple[int, bool]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Observation:
    """What a list adds to the aggregates: counter increments (kind, key, bucket, n, cents)
    and links (kind, a, b) first seen on ``day``."""

    counters: tuple[tuple[str, str, int, int, int], ...]
    links: tuple[tuple[str, str, str], ...]
    day: date


def _first_of_year(day: int) -> int:
    moment = _EPOCH + timedelta(days=day)
    return day_number(date(moment.year, 1, 1))


def _link_pairs(facts: Facts) -> tuple[tuple[str, str, str], ...]:
    return (
        (BUYER_ADDRESS, facts.buyer, facts.address),
        (BUYER_PHONE, facts.buyer, facts.phone),
        (ADDRESS_BUYER, facts.address, facts.buyer),
        (PHONE_BUYER, facts.phone, facts.buyer),
        (PAYER_BUYER, facts.payer, facts.buyer),
        (PAY_PLATFORM, facts.pay_code, facts.ebp_code),
        (PLATFORM_PAY, facts.ebp_code, facts.pay_code),
    )


def needs(facts: Facts) -> Needs:
    """The counters and links :func:`compute` reads for ``facts``."""
    day = facts.day
    since = min(day - max(WINDOWS) + 1, _first_of_year(day))
    references = sorted({line.reference for line in facts.lines})
    return Needs(
        counters=(
            (BUYER_LISTS, facts.buyer, since),
            (BUYER_PAID_BY_OTHER, facts.buyer, None),
            *((HS_PRICE, ref, None) for ref in references),
        ),
        links=_link_pairs(facts),
    )


def observation(facts: Facts) -> Observation:
    """What ``facts`` add to the aggregates (after their features were computed)."""
    counters: list[tuple[str, str, int, int, int]] = [
        (BUYER_LISTS, facts.buyer, facts.day, 1, cents(facts.taxable_value))
    ]
    if facts.payer != facts.buyer:
        counters.append((BUYER_PAID_BY_OTHER, facts.buyer, 0, 1, 0))
    bins: dict[tuple[str, int], int] = {}
    for line in facts.lines:
        if line.price > 0:
            key = (line.reference, price_bin(line.price))
            bins[key] = bins.get(key, 0) + 1
    counters += [(HS_PRICE, ref, b, n, 0) for (ref, b), n in sorted(bins.items())]
    return Observation(tuple(counters), _link_pairs(facts), facts.at.astimezone(CST).date())


# -- external results -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag from another package (platform, payment company, consumer monitoring)."""

    subject_kind: str  # identity | enterprise
    subject_key: str
    source: str
    kind: str
    score: float
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_to is None or moment < self.valid_to
        )


@dataclass(frozen=True, slots=True)
class ClassRow:
    """An enterprise class with its validity (the latest valid row applies)."""

    enterprise_code: str
    class_code: str
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_to is None or moment < self.valid_to
        )


@dataclass(frozen=True, slots=True)
class Externals:
    """External results touching a list: flags on its parties, class rows (oldest first)
    and filing dates of its enterprises, and the annual limit in force."""

    flags: tuple[Flag, ...] = ()
    classes: tuple[ClassRow, ...] = ()
    filed: Mapping[str, date] = field(default_factory=dict)
    annual_limit: Decimal = Decimal(26000)


def class_of(code: str, rows: Iterable[ClassRow], moment: datetime) -> str | None:
    """The class of enterprise ``code`` valid at ``moment`` (the latest such row)."""
    found = None
    for row in rows:
        if row.enterprise_code == code and row.valid_at(moment):
            found = row.class_code
    return found


# -- the features ---------------------------------------------------------------------------


def _quantile(bins: Sequence[tuple[int, int]], total: int, q: float) -> float:
    """The centre (log2 price) of the bin holding quantile ``q`` of a sorted histogram."""
    wanted = q * total
    running = 0
    for b, n in bins:
        running += n
        if running >= wanted:
            return (b + 0.5) / PRICE_BINS_PER_OCTAVE
    return (bins[-1][0] + 0.5) / PRICE_BINS_PER_OCTAVE


@dataclass(frozen=True, slots=True)
class Reference:
    """The reference unit price of an HS code and unit: median, spread (log2), count."""

    n: int
    median: float  # log2 of the price
    spread: float  # log2, robust standard deviation

    @classmethod
    def of(cls, histogram: Mapping[int, tuple[int, int]]) -> Reference | None:
        bins = sorted((b, n) for b, (n, _c) in histogram.items() if n > 0)
        total = sum(n for _b, n in bins)
        if total == 0:
            return None
        q25, median, q75 = (_quantile(bins, total, q) for q in (0.25, 0.5, 0.75))
        spread = max((q75 - q25) / 1.349, 1 / PRICE_BINS_PER_OCTAVE)
        return cls(total, median, spread)


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 2)


def _distinct(snapshot: Snapshot, link: tuple[str, str, str]) -> tuple[float, bool]:
    """(distinct b's of a, this one included; whether this b was new)."""
    count, present = snapshot.links.get(link, (0, False))
    return float(count + (0 if present else 1)), not present


def compute(facts: Facts, snapshot: Snapshot, externals: Externals) -> dict[str, FeatureValue]:
    """The features of ``facts`` given the aggregates before it and the external results.

    Pure: the same arguments always give the same values (real time = batch).
    """
    day = facts.day
    lists = snapshot.counters.get((BUYER_LISTS, facts.buyer), {})
    own = cents(facts.taxable_value)

    def window(days: int) -> tuple[int, int]:
        rows = [v for b, v in lists.items() if day - days < b <= day]
        return sum(n for n, _ in rows) + 1, sum(c for _, c in rows) + own

    year_cents = sum(c for b, (_n, c) in lists.items() if _first_of_year(day) <= b <= day) + own

    ratios: list[float] = []
    zs: list[float] = []
    reference_n: list[int] = []
    for line in facts.lines:
        reference = Reference.of(snapshot.counters.get((HS_PRICE, line.reference), {}))
        reference_n.append(reference.n if reference is not None else 0)
        if reference is None or reference.n < MIN_REFERENCE or line.price <= 0:
            continue
        ratios.append(line.price / 2**reference.median)
        zs.append((math.log2(line.price) - reference.median) / reference.spread)

    buyer_addresses, new_address = _distinct(snapshot, (BUYER_ADDRESS, facts.buyer, facts.address))
    paid_by_other = snapshot.counters.get((BUYER_PAID_BY_OTHER, facts.buyer), {})
    moment = facts.at
    valid = [f for f in externals.flags if f.valid_at(moment)]
    blind_buyer, blind_payer = facts.blind_ids()
    buyer_flags = [
        f for f in valid if f.subject_kind == "identity" and f.subject_key == blind_buyer
    ]
    payment_flags = [
        f
        for f in valid
        if f.source == "payment"
        and (
            (f.subject_kind == "identity" and f.subject_key in (blind_buyer, blind_payer))
            or (f.subject_kind == "enterprise" and f.subject_key == facts.pay_code)
        )
    ]
    touching = [
        f
        for f in valid
        if (f.subject_kind == "identity" and f.subject_key in (blind_buyer, blind_payer))
        or (f.subject_kind == "enterprise" and f.subject_key in facts.enterprises)
    ]
    local_day = facts.at.astimezone(CST).date()

    def age(code: str) -> float | None:
        filed = externals.filed.get(code)
        return None if filed is None else float((local_day - filed).days)

    value = float(facts.taxable_value)
    lists_1d, cents_1d = window(1)
    order_time = facts.order_time
    return {
        "unit_price_ratio": _round(min(ratios)) if ratios else None,
        "unit_price_z": _round(min(zs)) if zs else None,
        "price_reference_n": float(min(reference_n)) if reference_n else 0.0,
        "buyer_lists_1d": float(lists_1d),
        "buyer_lists_30d": float(window(30)[0]),
        "buyer_lists_365d": float(window(365)[0]),
        "buyer_value_1d": cents_1d / 100,
        "quota_used": _round(year_cents / 100 / float(externals.annual_limit)),
        "buyer_addresses": buyer_addresses,
        "buyer_phones": _distinct(snapshot, (BUYER_PHONE, facts.buyer, facts.phone))[0],
        "address_buyers": _distinct(snapshot, (ADDRESS_BUYER, facts.address, facts.buyer))[0],
        "phone_buyers": _distinct(snapshot, (PHONE_BUYER, facts.phone, facts.buyer))[0],
        "first_seen_consignee": new_address,
        "payer_not_buyer": facts.payer != facts.buyer,
        "buyer_paid_by_other_before": float(sum(n for n, _ in paid_by_other.values())),
        "payer_buyers": _distinct(snapshot, (PAYER_BUYER, facts.payer, facts.buyer))[0],
        "pay_platforms": _distinct(snapshot, (PAY_PLATFORM, facts.pay_code, facts.ebp_code))[0],
        "platform_pay_companies": _distinct(
            snapshot, (PLATFORM_PAY, facts.ebp_code, facts.pay_code)
        )[0],
        "ebc_class": class_of(facts.ebc_code, externals.classes, moment),
        "ebp_class": class_of(facts.ebp_code, externals.classes, moment),
        "platform_flags": float(sum(1 for f in buyer_flags if f.source == "platform")),
        "payment_flags": float(len(payment_flags)),
        "consumer_flags": float(sum(1 for f in buyer_flags if f.source == "consumer")),
        "network_flags": float(
            sum(1 for f in touching if f.subject_kind == "identity" and f.source == "network")
        ),
        "flag_score": max((f.score for f in touching), default=0.0),
        "weight_per_value": _round(float(facts.waybill_weight) / value * 1000) if value else None,
        "net_to_gross": (
            _round(float(facts.net_weight / facts.gross_weight)) if facts.gross_weight else None
        ),
        "order_to_payment_min": _minutes(order_time, facts.pay_time),
        "payment_to_waybill_min": _minutes(facts.pay_time, facts.waybill_time),
        "order_to_list_min": _minutes(order_time, facts.at),
        "order_hour": float(order_time.astimezone(CST).hour) if order_time else None,
        "ebp_age_days": age(facts.ebp_code),
        "ebc_age_days": age(facts.ebc_code),
        "pay_age_days": age(facts.pay_code),
    }


def fields_of(facts: Facts) -> dict[str, Value]:
    """The declaration fields rules may read."""
    hs_codes = tuple(dict.fromkeys(line.hs_code for line in facts.lines))
    return {
        "ebp_code": facts.ebp_code,
        "ebc_code": facts.ebc_code,
        "agent_code": facts.agent_code,
        "logistics_code": facts.logistics_code,
        "pay_code": facts.pay_code,
        "logistics_no": facts.logistics_no,
        "trade_mode": facts.trade_mode,
        "customs_code": facts.customs_code,
        "port_code": facts.port_code,
        "country": facts.country,
        "hs_codes": hs_codes,
        "hs_chapters": tuple(dict.fromkeys(code[:2] for code in hs_codes)),
        "origin_countries": tuple(dict.fromkeys(line.country for line in facts.lines)),
        "taxable_value": float(facts.taxable_value),
        "tax_total": float(facts.tax_total) if facts.tax_total is not None else None,
        "gross_weight": float(facts.gross_weight),
        "net_weight": float(facts.net_weight),
        "waybill_weight": float(facts.waybill_weight),
        "line_count": float(len(facts.lines)),
    }


def context(features: Mapping[str, FeatureValue], fields: Mapping[str, Value]) -> dict[str, Value]:
    """What a rule evaluates against: ``feature.<name>`` and ``field.<name>``."""
    out: dict[str, Value] = {f"feature.{k}": v for k, v in features.items()}
    out.update({f"field.{k}": v for k, v in fields.items()})
    return out


#: Declaration fields a model sees beside the features (the strings as categories).
MODEL_FIELDS = (
    "ebp_code",
    "ebc_code",
    "pay_code",
    "logistics_code",
    "trade_mode",
    "country",
    "taxable_value",
    "tax_total",
    "gross_weight",
    "net_weight",
    "waybill_weight",
    "line_count",
)
#: What a learned model sees of a list, in order: the same when training (``cbec risk
#: features``) and when scoring in real time (the assessor's ``scorer``).
MODEL_COLUMNS = ("hs_chapter", *MODEL_FIELDS, *FEATURES)


def model_input(
    features: Mapping[str, FeatureValue], fields: Mapping[str, Value]
) -> dict[str, Value]:
    """The :data:`MODEL_COLUMNS` of a list (``hs_chapter``: the first line's chapter)."""
    chapters = fields.get("hs_chapters")
    out: dict[str, Value] = {
        "hs_chapter": chapters[0] if isinstance(chapters, tuple) and chapters else None
    }
    out.update({name: fields.get(name) for name in MODEL_FIELDS})
    out.update({name: features.get(name) for name in FEATURES})
    return out
