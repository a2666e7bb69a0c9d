"""Random exploration: a configurable share of the inspections stays random whatever the
rules select, so that inspection outcomes keep coming from everywhere (issue 4, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.catalog import service as catalog_service
from cbec.clearance.decision import (
    Decision,
    Exploration,
    Inspection,
    Outcome,
    Rates,
    RiskHit,
    RiskVerdict,
    decide,
    draw,
)
from cbec.clearance.service import Clearance, Policy
from cbec.config import Settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.risk import quality
from cbec.risk import service as risk_service
from cbec.risk.assessor import RiskControl
from cbec.risk.schemas import RuleSetIn
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from cbec.store.models import Declaration


def _inspect(sampled: bool) -> Decision:
    return Decision(Outcome.INSPECT, sampled=sampled, inspection=Inspection.XRAY)


def test_the_rate_makes_random_inspections_the_share_of_all() -> None:
    exploration = Exploration(0.2, window=1000, warmup=10)
    for _ in range(80):
        exploration.record(Decision(Outcome.RELEASE))
    for _ in range(20):
        exploration.record(_inspect(sampled=False))
    # 20 targeted among 100: random at p over the 80 others gives 80p / (80p + 20) = 0.2
    rate = exploration.rate()
    assert rate == pytest.approx(0.2 / 0.8 * 20 / 80)
    assert 80 * rate / (80 * rate + 20) == pytest.approx(0.2)
    assert exploration.counts() == (100, 20, 0)


def test_rejections_do_not_count_and_the_window_forgets() -> None:
    exploration = Exploration(0.1, window=50, warmup=10)
    for _ in range(30):
        exploration.record(Decision(Outcome.REJECT))
    assert exploration.counts() == (0, 0, 0)
    for _ in range(50):
        exploration.record(_inspect(sampled=False))
    assert exploration.rate() == 1.0  # every counted list was targeted
    for _ in range(50):
        exploration.record(Decision(Outcome.RELEASE))
    assert exploration.counts() == (50, 0, 0)
    assert exploration.rate() == 0.0  # nothing targeted in the window: the class rates do


def test_off_or_warming_up_asks_for_nothing() -> None:
    off = Exploration(0.0, warmup=1)
    warming = Exploration(0.5, warmup=100)
    for e in (off, warming):
        for _ in range(50):
            e.record(_inspect(sampled=False))
        assert e.rate() == 0.0
    with pytest.raises(ValueError, match="exploration share"):
        Exploration(1.0)


def test_a_draw_between_the_class_rate_and_the_exploration_rate_explores() -> None:
    keys = [f"list-{n}" for n in range(400)]
    between = next(k for k in keys if 0.05 <= draw(0, k, "inspection") < 0.2)
    rates = Rates(review=0.0, inspection=0.05)
    assert decide([], RiskVerdict(), rates, key=between).outcome is Outcome.RELEASE
    explored = decide([], RiskVerdict(), rates, key=between, explore=0.2)
    assert explored.outcome is Outcome.INSPECT
    assert explored.sampled
    assert explored.reasons[0].startswith("[S.explore] random X-ray for exploration")
    # a targeted inspection stays targeted, whatever the draw
    hit = RiskHit("R1.x", "rule x", Outcome.INSPECT, Inspection.OPEN)
    targeted = decide([], RiskVerdict((hit,)), rates, key=between, explore=0.2)
    assert not targeted.sampled
    assert targeted.inspection is Inspection.OPEN


def test_the_setting_is_validated() -> None:
    assert Settings().exploration_share == 0.10
    with pytest.raises(ValueError, match="exploration_share"):
        Settings(exploration_share=1.5)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exploration-day")
    write(generate(Options(orders=500, seed=7, fraud_rate=0.05)), out, as_zip=False)
    return out


def _run(db: sessionmaker[Session], day: Path, share: float) -> tuple[int, int, int]:
    """Clear ``day`` with a rule that X-rays the dearer lists, no class sampling, and the
    given exploration share: (lists decided, targeted inspections, random inspections)."""
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((day / "registry.json").read_text("utf-8")))
        rules = RuleSetIn.model_validate(
            {
                "name": "dear",
                "rules": [
                    {
                        "name": "dear",
                        "when": {">": [{"field": "taxable_value"}, 1500]},
                        "action": "xray",
                    }
                ],
            }
        )
        rule_set = risk_service.create_rule_set(s, rules, by=Actor.system("test"))
        risk_service.publish(s, rule_set.id, by=Actor.system("test"))
        s.commit()
    policy = Policy(
        rates=Rates(review=0.0, inspection=0.0), exploration=Exploration(share, warmup=50)
    )
    with db() as s:
        intake = Intake(s, [Clearance(s, policy, assessor=RiskControl(s))])
        locators = locate(day)
        for start in range(0, len(locators), 400):
            intake.submit(load_and_prepare(locators[start : start + 400], 4 << 20))
            s.commit()
    with db() as s:
        reasons = list(
            s.scalars(select(Declaration.reasons).where(Declaration.inspection_kind.is_not(None)))
        )
        found = quality.evaluate(s, {"orders": {}})
    explored = sum(r.startswith("[S.explore]") for r in reasons)
    assert found.all.random == explored  # the quality report counts them as random
    return found.all.lists, len(reasons) - explored, explored


def test_live_clearance_keeps_the_random_share_of_inspections(
    db: sessionmaker[Session], day: Path
) -> None:
    lists, targeted, explored = _run(db, day, 0.3)
    assert lists > 400
    assert targeted > 30
    # the first 50 lists warm the counter up; after that the share holds
    assert explored / (explored + targeted) > 0.22


def test_without_exploration_the_rules_alone_select(db: sessionmaker[Session], day: Path) -> None:
    lists, targeted, explored = _run(db, day, 0.0)
    assert lists > 400
    assert targeted > 30
    assert explored == 0
