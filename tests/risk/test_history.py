"""Batch over history: the features a replay computes are those real time computed, and a
backtest's figures on a hand-built history."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.clearance.decision import Rates
from cbec.clearance.service import Clearance, Policy
from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.risk import history, service
from cbec.risk.assessor import RiskControl
from cbec.risk.schemas import RuleSetIn
from cbec.store.models import Declaration, RiskAssessment, RiskCounter
from tests.risk.conftest import Traffic, declaration, resident_id

ANALYST = Actor.officer("chen.jing")


def test_batch_features_equal_the_real_time_ones(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = traffic.client
    other = resident_id(7)
    assert (
        client.post(
            "/api/v1/risk/flags",
            json={
                "subjectKind": "identity",
                "subjectKey": other,
                "source": "platform",
                "kind": "identity_unverified",
                "score": 0.6,
            },
            headers=analyst,
        ).status_code
        == 201
    )
    client.post(
        "/api/v1/risk/enterprise-classes",
        json={"enterpriseCode": "4401960002", "classCode": "C"},
        headers=analyst,
    )
    plan: list[dict[str, Any]] = [
        {"price": f"{190 + n}.00"} for n in range(10)
    ]  # one buyer, ten lists: the reference price of 1901101010 forms
    plan += [
        {"price": "40.00", "buyer": other, "address": "上海市浦东新区世纪大道1号"},
        {"price": "199.00", "buyer": other, "day": "20261112"},
        {"price": "199.00", "buyer": resident_id(8), "address": "上海市浦东新区世纪大道1号"},
        {"price": "199.00", "payer": resident_id(9)},  # rejected (C02.buyer), still seen
        {"price": "250.00", "day": "20270115", "phone": "13900000000"},
    ]
    for n, changes in enumerate(plan, start=1):
        traffic.send(n, **changes)

    with db() as s:
        live = {
            a.declaration_id: json.loads(a.features)
            for a in s.scalars(select(RiskAssessment).order_by(RiskAssessment.id))
        }
        rows = list(history.replay(s))
        statuses = {d.id: d.status for d in s.scalars(select(Declaration))}
    assert len(live) == len(plan) == len(rows)
    assert {r.declaration.id: r.features for r in rows} == live
    assert 100 in statuses.values()

    cheap = live[declaration(db, 11).id]
    assert cheap["unit_price_ratio"] is not None
    assert cheap["unit_price_ratio"] < 0.25
    assert (cheap["platform_flags"], cheap["flag_score"], cheap["ebc_class"]) == (1.0, 0.6, "C")
    assert cheap["buyer_lists_1d"] == 1.0
    assert live[declaration(db, 13).id]["address_buyers"] == 2.0
    assert live[declaration(db, 14).id]["payer_not_buyer"] is True
    late = live[declaration(db, 15, day="20270115").id]
    assert (late["buyer_lists_1d"], late["buyer_lists_30d"], late["buyer_lists_365d"]) == (
        1.0,
        1.0,
        12.0,
    )
    assert (late["buyer_phones"], late["buyer_paid_by_other_before"]) == (2.0, 1.0)

    with db() as s:
        since = [r.declaration.id for r in history.replay(s, since=late_day(db))]
    assert since == [declaration(db, 15, day="20270115").id]


def late_day(db: sessionmaker[Session]) -> Any:
    return declaration(db, 15, day="20270115").decl_date


def test_features_written_for_training(
    traffic: Traffic, db: sessionmaker[Session], tmp_path: Any
) -> None:
    for n in range(1, 4):
        traffic.send(n)
    out = tmp_path / "features.csv"
    with db() as s:
        written = history.write(history.replay(s), out)
    assert written == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["declaration_id", "invt_no", "decl_date", "status"]
    assert {"unit_price_ratio", "buyer_lists_30d", "inspected", "seized", "label"} <= set(header)
    assert lines[3].split(",")[header.index("buyer_lists_1d")] == "3.0"


def test_backtest_figures_on_a_hand_built_history(
    make_client: Any, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(inspection_rate=1.0), filed)
    a, b = resident_id(1), resident_id(2)
    traffic.send(1, buyer=a, price="600.00")  # seized
    traffic.send(2, buyer=a, price="600.00")  # conform
    traffic.send(3, buyer=b, price="199.00")  # seized
    traffic.send(4, buyer=b, price="199.00")  # conform
    with db() as s:
        clearance = Clearance(s)
        for n, result in ((1, "seize"), (2, "conform"), (3, "seize"), (4, "conform")):
            invt_no = declaration(db, n).invt_no
            assert invt_no is not None
            clearance.inspection_result(invt_no, result=result, officer="wang.fang", details="x")
        rule_set = service.create_rule_set(
            s,
            RuleSetIn.model_validate(
                {
                    "name": "draft",
                    "rules": [
                        {
                            "name": "high",
                            "when": {">": [{"field": "taxable_value"}, 1000]},
                            "action": "xray",
                        },
                        {
                            "name": "repeat",
                            "when": {">=": [{"feature": "buyer_lists_1d"}, 2]},
                            "action": "review",
                        },
                    ],
                }
            ),
            by=ANALYST,
        )
        s.commit()
        out = service.backtest_out(service.backtest(s, rule_set.id))
    assert (out.lists, out.positives, out.hits, out.seized) == (4, 2, 3, 1)
    assert (out.hit_rate, out.seizure_rate, out.recall) == (0.75, 0.3333, 0.5)
    assert (out.value, out.tax) == (Decimal("2798.00"), Decimal("254.62"))
    assert [(r.rule, r.hits, r.inspected, r.seized, r.seizure_rate) for r in out.rules] == [
        ("high", 2, 2, 1, 0.5),
        ("repeat", 2, 2, 0, 0.0),
    ]
    with db() as s:
        later = service.backtest(s, rule_set.id, since=declaration(db, 1).decl_date.replace(day=12))
    assert later.lists == 0


def test_lists_decided_in_one_batch_see_each_other_as_the_replay_does(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    """A file drop decides many lists in one transaction: what each adds to the aggregates
    is held in memory until clearance flushes, and the next list reads it from there."""
    pool = "广州市天河区体育西路1号"
    plan: list[dict[str, Any]] = [
        {"buyer": resident_id(n % 3), "address": pool, "price": f"{150 + 7 * n}.00"}
        for n in range(1, 13)
    ]
    items = [
        (f"{n:03d}-{i}.xml", data)
        for n, changes in enumerate(plan, start=1)
        for i, (_sender, data) in enumerate(traffic.messages(n, **changes))
    ]
    with db() as s:
        intake = Intake(s, [Clearance(s, Policy(Rates(0, 0)), assessor=RiskControl(s))])
        outcomes = intake.submit(prepare_many(items))
        assert all(o.accepted for o in outcomes)
        s.commit()
    with db() as s:
        live = {
            a.declaration_id: json.loads(a.features)
            for a in s.scalars(select(RiskAssessment).order_by(RiskAssessment.id))
        }
        replayed = {r.declaration.id: r.features for r in history.replay(s)}
        stored_counters = s.scalar(select(func.count()).select_from(RiskCounter))
    assert len(live) == 12
    assert replayed == live
    last = live[declaration(db, 12).id]
    assert (last["address_buyers"], last["buyer_lists_1d"], last["buyer_addresses"]) == (
        3.0,
        4.0,
        1.0,
    )
    assert last["unit_price_ratio"] is not None  # 11 prices of the HS code before it
    assert stored_counters
