"""Platform verification: the officers' checks and the checks the store can make itself,
folded into one status. Pure: the repository gathers the counts.

Officer checks (latest of each kind counts): ``login`` (one can log in), ``register`` (one
can register), ``buy`` (one can place an order), ``shipped`` (what was bought arrived),
``goods`` (the goods cleared under the platform are sold on it), ``traffic`` (its traffic
matches its clearance volume), ``qualification`` (it holds the licences required).

Automatic checks, from our own data over the window: cleared goods absent from the product
catalogue filed for the platform (by it, or by the seller of the goods), the share of its
orders never followed by a waybill, cleared lists against the traffic it reported, and the
share of its buyers who disputed (consumer monitoring flags).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

CHECKS = ("login", "register", "buy", "shipped", "goods", "traffic", "qualification")
RESULTS = ("pass", "fail", "inconclusive")

#: fail when more than this share of the cleared lines are absent from the filed catalogue
ABSENT_SHARE = 0.2
NOT_IN_CATALOGUE = "goods_not_in_catalogue"
#: fail when more than this share of orders (from MIN_ORDERS) never got a waybill
NO_WAYBILL_SHARE = 0.3
MIN_ORDERS = 10
#: fail when the lists cleared exceed the orders the platform reported by this factor
TRAFFIC_FACTOR = 1.2
#: fail when its disputes exceed this share of its buyers (from MIN_DISPUTED disputes)
DISPUTED_SHARE = 0.05
MIN_DISPUTED = 2

VERIFIED, PARTIAL, UNVERIFIED, FAILED = "verified", "partial", "unverified", "failed"


@dataclass(frozen=True, slots=True)
class Automatic:
    name: str
    #: pass | fail | n/a (not enough data)
    result: str
    value: float | None
    detail: str
    #: how many (lines, orders...) the check found wanting, where it counts
    count: int | None = None
    #: a few of them, for the officer to look at
    examples: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Filed:
    """An item of a filed product catalogue (see :class:`cbec.store.models.CatalogueItem`)."""

    owner: str
    item_no: str
    hs_code: str
    filed_on: date
    withdrawn_on: date | None = None

    def in_force(self, day: date) -> bool:
        return self.filed_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)


@dataclass(frozen=True, slots=True)
class Cleared:
    """Lines released under a platform: item number, HS code, name, seller, Beijing day."""

    item_no: str | None
    hs_code: str
    name: str
    ebc_code: str
    day: date


def catalogue_check(
    platform: str, cleared: Mapping[Cleared, int], filed: Sequence[Filed], top: int = 5
) -> Automatic:
    """Cleared lines of the platform against the product catalogue filed for it: by the
    platform, or by the line's e-commerce enterprise (a seller may file its own goods). A
    line is in the catalogue when an item in force on its day has its item number (when the
    line gives one) and its 10-digit HS code.

    >>> day = date(2026, 11, 11)
    >>> filed = [Filed("P", "A1", "3304990099", date(2026, 1, 1))]
    >>> a = catalogue_check("P", {Cleared("A1", "3304990099", "cream", "E", day): 9,
    ...                          Cleared("B2", "2106909090", "pills", "E", day): 1}, filed)
    >>> a.result, a.value, a.count
    ('pass', 0.1, 1)
    >>> wrong = catalogue_check("P", {Cleared("A1", "2106909090", "x", "E", day): 3}, filed)
    >>> wrong.result, wrong.examples[0]["why"]
    ('fail', 'filed under HS 3304990099')
    >>> catalogue_check("P", {Cleared(None, "2106909090", "y", "E", day): 1}, filed).examples
    ({'itemNo': None, 'name': 'y', 'hsCode': '2106909090', 'lines': 1, 'why': 'HS code not filed'},)
    >>> catalogue_check("P", {}, filed).result
    'n/a'
    """
    total = sum(cleared.values())
    if not total:
        return Automatic(NOT_IN_CATALOGUE, "n/a", None, "no goods cleared")
    by_owner: dict[str, list[Filed]] = {}
    for item in filed:
        by_owner.setdefault(item.owner, []).append(item)
    absent: dict[tuple[str | None, str, str, str], int] = {}
    for line, n in cleared.items():
        mine = by_owner.get(platform, []) + (
            by_owner.get(line.ebc_code, []) if line.ebc_code != platform else []
        )
        why = _absence(line, mine)
        if why:
            key = (line.item_no, line.hs_code, line.name, why)
            absent[key] = absent.get(key, 0) + n
    missing = sum(absent.values())
    worst = sorted(absent, key=lambda k: (-absent[k], k[1], k[0] or ""))[:top]
    examples = tuple(
        {"itemNo": k[0], "name": k[2], "hsCode": k[1], "lines": absent[k], "why": k[3]}
        for k in worst
    )
    share = missing / total
    owners = "none filed" if not by_owner.get(platform) else f"{len(by_owner[platform])} items"
    return Automatic(
        NOT_IN_CATALOGUE,
        "fail" if share > ABSENT_SHARE else "pass",
        round(share, 4),
        f"{missing} of {total} cleared lines absent from the catalogue filed for the platform "
        f"(its own: {owners})"
        + (
            "; e.g. " + ", ".join(f"{e['itemNo'] or e['hsCode']} ({e['why']})" for e in examples)
            if examples
            else ""
        ),
        count=missing,
        examples=examples,
    )


def _absence(line: Cleared, items: Sequence[Filed]) -> str:
    """Why ``line`` is not in ``items`` ("" when it is)."""
    live = [i for i in items if i.in_force(line.day)]
    if line.item_no:
        same = [i for i in live if i.item_no == line.item_no]
        if any(i.hs_code == line.hs_code for i in same):
            return ""
        if same:
            return f"filed under HS {same[0].hs_code}"
        ever = [i for i in items if i.item_no == line.item_no]
        if ever:
            first = ever[0]
            if first.filed_on > line.day:
                return f"filed only on {first.filed_on.isoformat()}"
            return f"withdrawn on {first.withdrawn_on.isoformat() if first.withdrawn_on else '?'}"
        return "not filed"
    return "" if any(i.hs_code == line.hs_code for i in live) else "HS code not filed"


def waybill_check(orders: int, without_waybill: int) -> Automatic:
    """Orders never followed by a waybill.

    >>> waybill_check(20, 10).result, waybill_check(5, 5).result
    ('fail', 'n/a')
    """
    if orders < MIN_ORDERS:
        return Automatic("orders_without_waybill", "n/a", None, f"{orders} order(s): too few")
    share = without_waybill / orders
    return Automatic(
        "orders_without_waybill",
        "fail" if share > NO_WAYBILL_SHARE else "pass",
        round(share, 4),
        f"{without_waybill} of {orders} orders never got a waybill",
    )


def traffic_check(cleared: int | None, reported: int | None) -> Automatic:
    """Lists cleared in the reported period against the orders the platform reported.

    >>> traffic_check(130, 100).result, traffic_check(90, 100).result, traffic_check(1, None).result
    ('fail', 'pass', 'n/a')
    """
    if cleared is None or reported is None:
        return Automatic("traffic_vs_clearance", "n/a", None, "no traffic reported")
    ratio = cleared / reported if reported > 0 else (float("inf") if cleared else 0.0)
    return Automatic(
        "traffic_vs_clearance",
        "fail" if ratio > TRAFFIC_FACTOR else "pass",
        None if ratio == float("inf") else round(ratio, 4),
        f"{cleared} lists cleared against {reported} orders reported",
    )


def dispute_check(buyers: int, disputes: int) -> Automatic:
    """Consumer disputes and identity-misuse flags against the platform's buyers.

    >>> dispute_check(100, 10).result, dispute_check(100, 1).result, dispute_check(0, 0).result
    ('fail', 'pass', 'n/a')
    """
    if not buyers:
        return Automatic("buyer_disputes", "n/a", None, "no buyers")
    share = disputes / buyers
    return Automatic(
        "buyer_disputes",
        "fail" if disputes >= MIN_DISPUTED and share > DISPUTED_SHARE else "pass",
        round(share, 4),
        f"{disputes} dispute(s) among {buyers} buyers",
    )


def status(latest: Mapping[str, str], automatic: Sequence[Automatic]) -> str:
    """``failed`` when any latest officer check or automatic check failed; ``verified``
    when every officer check passed; ``partial`` when some did; else ``unverified``.

    >>> status({c: "pass" for c in CHECKS}, [])
    'verified'
    >>> status({"login": "pass"}, [Automatic("x", "fail", 1.0, "")])
    'failed'
    >>> status({"login": "pass"}, []), status({}, [])
    ('partial', 'unverified')
    """
    if any(r == "fail" for r in latest.values()) or any(a.result == "fail" for a in automatic):
        return FAILED
    if all(latest.get(c) == "pass" for c in CHECKS):
        return VERIFIED
    if any(r == "pass" for r in latest.values()):
        return PARTIAL
    return UNVERIFIED
