"""An enterprise's portrait over a window: features, a transparent score, a class.

The score starts at 100; each feature adds or takes points by a stated rule, and every
contribution is kept, so an officer sees why an enterprise got its class. A few rules cap
the class whatever the score (a failed platform verification, a seizure). Pure: the facts
come from the repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cbec.portrait.classes import CLASSES, for_score, worse

BASE_SCORE = 100.0
#: lists an enterprise needs in the window before it can be rated advanced certified
MIN_LISTS_FOR_A = 20
#: years filed an enterprise needs before it can be rated advanced certified
MIN_YEARS_FOR_A = 2.0
#: a payment company and a platform are captive to each other when the platform's lists
#: go at least this share through a company serving no other platform
CAPTIVE_SHARE = 0.9
#: ... from this many lists of the pair (fewer say nothing about a closed loop)
CAPTIVE_MIN_LISTS = 5
#: a tax statement owed this many days past its due date caps the class at C
TAX_OVERDUE_CAP_DAYS = 30


@dataclass(slots=True)
class Facts:
    """What the store says about one enterprise over a window (counts of its lists, in any
    role: platform, e-commerce enterprise, agent, logistics, payment)."""

    code: str
    roles: tuple[str, ...] = ()
    filing_date: date | None = None
    lists: int = 0
    #: lists of the window of the same length before this one
    lists_before: int = 0
    value: Decimal = Decimal(0)
    rejected: int = 0
    reviewed: int = 0
    review_rejected: int = 0
    inspected: int = 0
    discrepancies: int = 0
    seizures: int = 0
    #: tax billed on its released lists (as any party to them)
    tax_billed: Decimal = Decimal(0)
    #: as a guarantee: its monthly tax statements due by the window's end (see
    #: :mod:`cbec.clearance.statements`), those paid after the due date, those still owed
    #: past it, the longest delay in days and what is owed past the due date
    tax_statements: int = 0
    tax_paid_late: int = 0
    tax_overdue: int = 0
    tax_days_late: int = 0
    tax_overdue_cny: Decimal = Decimal(0)
    #: lists rejected because the declared tax was wrong (C10.tax)
    tax_misdeclared: int = 0
    #: platforms: verified | partial | unverified | failed (None: not a platform)
    verification: str | None = None
    #: consumer flags (disputes, identity misuse) on the enterprise or its buyers
    disputes: int = 0
    disputed_buyers: int = 0
    buyers: int = 0
    network_flags: int = 0
    network_score: float = 0.0
    #: lists paid through a payment company captive to its platform
    captive_lists: int = 0


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: Any
    points: float
    rule: str


@dataclass(slots=True)
class Portrait:
    facts: Facts
    contributions: list[Contribution] = field(default_factory=list)
    score: float = BASE_SCORE
    by_score: str = "B"
    proposed: str = "B"
    #: why the class is lower than the score alone would give
    caps: list[str] = field(default_factory=list)

    def reason(self, top: int = 4) -> str:
        """A one-line why: score, the largest contributions, the caps."""
        worst = sorted((c for c in self.contributions if c.points), key=lambda c: c.points)[:top]
        parts = [f"score {self.score:.1f}"]
        parts += [f"{c.feature} {c.points:+.1f}" for c in worst]
        parts += self.caps
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        facts = asdict(self.facts)
        facts["value"] = str(self.facts.value)
        facts["tax_billed"] = str(self.facts.tax_billed)
        facts["tax_overdue_cny"] = str(self.facts.tax_overdue_cny)
        filed = self.facts.filing_date
        facts["filing_date"] = filed.isoformat() if filed else None
        facts["roles"] = list(self.facts.roles)
        return {
            "facts": facts,
            "contributions": [asdict(c) for c in self.contributions],
            "score": self.score,
            "byScore": self.by_score,
            "proposed": self.proposed,
            "caps": self.caps,
        }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _r(value: float) -> float:
    return round(value, 4)


def portrait(facts: Facts, as_of: date) -> Portrait:
    """Score ``facts`` as of ``as_of`` (the window's end) and propose a class.

    >>> p = portrait(Facts("X", filing_date=date(2016, 1, 1), lists=50), date(2026, 11, 11))
    >>> p.score, p.proposed
    (105.0, 'A')
    >>> p = portrait(Facts("Y", filing_date=date(2026, 9, 1), lists=30, captive_lists=30),
    ...              date(2026, 11, 11))
    >>> p.score, p.proposed
    (45.0, 'D')
    """
    f = facts
    out: list[Contribution] = []

    def add(feature: str, value: Any, points: float, rule: str) -> None:
        out.append(Contribution(feature, value, _r(points) + 0.0, rule))

    years = None if f.filing_date is None else (as_of - f.filing_date).days / 365.25
    if years is None:
        add("years_filed", None, -10, "not filed: -10")
    else:
        points = -20.0 if years < 1 else -10.0 if years < 2 else 5.0 if years >= 5 else 0.0
        add("years_filed", _r(years), points, "<1 year -20, <2 years -10, >=5 years +5")
    add("lists", f.lists, 0, "business scale (information)")
    add("value_cny", str(f.value), 0, "taxable value of the lists (information)")
    growth = f.lists / f.lists_before if f.lists_before else None
    add(
        "growth",
        None if growth is None else _r(growth),
        -5.0 if growth is not None and f.lists_before >= 10 and growth > 3 else 0.0,
        "lists / lists of the window before; more than 3x (from 10 lists) -5",
    )
    rejection = _share(f.rejected, f.lists)
    add("rejection_share", _r(rejection), -min(20.0, 40 * rejection), "-40 x share, at most -20")
    review_rejection = _share(f.review_rejected, f.reviewed)
    add(
        "review_rejection_share",
        _r(review_rejection),
        -min(15.0, 20 * review_rejection),
        "lists rejected in manual review / reviewed: -20 x share, at most -15",
    )
    add(
        "inspection_discrepancies",
        f.discrepancies,
        -min(30.0, 10.0 * f.discrepancies),
        "-10 each, at most -30",
    )
    add(
        "seizures",
        f.seizures,
        -min(60.0, 15.0 * f.seizures + 300 * _share(f.seizures, f.lists)),
        "-15 each and -300 x seizures / lists, at most -60",
    )
    misdeclared = _share(f.tax_misdeclared, f.lists)
    add(
        "tax_misdeclared_share",
        _r(misdeclared),
        -min(15.0, 30 * misdeclared),
        "lists rejected for a wrong tax (C10.tax) / lists: -30 x share, at most -15",
    )
    add("tax_billed_cny", str(f.tax_billed), 0, "tax of released lists (information)")
    if f.tax_statements:
        on_time = f.tax_statements - f.tax_paid_late - f.tax_overdue
        add(
            "tax_paid_on_time",
            _r(on_time / f.tax_statements),
            -min(40.0, 10.0 * f.tax_paid_late + 20.0 * f.tax_overdue + 0.5 * f.tax_days_late),
            "share of its tax statements paid by the due date; -10 per statement paid late, "
            "-20 per statement overdue, -0.5 per day of the longest delay, at most -40",
        )
    else:
        add("tax_paid_on_time", None, 0, "no tax statement of its due (information)")
    if f.verification is not None:
        points = {"verified": 10.0, "failed": -50.0}.get(f.verification, 0.0)
        add("platform_verification", f.verification, points, "verified +10, failed -50")
    disputed = _share(f.disputed_buyers, f.buyers)
    add(
        "consumer_disputes",
        f.disputes,
        -min(20.0, 3.0 * f.disputes + 100 * disputed),
        "-3 per dispute and -100 x disputed buyers / buyers, at most -20",
    )
    add(
        "network_flags",
        f.network_flags,
        -min(40.0, 30 * f.network_score + 5.0 * max(0, f.network_flags - 1))
        if f.network_flags
        else 0.0,
        "-30 x highest flag score, -5 per further flag, at most -40",
    )
    captive = _share(f.captive_lists, f.lists)
    add(
        "captive_payment_share",
        _r(captive),
        -35 * captive,
        "lists paid through a payment company captive to its platform (a closed loop) / "
        "lists: -35 x share",
    )
    score = _r(BASE_SCORE + sum(c.points for c in out))
    by_score = for_score(score)
    proposed = by_score
    caps: list[str] = []
    if f.verification == "failed":
        proposed = worse(proposed, "D")
        caps.append("platform verification failed: class D")
    if f.seizures or f.discrepancies:
        if CLASSES[proposed].rank < CLASSES["B"].rank:
            caps.append("seizure or inspection discrepancy in the window: not A")
        proposed = worse(proposed, "B")
    if f.tax_overdue and f.tax_days_late > TAX_OVERDUE_CAP_DAYS:
        if CLASSES[proposed].rank < CLASSES["C"].rank:
            caps.append(f"tax owed more than {TAX_OVERDUE_CAP_DAYS} days past due: at most C")
        proposed = worse(proposed, "C")
    elif f.tax_overdue or f.tax_paid_late:
        if CLASSES[proposed].rank < CLASSES["B"].rank:
            caps.append("tax paid late or overdue in the window: not A")
        proposed = worse(proposed, "B")
    if proposed == "A" and (years is None or years < MIN_YEARS_FOR_A or f.lists < MIN_LISTS_FOR_A):
        proposed = "B"
        caps.append(
            f"advanced certification needs {MIN_YEARS_FOR_A:g} years filed and "
            f"{MIN_LISTS_FOR_A} lists in the window"
        )
    return Portrait(f, out, score, by_score, proposed, caps)


def rank(portraits: Iterable[Portrait]) -> list[Portrait]:
    """Worst first (lowest score), for review."""
    return sorted(portraits, key=lambda p: (p.score, p.facts.code))
