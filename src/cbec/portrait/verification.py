"""Platform verification: the officers' checks and the checks the store can make itself,
folded into one status. Pure: the repository gathers the counts.

Officer checks (latest of each kind counts): ``login`` (one can log in), ``register`` (one
can register), ``buy`` (one can place an order), ``shipped`` (what was bought arrived),
``goods`` (the goods cleared under the platform are sold on it), ``traffic`` (its traffic
matches its clearance volume), ``qualification`` (it holds the licences required).

Automatic checks, from our own data over the window: cleared HS codes the platform was not
seen selling (when an officer recorded what it sells: there is no filed product catalogue),
the share of its orders never followed by a waybill, cleared lists against the traffic it
reported, and the share of its buyers who disputed (consumer monitoring flags).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CHECKS = ("login", "register", "buy", "shipped", "goods", "traffic", "qualification")
RESULTS = ("pass", "fail", "inconclusive")

#: fail when more than this share of the cleared lines are of HS codes not seen on sale
UNSOLD_SHARE = 0.2
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


def goods_check(cleared_hs: Mapping[str, int], sold_prefixes: Sequence[str] | None) -> Automatic:
    """Cleared lines by 10-digit HS code against the HS prefixes seen on sale.

    >>> goods_check({"3304990099": 8, "2106909090": 2}, ["3304"]).result
    'pass'
    >>> goods_check({"3304990099": 2, "2106909090": 8}, ["3304"]).result
    'fail'
    """
    total = sum(cleared_hs.values())
    if sold_prefixes is None or not total:
        return Automatic("goods_not_sold", "n/a", None, "no record of its goods, or none cleared")
    unsold = {
        code: n
        for code, n in cleared_hs.items()
        if not any(code.startswith(p) for p in sold_prefixes)
    }
    share = sum(unsold.values()) / total
    worst = ", ".join(sorted(unsold, key=lambda c: -unsold[c])[:5])
    return Automatic(
        "goods_not_sold",
        "fail" if share > UNSOLD_SHARE else "pass",
        round(share, 4),
        f"{sum(unsold.values())} of {total} cleared lines of HS codes not seen on sale"
        + (f" ({worst})" if worst else ""),
    )


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
