"""Case clues: a seizure or a case-clue hit opens a case with its evidence; the case runs
open -> investigating -> closed; its outcome becomes a label."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cbec.store.models import AuditEntry, CaseLabel
from tests.officers.factories import login
from tests.risk.conftest import Traffic, declaration


def test_a_seizure_opens_a_case_that_runs_its_course(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(inspection_rate=1.0), filed)
    client = traffic.client
    traffic.send(1)
    seized = declaration(db, 1)
    inspector, investigator = login(client, "wang.fang"), login(client, "zhao.lei")
    answer = client.post(
        f"/api/v1/declarations/{seized.invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit labels"},
        headers=inspector,
    )
    assert answer.status_code == 200, answer.text
    listed = client.get("/api/v1/risk/cases", headers=investigator).json()
    assert [(c["source"], c["status"], c["openedBy"]) for c in listed] == [
        ("seizure", "open", "wang.fang")
    ]
    case_id = listed[0]["id"]
    case = client.get(f"/api/v1/risk/cases/{case_id}", headers=investigator).json()
    kinds = [(e["kind"], e["ref"]) for e in case["evidence"]]
    assert kinds[0] == ("declaration", seized.invt_no)
    assert sorted(ref.split(":")[0] for kind, ref in kinds if kind == "document") == [
        "inventory",
        "order",
        "payment",
        "waybill",
    ]
    identities = dict(ref.split(":", 1) for kind, ref in kinds if kind == "identity")
    assert identities["buyer"] == "110*************2X"
    assert identities["phone"] == "138****5678"
    assert "建国路" not in identities["address"]
    assert {ref for kind, ref in kinds if kind == "enterprise"} >= {"4401960001", "4401960003"}

    wrong = client.post(
        f"/api/v1/risk/cases/{case_id}/assign", json={"assignee": "li.wei"}, headers=investigator
    )
    assert wrong.status_code == 400
    assert "investigator" in wrong.json()["detail"]
    assigned = client.post(
        f"/api/v1/risk/cases/{case_id}/assign", json={"assignee": "zhao.lei"}, headers=analyst
    )
    assert assigned.json()["assignee"] == "zhao.lei"
    started = client.post(
        f"/api/v1/risk/cases/{case_id}/investigate", json={}, headers=investigator
    )
    assert started.json()["status"] == "investigating"
    again = client.post(f"/api/v1/risk/cases/{case_id}/investigate", json={}, headers=investigator)
    assert again.status_code == 409
    closed = client.post(
        f"/api/v1/risk/cases/{case_id}/close",
        json={"outcome": "confirmed", "note": "forged brand, importer charged"},
        headers=investigator,
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "confirmed")
    reopen = client.post(f"/api/v1/risk/cases/{case_id}/investigate", json={}, headers=investigator)
    assert reopen.status_code == 409
    assert "closed" in reopen.json()["detail"]
    assert (
        client.post(
            f"/api/v1/risk/cases/{case_id}/assign", json={"assignee": "zhao.lei"}, headers=analyst
        ).status_code
        == 409
    )

    with db() as s:
        labels = s.scalars(select(CaseLabel)).all()
        assert [(lb.declaration_id, lb.label, lb.outcome) for lb in labels] == [
            (seized.id, 1, "confirmed")
        ]
        outcome = s.execute(
            text("SELECT seized, inspected, case_label FROM risk_outcomes WHERE invt_no = :n"),
            {"n": seized.invt_no},
        ).one()
        assert tuple(outcome) == (1, 1, 1)
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_kind == "case")
        ).all()
    assert actions == ["case.open", "case.assign", "case.investigate", "case.close"]


def test_case_clue_hits_gather_in_one_case_per_buyer_without_stopping_the_goods(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = traffic.client
    rules = {
        "name": "splitting",
        "rules": [
            {
                "name": "many_a_day",
                "description": "several lists a day",
                "when": {">=": [{"feature": "buyer_lists_1d"}, 2]},
                "action": "case_clue",
            }
        ],
    }
    rule_set = client.post("/api/v1/risk/rule-sets", json=rules, headers=analyst).json()
    client.post(f"/api/v1/risk/rule-sets/{rule_set['id']}/publish", headers=analyst)
    for n in (1, 2, 3):
        traffic.send(n)
    assert [declaration(db, n).status for n in (1, 2, 3)] == [800, 800, 800]
    investigator = login(client, "zhao.lei")
    cases = client.get("/api/v1/risk/cases", headers=investigator).json()
    assert [(c["source"], c["openedBy"]) for c in cases] == [("rule", "risk")]
    case = client.get(f"/api/v1/risk/cases/{cases[0]['id']}", headers=investigator).json()
    assert [e["ref"] for e in case["evidence"] if e["kind"] == "declaration"] == [
        declaration(db, 2).invt_no,
        declaration(db, 3).invt_no,
    ]
    hits = [e for e in case["evidence"] if e["kind"] == "hit"]
    assert [h["details"]["rule"] for h in hits] == ["many_a_day", "many_a_day"]
    client.post(
        f"/api/v1/risk/cases/{cases[0]['id']}/close",
        json={"outcome": "unfounded", "note": "a family ordering for relatives"},
        headers=investigator,
    )
    with db() as s:
        labels = s.scalars(select(CaseLabel.label).order_by(CaseLabel.id)).all()
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_kind == "case")
        ).all()
    assert labels == [0, 0]
    assert actions == ["case.open", "case.evidence", "case.close"]


def test_a_seizure_of_a_buyers_list_joins_the_case_a_rule_opened_about_that_buyer(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(inspection_rate=1.0), filed)
    client = traffic.client
    rules = {
        "name": "dear",
        "rules": [
            {
                "name": "dear_formula",
                "description": "formula over 1,000 CNY",
                "when": {">": [{"field": "taxable_value"}, 1000]},
                "action": "case_clue",
            }
        ],
    }
    rule_set = client.post("/api/v1/risk/rule-sets", json=rules, headers=analyst).json()
    client.post(f"/api/v1/risk/rule-sets/{rule_set['id']}/publish", headers=analyst)
    traffic.send(1, price="600.00")  # a clue: the rule opens a case about the buyer
    traffic.send(2)  # the same buyer's cheaper list: no clue, inspected at random
    first, second = declaration(db, 1), declaration(db, 2)
    inspector, investigator = login(client, "wang.fang"), login(client, "zhao.lei")
    seized = client.post(
        f"/api/v1/declarations/{second.invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit labels"},
        headers=inspector,
    )
    assert seized.status_code == 200, seized.text

    listed = client.get("/api/v1/risk/cases", headers=investigator).json()
    assert [(c["source"], c["status"]) for c in listed] == [("rule", "open")]
    case = client.get(f"/api/v1/risk/cases/{listed[0]['id']}", headers=investigator).json()
    assert [e["ref"] for e in case["evidence"] if e["kind"] == "declaration"] == [
        first.invt_no,
        second.invt_no,
    ]
    # what the seizure said joins the case too (the case's title is the rule's clue)
    clues = [e["details"] for e in case["evidence"] if e["kind"] == "clue"]
    assert [(c["source"], c["by"]) for c in clues] == [("seizure", "wang.fang")]
    assert "counterfeit labels" in clues[0]["text"]
    with db() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_kind == "case")
        ).all()
    assert actions == ["case.open", "case.evidence"]


def test_the_case_is_told_when_its_seized_list_is_released(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    """The seizure opened a case; when anti-smuggling later releases the list, the case
    says so (a later clue), so the investigator working it does not go on from a stale
    picture. A release with no open case about the buyer opens none."""
    traffic = Traffic(make_client(inspection_rate=1.0), filed)
    client = traffic.client
    traffic.send(1)
    listed = declaration(db, 1)
    inspector, investigator = login(client, "wang.fang"), login(client, "zhao.lei")
    client.post(
        f"/api/v1/declarations/{listed.invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit labels"},
        headers=inspector,
    )
    released = client.post(
        f"/api/v1/declarations/{listed.invt_no}/detention",
        json={"action": "release", "reason": "brand owner confirmed; buyer tel 13812345678"},
        headers=investigator,
    )
    assert released.status_code == 200, released.text
    [case] = client.get("/api/v1/risk/cases", headers=investigator).json()
    detail = client.get(f"/api/v1/risk/cases/{case['id']}", headers=investigator).json()
    [clue] = [e["details"] for e in detail["evidence"] if e["kind"] == "clue"]
    assert f"list {listed.invt_no} (502) released from detention by zhao.lei" in clue["text"]
    assert "138****5678" in clue["text"]  # masked

    closed = client.post(
        f"/api/v1/risk/cases/{case['id']}/close",
        json={"outcome": "unfounded", "note": "labels genuine"},
        headers=investigator,
    )
    assert closed.status_code == 200, closed.text
    traffic.send(2)
    second = declaration(db, 2)
    client.post(
        f"/api/v1/declarations/{second.invt_no}/inspection",
        json={"result": "discrepancy", "details": "weight", "detention": 599},
        headers=inspector,
    )
    client.post(
        f"/api/v1/declarations/{second.invt_no}/detention",
        json={"action": "return", "reason": "not as declared"},
        headers=inspector,
    )
    still = client.get("/api/v1/risk/cases", headers=investigator).json()
    assert [(c["id"], c["status"]) for c in still] == [(case["id"], "closed")]  # none opened
    after = client.get(f"/api/v1/risk/cases/{case['id']}", headers=investigator).json()
    assert len([e for e in after["evidence"] if e["kind"] == "clue"]) == 1  # a closed case is left
