"""decide(): precedence of findings and risk, and replayable seeded sampling."""

from __future__ import annotations

from cbec.clearance.decision import (
    Inspection,
    NoRisk,
    Outcome,
    Rates,
    RiskHit,
    RiskVerdict,
    decide,
    draw,
)
from cbec.clearance.findings import Finding, Severity

REJECT = Finding("C05.quota", "Inventory/InventoryHead/buyerIdNumber", "over the quota")
REVIEW = Finding("C09.weight", "Logistics/LogisticsHead/weight", "odd weight", Severity.REVIEW)
NONE = Rates(review=0.0, inspection=0.0)


def test_a_rejecting_finding_rejects_whatever_risk_says() -> None:
    risk = RiskVerdict((RiskHit("R1", "watch list", Outcome.INSPECT),))
    decision = decide([REJECT], risk, NONE, key="k")
    assert decision.outcome is Outcome.REJECT
    assert decision.reasons == (str(REJECT),)


def test_risk_inspection_beats_review() -> None:
    risk = RiskVerdict((RiskHit("R1", "watch list", Outcome.INSPECT),))
    assert decide([REVIEW], risk, NONE, key="k").outcome is Outcome.INSPECT


def test_review_finding_reviews_and_clean_list_is_released() -> None:
    assert decide([REVIEW], RiskVerdict(), NONE, key="k").outcome is Outcome.REVIEW
    assert decide([], NoRisk().assess(None), NONE, key="k").outcome is Outcome.RELEASE


def test_sampling_is_replayable_and_close_to_the_rate() -> None:
    rates = Rates(review=0.10, inspection=0.05)
    outcomes = [
        decide([], RiskVerdict(), rates, key=f"list-{n}", seed=7).outcome for n in range(4000)
    ]
    again = [decide([], RiskVerdict(), rates, key=f"list-{n}", seed=7).outcome for n in range(4000)]
    assert outcomes == again
    inspected = outcomes.count(Outcome.INSPECT) / len(outcomes)
    reviewed = outcomes.count(Outcome.REVIEW) / len(outcomes)
    assert 0.035 < inspected < 0.065
    assert 0.07 < reviewed < 0.12  # 10% of those not inspected
    other_seed = [
        decide([], RiskVerdict(), rates, key=f"list-{n}", seed=8).outcome for n in range(4000)
    ]
    assert other_seed != outcomes


def test_draw_is_uniform_in_unit_interval() -> None:
    values = [draw(1, str(n), "x") for n in range(1000)]
    assert all(0 <= v < 1 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55


def test_precedence_release_review_inspect_hold_and_reject_above_all() -> None:
    review = RiskHit("R1.a", "look", Outcome.REVIEW)
    xray = RiskHit("R1.b", "scan", Outcome.INSPECT, Inspection.XRAY)
    hold = RiskHit("I3", "stop", Outcome.HOLD)
    assert decide([], RiskVerdict((review, xray)), NONE, key="k").outcome is Outcome.INSPECT
    held = decide([REVIEW], RiskVerdict((review, xray, hold)), NONE, key="k")
    assert (held.outcome, held.reasons) == (Outcome.HOLD, ("[I3] stop",))
    assert decide([REJECT], RiskVerdict((hold,)), NONE, key="k").outcome is Outcome.REJECT


def test_inspection_is_opened_when_any_hit_asks_for_it_else_x_rayed() -> None:
    xray = RiskHit("R1.b", "scan", Outcome.INSPECT, Inspection.XRAY)
    opened = RiskHit("R1.c", "open it", Outcome.INSPECT, Inspection.OPEN)
    legacy = RiskHit("R1.d", "no kind given", Outcome.INSPECT)
    assert decide([], RiskVerdict((xray,)), NONE, key="k").inspection is Inspection.XRAY
    both = decide([], RiskVerdict((xray, opened)), NONE, key="k")
    assert (both.inspection, both.reasons) == (
        Inspection.OPEN,
        ("[R1.b] scan", "[R1.c] open it"),
    )
    assert decide([], RiskVerdict((legacy,)), NONE, key="k").inspection is Inspection.OPEN
    sampled = decide([], RiskVerdict(), Rates(review=0.0, inspection=1.0), key="k")
    assert (sampled.sampled, sampled.inspection) == (True, Inspection.XRAY)
