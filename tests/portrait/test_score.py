"""The portrait score: each feature's contribution, the class, the rules that cap it."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.batch.engine import Embedded
from cbec.portrait import batch
from cbec.portrait.classes import CLASSES, for_score, worse
from cbec.portrait.score import Facts, portrait

AS_OF = date(2026, 11, 11)


def honest(**changes: object) -> Facts:
    facts = Facts("4401960001", ("platform",), date(2016, 1, 1), lists=500, buyers=400)
    for key, value in changes.items():
        setattr(facts, key, value)
    return facts


def test_an_established_clean_enterprise_is_advanced_certified() -> None:
    p = portrait(honest(), AS_OF)
    assert p.score == 105.0
    assert p.proposed == "A"
    assert {c.feature: c.points for c in p.contributions}["years_filed"] == 5.0


def test_a_new_platform_in_a_closed_payment_loop_is_dishonest() -> None:
    p = portrait(honest(filing_date=date(2026, 9, 6), lists=30, captive_lists=30), AS_OF)
    points = {c.feature: c.points for c in p.contributions}
    assert points["years_filed"] == -20.0
    assert points["captive_payment_share"] == -35.0
    assert p.proposed == "D"
    assert "captive_payment_share -35.0" in p.reason()


def test_an_inspection_discrepancy_bars_advanced_certification_whatever_the_score() -> None:
    p = portrait(honest(discrepancies=1, inspected=30), AS_OF)
    assert p.score == 95.0
    assert p.by_score == "A"
    assert p.proposed == "B"
    assert any("discrepancy" in cap for cap in p.caps)
    seized = portrait(honest(lists=100_000, seizures=1, inspected=300), AS_OF)
    assert seized.score == pytest.approx(90.0 - 0.003)


def test_a_failed_verification_makes_a_platform_dishonest() -> None:
    p = portrait(honest(verification="failed"), AS_OF)
    assert p.score == 55.0
    assert p.by_score == "C"
    assert p.proposed == "D"


def test_too_short_a_record_is_not_advanced_certified() -> None:
    assert portrait(honest(lists=5), AS_OF).proposed == "B"
    assert portrait(honest(filing_date=date(2025, 6, 1)), AS_OF).proposed == "B"


def test_network_flags_and_disputes_lower_the_score() -> None:
    flagged = portrait(honest(network_flags=2, network_score=0.8), AS_OF)
    assert {c.feature: c.points for c in flagged.contributions}["network_flags"] == -29.0
    disputed = portrait(honest(disputes=4, disputed_buyers=4), AS_OF)
    assert {c.feature: c.points for c in disputed.contributions}["consumer_disputes"] == -13.0


counts = st.integers(min_value=0, max_value=200)


@given(
    lists=st.integers(min_value=0, max_value=2000),
    rejected=counts,
    reviewed=counts,
    seizures=counts,
    discrepancies=counts,
    captive=counts,
    verification=st.sampled_from([None, "verified", "partial", "unverified", "failed"]),
    filed=st.dates(min_value=date(2000, 1, 1), max_value=AS_OF),
)
def test_the_score_is_the_base_plus_every_contribution(
    lists: int,
    rejected: int,
    reviewed: int,
    seizures: int,
    discrepancies: int,
    captive: int,
    verification: str | None,
    filed: date,
) -> None:
    facts = Facts(
        "X",
        filing_date=filed,
        lists=lists,
        rejected=min(rejected, lists),
        reviewed=min(reviewed, lists),
        review_rejected=min(reviewed, lists) // 2,
        seizures=min(seizures, lists),
        discrepancies=min(discrepancies, lists),
        captive_lists=min(captive, lists),
        verification=verification,
    )
    p = portrait(facts, AS_OF)
    assert p.score == pytest.approx(100 + sum(c.points for c in p.contributions), abs=1e-3)
    # the class is never better than the score earns
    assert CLASSES[p.proposed].rank >= CLASSES[for_score(p.score)].rank
    if verification == "failed":
        assert p.proposed == "D"


def test_class_bounds_and_order() -> None:
    assert [for_score(s) for s in (90, 89.9, 70, 69.9, 50, 49.9)] == ["A", "B", "B", "C", "C", "D"]
    assert worse("B", "A") == "B"
    assert CLASSES["D"].inspection == pytest.approx(0.85)  # 2019: 84.76% for the discredited
    assert CLASSES["A"].inspection < CLASSES["B"].inspection < CLASSES["C"].inspection


def captive_pairs(pairs: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """The closed loops the batch job finds among lists paid so (embedded engine)."""
    rows = [pair for pair, n in pairs.items() for _ in range(n)]
    frame = pl.DataFrame(rows, schema=["pay_code", "ebp_code"], orient="row")
    with Embedded() as engine:
        found = engine.collect(batch.captive_pairs(engine.load("lists", frame)))
    return {(r["c_pay"], r["c_ebp"]) for r in found.iter_rows(named=True)}


def test_a_closed_payment_loop_needs_exclusivity_both_ways_and_volume() -> None:
    pairs = {("PAY1", "EBP1"): 12, ("PAY2", "EBP2"): 12, ("PAY3", "EBP2"): 12}
    assert captive_pairs(pairs) == {("PAY1", "EBP1")}
    # a company serving two platforms is no loop
    assert captive_pairs({("PAY1", "EBP1"): 12, ("PAY1", "EBP2"): 1}) == set()
    assert captive_pairs({("PAY1", "EBP1"): 4}) == set()
    # at least 90% of the platform's lists (10 of 11 is, 9 of 10 is, 9 of 11 is not)
    assert captive_pairs({("PAY1", "EBP1"): 10, ("PAY2", "EBP1"): 1}) == {("PAY1", "EBP1")}
    assert captive_pairs({("PAY1", "EBP1"): 9, ("PAY2", "EBP1"): 1}) == {("PAY1", "EBP1")}
    assert captive_pairs({("PAY1", "EBP1"): 9, ("PAY2", "EBP1"): 2}) == set()
    # lists paid through no company are not counted for the platform
    assert captive_pairs({("PAY1", "EBP1"): 5, ("", "EBP1"): 9}) == {("PAY1", "EBP1")}
