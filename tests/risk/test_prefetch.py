"""Reading ahead for a batch: the verdicts on a generated day are the same whether each
list reads its aggregates, flags, classes and instructions alone or from what the batch
read at once, and the batch read saves a statement per list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.catalog import service as catalog_service
from cbec.clearance.service import Clearance, Policy
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.risk import service as risk_service
from cbec.risk.assessor import RiskControl
from cbec.risk.realtime import RealTime
from cbec.risk.schemas import ClassIn, FlagIn, InstructionIn, RuleSetIn
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from cbec.store import make_session_factory
from cbec.store.models import Declaration, RiskAssessment, RuleHit
from tests.conftest import _empty

RULES = {
    "name": "patterns",
    "rules": [
        {
            "name": "undervalued",
            "when": {"<": [{"feature": "unit_price_ratio"}, 0.4]},
            "action": "xray",
        },
        {
            "name": "shared",
            "when": {">=": [{"feature": "address_buyers"}, 3]},
            "action": "open_inspection",
        },
        {
            "name": "pool",
            "when": {">=": [{"feature": "address_buyers"}, 4]},
            "action": "case_clue",
        },
        {
            "name": "busy_buyer",
            "when": {">=": [{"feature": "buyer_lists_30d"}, 3]},
            "action": "review",
        },
    ],
}


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prefetch-day")
    write(generate(Options(orders=250, seed=5, fraud_rate=0.08)), out, as_zip=False)
    return out


def _setup(db: sessionmaker[Session], day: Path) -> None:
    registry = json.loads((day / "registry.json").read_text("utf-8"))
    codes = [e["customsCode"] for e in registry["enterprises"]]
    by = Actor.system("test")
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, registry)
        rule_set = risk_service.create_rule_set(s, RuleSetIn.model_validate(RULES), by=by)
        risk_service.publish(s, rule_set.id, by=by)
        risk_service.add_flag(
            s,
            FlagIn(subject_kind="enterprise", subject_key=codes[0], source="test", kind="odd"),
            by=by,
        )
        risk_service.set_class(s, ClassIn(enterprise_code=codes[1], class_code="C"), by=by)
        risk_service.issue_instruction(
            s,
            InstructionIn(
                target_kind="hs_code", target_value="3304", action="xray", reason="cosmetics"
            ),
            by=by,
            policy=Policy(),
        )
        s.commit()


def _run(engine: Engine, day: Path, *, ahead: bool) -> tuple[dict[str, Any], int]:
    """Clear ``day`` on an empty store: what each list was decided and why, its features
    and hits; and how many statements risk control ran."""
    _empty(engine)
    db = make_session_factory(engine)
    _setup(db, day)
    statements = 0
    execute = RealTime._execute

    def counted(self: RealTime, sql: str, params: Any, **kw: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(self, sql, params, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RealTime, "_execute", counted)
        if not ahead:
            mp.setattr(RiskControl, "prepare", lambda self, declarations: None)
        with db() as s:
            intake = Intake(s, [Clearance(s, Policy(), assessor=RiskControl(s))])
            locators = locate(day)
            for start in range(0, len(locators), 500):
                intake.submit(load_and_prepare(locators[start : start + 500], 4 << 20))
                s.commit()
    with db() as s:
        out: dict[str, Any] = {}
        for d in s.scalars(select(Declaration)):
            features = s.scalars(
                select(RiskAssessment.features).where(RiskAssessment.declaration_id == d.id)
            ).all()
            hits = sorted(
                (h.rule_name, h.mode, h.message)
                for h in s.scalars(select(RuleHit).where(RuleHit.declaration_id == d.id))
            )
            out[d.business_key] = (d.status, d.reasons, features, hits)
    return out, statements


def test_reading_ahead_gives_the_same_verdicts_with_fewer_statements(
    engine: Engine, db: sessionmaker[Session], day: Path
) -> None:
    alone, one_by_one = _run(engine, day, ahead=False)
    ahead, batched = _run(engine, day, ahead=True)
    assessed = sum(1 for *_, features, _h in alone.values() if features)
    assert assessed > 200
    assert ahead == alone
    # instructions, flags and classes were there to be read, and hit
    reasons = " ".join(r for _s, r, _f, _h in alone.values())
    assert "control instruction" in reasons
    assert any(hits for *_, hits in alone.values())
    # without reading ahead: one statement per verdict, plus the flushes
    assert one_by_one >= assessed
    assert batched < one_by_one - assessed + 40
