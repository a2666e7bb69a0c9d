"""Risk control end to end over the API: a published rule sends the next matching list to
inspection with its reason; a draft in the shadow changes nothing; a control instruction
reaches lists already decided and the next ones; roles are checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cbec.clearance.wiring import listener_factory
from cbec.risk.assessor import ModelScore
from cbec.risk.features import MODEL_COLUMNS
from cbec.risk.wiring import assessor_factory
from cbec.store.models import AuditEntry, RiskAssessment, Rule, RuleHit
from tests.intake.conftest import auth
from tests.officers.factories import login
from tests.risk.conftest import AGENT, BUYER, Traffic, declaration

HIGH_VALUE: dict[str, Any] = {
    "name": "milk powder watch",
    "description": "high-value formula",
    "rules": [
        {
            "name": "high_value",
            "description": "formula over 1,000 CNY",
            "when": {
                "and": [
                    {">": [{"field": "taxable_value"}, 1000]},
                    {"prefix": [{"field": "hs_codes"}, ["1901"]]},
                ]
            },
            "action": "open_inspection",
            "score": 60,
        }
    ],
}


def receipts(traffic: Traffic) -> list[tuple[int, str]]:
    body = traffic.client.get(
        "/api/v1/receipts?limit=200", headers=auth(traffic.tokens[AGENT])
    ).json()
    return [(r["returnStatus"], r["returnInfo"]) for r in body["receipts"]]


def test_a_published_rule_sends_the_next_matching_list_to_inspection_with_its_reason(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = traffic.client
    created = client.post("/api/v1/risk/rule-sets", json=HIGH_VALUE, headers=analyst)
    assert created.status_code == 201, created.text
    rule_set = created.json()
    assert rule_set["status"] == "draft"
    traffic.send(1, price="600.00")  # a draft decides nothing
    assert declaration(db, 1).status == 800

    published = client.post(f"/api/v1/risk/rule-sets/{rule_set['id']}/publish", headers=analyst)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    traffic.send(2, price="600.00")
    traffic.send(3, price="199.00")  # does not match: released
    matched, other = declaration(db, 2), declaration(db, 3)
    assert (matched.status, other.status) == (500, 800)
    code = f"R{rule_set['id']}.high_value"
    assert f"[{code}] formula over 1,000 CNY (hs_codes=[1901101010], taxable_value=1200)" in (
        matched.reasons
    )
    shown = client.get(f"/api/v1/declarations/{matched.invt_no}", headers=analyst).json()
    assert shown["status"] == 500
    assert shown["inspectionKind"] == "open"
    assert code in shown["reasons"]
    # the sender learns the new status, not the rule that caught it (officers see it above)
    told = [info for s, info in receipts(traffic) if s in (399, 500)]
    assert told
    assert not any(code in info or "high_value" in info for info in told)

    reviewer = login(client, "li.wei")
    seen = client.get(f"/api/v1/risk/declarations/{matched.invt_no}/assessment", headers=reviewer)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["features"]["buyer_lists_1d"] == 2.0  # lists 1 and 2 of the buyer that day
    assert [(h["ruleName"], h["mode"], h["values"]) for h in body["hits"]] == [
        (
            "high_value",
            "live",
            {"field.hs_codes": ["1901101010"], "field.taxable_value": 1200.0},
        )
    ]
    assert body["rulesScore"] == 60.0

    retired = client.post(f"/api/v1/risk/rule-sets/{rule_set['id']}/retire", headers=analyst)
    assert retired.json()["status"] == "retired"
    traffic.send(4, price="600.00")
    assert declaration(db, 4).status == 800
    with db() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_kind == "rule_set")
        ).all()
    assert actions == ["rule_set.create", "rule_set.publish", "rule_set.retire"]


def test_a_draft_in_the_shadow_records_hits_and_changes_no_decision(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = traffic.client
    hold_everything = {
        "name": "too eager",
        "rules": [
            {"name": "all", "when": {">=": [{"feature": "buyer_lists_1d"}, 1]}, "action": "hold"}
        ],
    }
    rule_set = client.post("/api/v1/risk/rule-sets", json=hold_everything, headers=analyst).json()
    on = client.post(
        f"/api/v1/risk/rule-sets/{rule_set['id']}/shadow", json={"on": True}, headers=analyst
    )
    assert on.json()["shadow"] is True
    traffic.send(1)
    traffic.send(2)
    assert [declaration(db, n).status for n in (1, 2)] == [800, 800]
    hits = client.get(
        f"/api/v1/risk/hits?ruleSetId={rule_set['id']}&mode=shadow", headers=analyst
    ).json()
    assert [(h["invtNo"], h["values"]) for h in hits] == [
        (declaration(db, 1).invt_no, {"feature.buyer_lists_1d": 1.0}),
        (declaration(db, 2).invt_no, {"feature.buyer_lists_1d": 2.0}),
    ]
    listed = client.get(f"/api/v1/risk/rule-sets/{rule_set['id']}", headers=analyst).json()
    assert (listed["shadowHits"], listed["liveHits"]) == (2, 0)
    client.post(
        f"/api/v1/risk/rule-sets/{rule_set['id']}/shadow", json={"on": False}, headers=analyst
    )
    traffic.send(3)
    assert len(client.get("/api/v1/risk/hits?mode=shadow", headers=analyst).json()) == 2


def test_a_control_instruction_redecides_a_list_in_review_and_reaches_the_next_ones(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(review_rate=1.0), filed)
    headers = login(traffic.client, "chen.jing")
    traffic.send(1)
    waiting = declaration(db, 1)
    assert waiting.status == 300
    issued = traffic.client.post(
        "/api/v1/risk/instructions",
        json={
            "targetKind": "buyer",
            "targetValue": BUYER,
            "action": "hold",
            "reason": "identity reported stolen",
        },
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["redecided"] == [waiting.invt_no]
    assert body["targetValue"] == "110*************2X"
    held = declaration(db, 1)
    assert held.status == 599
    assert f"[I{body['id']}] control instruction" in held.reasons
    assert [s for s, _ in receipts(traffic)][-2:] == [399, 599]

    traffic.send(2)  # decided with the instruction in force: held, not reviewed
    assert declaration(db, 2).status == 599
    assert "identity reported stolen" in declaration(db, 2).reasons

    lifted = traffic.client.post(
        f"/api/v1/risk/instructions/{body['id']}/lift", json={"reason": "cleared"}, headers=headers
    )
    assert lifted.json()["status"] == "lifted"
    traffic.send(3)
    assert declaration(db, 3).status == 300
    hits = traffic.client.get("/api/v1/risk/hits?source=instruction", headers=headers).json()
    assert [h["invtNo"] for h in hits] == [declaration(db, n).invt_no for n in (1, 2)]


def test_an_instruction_by_hs_code_opens_an_x_rayed_list(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(inspection_rate=1.0), filed)
    headers = login(traffic.client, "chen.jing")
    traffic.send(1)
    assert (declaration(db, 1).status, declaration(db, 1).inspection_kind) == (500, "xray")
    issued = traffic.client.post(
        "/api/v1/risk/instructions",
        json={
            "targetKind": "hs_code",
            "targetValue": "1901",
            "action": "open_inspection",
            "reason": "melamine alert",
        },
        headers=headers,
    ).json()
    assert issued["redecided"] == [declaration(db, 1).invt_no]
    assert (declaration(db, 1).status, declaration(db, 1).inspection_kind) == (500, "open")


def test_roles_are_checked(traffic: Traffic, analyst: dict[str, str]) -> None:
    client = traffic.client
    reviewer, inspector = login(client, "li.wei"), login(client, "wang.fang")
    investigator = login(client, "zhao.lei")
    assert client.post("/api/v1/risk/rule-sets", json=HIGH_VALUE).status_code == 401
    refused = client.post("/api/v1/risk/rule-sets", json=HIGH_VALUE, headers=reviewer)
    assert refused.status_code == 403
    assert "risk_analyst" in refused.json()["detail"]
    instruction = {"targetKind": "list", "targetValue": "X", "action": "hold", "reason": "r"}
    assert (
        client.post("/api/v1/risk/instructions", json=instruction, headers=inspector).status_code
        == 403
    )
    assert client.get("/api/v1/risk/rule-sets", headers=reviewer).status_code == 200
    assert client.get("/api/v1/risk/features", headers=inspector).status_code == 200
    assert client.get("/api/v1/risk/cases", headers=reviewer).status_code == 403
    assert client.get("/api/v1/risk/cases", headers=investigator).status_code == 200
    assert client.get("/api/v1/risk/flags", headers=investigator).status_code == 403


def test_rule_errors_name_the_path_over_the_api(traffic: Traffic, analyst: dict[str, str]) -> None:
    client = traffic.client
    bad = {
        "name": "typos",
        "rules": [
            {"name": "ok", "when": {">": [{"field": "taxable_value"}, 1]}, "action": "review"},
            {
                "name": "bad",
                "when": {"<": [{"feature": "unit_prise_ratio"}, 0.3]},
                "action": "xray",
            },
        ],
    }
    answer = client.post("/api/v1/risk/rule-sets", json=bad, headers=analyst)
    assert answer.status_code == 400
    assert answer.json()["fields"][0]["path"] == "rules[1]/when/<[0]/feature"
    assert answer.json()["fields"][0]["rule"] == "unknown_feature"
    checked = client.post(
        "/api/v1/risk/rule-sets/validate",
        json={"name": "x", "rules": [{"name": "a", "when": True, "action": "jail"}]},
        headers=analyst,
    ).json()
    assert checked["valid"] is False
    assert [(p["path"], p["rule"]) for p in checked["problems"]] == [("rules[0]/action", "enum")]


def test_a_learned_model_plugs_in_as_a_scorer(traffic: Traffic, db: sessionmaker[Session]) -> None:
    seen: list[Mapping[str, Any]] = []

    def scorer(row: Mapping[str, Any]) -> ModelScore:
        seen.append(row)
        high = row["taxable_value"] > 1000
        return ModelScore(0.95 if high else 0.1, "sim-v1", (("unit_price_ratio", 0.31),))

    app = traffic.client.app
    settings = app.state.settings  # type: ignore[attr-defined]
    app.state.intake_listeners = [  # type: ignore[attr-defined]
        listener_factory(settings, assessor=assessor_factory(settings, scorer=scorer))
    ]
    traffic.send(1, price="600.00")
    traffic.send(2)
    scored, low = declaration(db, 1), declaration(db, 2)
    assert (scored.status, scored.inspection_kind, low.status) == (500, "xray", 800)
    assert "[M.score] model sim-v1 score 0.950; top: unit_price_ratio +0.310" in scored.reasons
    assert list(seen[0]) == list(MODEL_COLUMNS)
    assert seen[0]["hs_chapter"] == "19"
    with db() as s:
        hits = s.scalars(select(RuleHit).where(RuleHit.source == "model")).all()
        scores = s.scalars(select(RiskAssessment.model_score).order_by(RiskAssessment.id)).all()
    assert [(h.declaration_id, h.action, h.score) for h in hits] == [(scored.id, "xray", 0.95)]
    assert scores == [0.95, 0.1]


def test_filters_of_unknown_values_are_refused_naming_the_parameter(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    for url, parameter, allowed in (
        ("/api/v1/risk/hits?mode=bogus", "mode", "live|shadow"),
        ("/api/v1/risk/hits?source=bogus", "source", "rule|instruction|model"),
        ("/api/v1/risk/cases?status=bogus", "status", "open|investigating|closed"),
        ("/api/v1/risk/rule-sets?status=bogus", "status", "draft|published|retired"),
        ("/api/v1/risk/instructions?status=bogus", "status", "active|lifted"),
    ):
        answer = traffic.client.get(url, headers=analyst)
        assert answer.status_code == 422, (url, answer.text)
        [problem] = answer.json()["fields"]
        assert problem["path"] == f"query/{parameter}"
        assert allowed in problem["message"]


def test_a_class_for_an_enterprise_not_filed_is_refused(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    url = "/api/v1/risk/enterprise-classes"
    refused = traffic.client.post(
        url, json={"enterpriseCode": "9999999999", "classCode": "C"}, headers=analyst
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"] == [
        {
            "path": "enterpriseCode",
            "rule": "filed",
            "message": "no enterprise with the customs code '9999999999' is filed",
        }
    ]
    done = traffic.client.post(
        url, json={"enterpriseCode": AGENT, "classCode": "C"}, headers=analyst
    )
    assert done.status_code == 201, done.text


def test_an_instruction_on_an_enterprise_not_filed_is_refused(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    body = {"targetKind": "enterprise", "action": "xray", "reason": "tip-off"}
    refused = traffic.client.post(
        "/api/v1/risk/instructions", json={**body, "targetValue": "nope"}, headers=analyst
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"] == [
        {
            "path": "targetValue",
            "rule": "filed",
            "message": "no enterprise with the customs code 'nope' is filed",
        }
    ]
    assert traffic.client.get("/api/v1/risk/instructions", headers=analyst).json() == []
    issued = traffic.client.post(
        "/api/v1/risk/instructions", json={**body, "targetValue": AGENT}, headers=analyst
    )
    assert issued.status_code == 201, issued.text


def test_an_instruction_reason_naming_an_identity_is_masked_on_every_list_it_stops(
    make_client: Any, filed: dict[str, str], analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    traffic = Traffic(make_client(review_rate=1.0), filed)
    headers = login(traffic.client, "chen.jing")
    traffic.send(1)
    reason = f"buyer {BUYER} reported the card stolen; call back 13912345678"
    issued = traffic.client.post(
        "/api/v1/risk/instructions",
        json={"targetKind": "buyer", "targetValue": BUYER, "action": "hold", "reason": reason},
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    masked = "buyer 110*************2X reported the card stolen; call back 139****5678"
    assert issued.json()["reason"] == masked
    traffic.send(2)  # decided in real time with the instruction in force
    reviewer = login(traffic.client, "li.wei")
    for n in (1, 2):
        shown = traffic.client.get(
            f"/api/v1/declarations/{declaration(db, n).invt_no}", headers=reviewer
        ).json()
        assert shown["status"] == 599
        assert masked in shown["reasons"]
        texts = [shown["reasons"], *(e["reason"] for e in shown["events"])]
        assert not [t for t in texts if BUYER in t or "13912345678" in t]
    hits = traffic.client.get("/api/v1/risk/hits?source=instruction", headers=headers).json()
    assert [h["message"] for h in hits] == [masked, masked]
    listed = traffic.client.get("/api/v1/risk/instructions", headers=headers).json()
    assert [i["reason"] for i in listed] == [masked]
    lifted = traffic.client.post(
        f"/api/v1/risk/instructions/{issued.json()['id']}/lift",
        json={"reason": f"{BUYER} found the card"},
        headers=headers,
    )
    assert lifted.status_code == 200, lifted.text
    with db() as s:
        logged = s.scalars(
            select(AuditEntry.reason).where(AuditEntry.subject_kind == "control_instruction")
        ).all()
    assert logged == [masked, "110*************2X found the card"]


def test_a_class_set_by_an_analyst_samples_the_enterprises_lists_at_its_rates(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    url = "/api/v1/risk/enterprise-classes"
    unknown = traffic.client.post(
        url, json={"enterpriseCode": AGENT, "classCode": "Z"}, headers=analyst
    )
    assert unknown.status_code == 422, unknown.text
    assert [f["path"] for f in unknown.json()["fields"]] == ["body/classCode"]
    done = traffic.client.post(
        url,
        json={"enterpriseCode": AGENT, "classCode": "D", "reason": "forged invoices"},
        headers=analyst,
    )
    assert done.status_code == 201, done.text
    portrait = traffic.client.get(f"/api/v1/portrait/enterprises/{AGENT}", headers=analyst).json()
    in_force = portrait["classInForce"]
    assert (in_force["classCode"], in_force["reviewRate"], in_force["openRate"]) == ("D", 0.5, 0.4)
    for n in range(1, 11):
        traffic.send(n)
    reasons = [declaration(db, n).reasons for n in range(1, 11)]
    # class D inspects 85% of its direct-purchase lists; no other sampling is on
    stopped = [r for r in reasons if "[S.inspection]" in r]
    assert len(stopped) >= 6, reasons
    assert "at rate 85.00%" in stopped[0]


def test_a_buyer_instruction_needs_a_resident_id_number(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    body = {"targetKind": "buyer", "action": "hold", "reason": "identity reported stolen"}
    url = "/api/v1/risk/instructions"
    for typo in ("1101051949123100", "110105 1949 1231 002X", "zhang.san"):
        refused = traffic.client.post(url, json={**body, "targetValue": typo}, headers=analyst)
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["fields"]
        assert problem["path"] == "body/targetValue"
        assert "resident ID number" in problem["message"]
    assert traffic.client.get(url, headers=analyst).json() == []
    # written as a form may give it: blanks around it and a lower-case check character
    lower = f" {BUYER.lower()} "
    issued = traffic.client.post(url, json={**body, "targetValue": lower}, headers=analyst)
    assert issued.status_code == 201, issued.text
    traffic.send(1)
    assert declaration(db, 1).status == 599


def test_an_instruction_flag_or_class_ending_before_it_starts_is_refused(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    backwards = {"validFrom": "2026-12-01T00:00:00+08:00", "validTo": "2026-11-01T00:00:00+08:00"}
    bodies = {
        "/api/v1/risk/instructions": {
            "targetKind": "enterprise",
            "targetValue": AGENT,
            "action": "hold",
            "reason": "tip-off",
        },
        "/api/v1/risk/flags": {
            "subjectKind": "identity",
            "subjectKey": BUYER,
            "source": "payment",
            "kind": "identity_unverified",
            "score": 0.6,
        },
        "/api/v1/risk/enterprise-classes": {"enterpriseCode": AGENT, "classCode": "C"},
    }
    for url, body in bodies.items():
        refused = traffic.client.post(url, json={**body, **backwards}, headers=analyst)
        assert refused.status_code == 422, (url, refused.text)
        [problem] = refused.json()["fields"]
        assert problem["path"] == "body/validTo"
        assert "after validFrom" in problem["message"]
    assert traffic.client.get("/api/v1/risk/instructions", headers=analyst).json() == []
    assert traffic.client.get("/api/v1/risk/flags", headers=analyst).json() == []


def test_a_rule_scoped_to_an_enterprise_not_filed_is_refused(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    rule = {**HIGH_VALUE["rules"][0], "scope": {"enterprises": [AGENT, "44019600O1"]}}
    body = {**HIGH_VALUE, "rules": [rule]}
    unfiled = [
        {
            "path": "rules[0]/scope/enterprises[1]",
            "rule": "filed",
            "message": "no enterprise with the customs code '44019600O1' is filed",
        }
    ]
    client = traffic.client
    checked = client.post("/api/v1/risk/rule-sets/validate", json=body, headers=analyst).json()
    assert checked == {"valid": False, "problems": unfiled}
    refused = client.post("/api/v1/risk/rule-sets", json=body, headers=analyst)
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"] == unfiled
    assert client.get("/api/v1/risk/rule-sets", headers=analyst).json() == []

    draft = client.post("/api/v1/risk/rule-sets", json=HIGH_VALUE, headers=analyst)
    assert draft.status_code == 201, draft.text
    url = f"/api/v1/risk/rule-sets/{draft.json()['id']}"
    edited = client.put(url, json=body, headers=analyst)
    assert edited.status_code == 400, edited.text
    assert edited.json()["fields"] == unfiled
    assert client.get(url, headers=analyst).json()["rules"][0]["scope"]["enterprises"] == []

    rule["scope"] = {"enterprises": [AGENT]}
    assert client.put(url, json=body, headers=analyst).status_code == 200


def test_a_rule_description_naming_an_identity_is_masked_on_every_list_it_hits(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = traffic.client
    clear = f"buyer {BUYER} resells formula; phone 13912345678"
    masked = "buyer 110*************2X resells formula; phone 139****5678"
    rule = {**HIGH_VALUE["rules"][0], "description": clear}
    created = client.post(
        "/api/v1/risk/rule-sets", json={**HIGH_VALUE, "rules": [rule]}, headers=analyst
    )
    assert created.status_code == 201, created.text
    assert created.json()["rules"][0]["description"] == masked
    with db() as s:
        logged = s.scalars(select(AuditEntry.details).where(AuditEntry.action == "rule_set.create"))
        assert masked in logged.one()
        # a rule stored before descriptions were masked on the way in
        s.execute(update(Rule).values(description=clear))
        s.commit()
    rule_set_id = created.json()["id"]
    shown = client.get(f"/api/v1/risk/rule-sets/{rule_set_id}", headers=analyst).json()
    assert shown["rules"][0]["description"] == masked
    published = client.post(f"/api/v1/risk/rule-sets/{rule_set_id}/publish", headers=analyst)
    assert published.status_code == 200, published.text
    traffic.send(1, price="600.00")
    reasons = declaration(db, 1).reasons
    assert f"[R{rule_set_id}.high_value] {masked} (" in reasons
    assert not [n for n in (BUYER, "13912345678") if n in reasons]
    [hit] = client.get("/api/v1/risk/hits?source=rule", headers=analyst).json()
    assert hit["message"].startswith(f"{masked} (")
    with db() as s:
        stored = s.scalars(select(RuleHit.message)).one()
    assert not [n for n in (BUYER, "13912345678") if n in stored]


def test_a_between_that_can_never_be_true_is_refused_over_the_api(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    rule = {**HIGH_VALUE["rules"][0], "when": {"between": [{"field": "taxable_value"}, 2000, 1000]}}
    body = {**HIGH_VALUE, "rules": [rule]}
    refused = traffic.client.post("/api/v1/risk/rule-sets", json=body, headers=analyst)
    assert refused.status_code == 400, refused.text
    assert [(f["path"], f["rule"]) for f in refused.json()["fields"]] == [
        ("rules[0]/when/between", "between.order")
    ]
    assert traffic.client.get("/api/v1/risk/rule-sets", headers=analyst).json() == []


def test_a_backtest_ending_before_it_starts_is_refused(
    traffic: Traffic, analyst: dict[str, str]
) -> None:
    created = traffic.client.post("/api/v1/risk/rule-sets", json=HIGH_VALUE, headers=analyst)
    url = f"/api/v1/risk/rule-sets/{created.json()['id']}/backtest"
    traffic.send(1, price="600.00")
    refused = traffic.client.post(
        url, json={"since": "2026-11-12", "until": "2026-11-11"}, headers=analyst
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["fields"] == [
        {
            "path": "until",
            "rule": "after",
            "message": "the backtest must end on or after its first day (2026-11-12)",
        }
    ]
    one_day = traffic.client.post(
        url, json={"since": "2026-11-11", "until": "2026-11-11"}, headers=analyst
    )
    assert (one_day.json()["lists"], one_day.json()["hits"]) == (1, 1)


def test_an_instruction_already_ended_is_refused(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session]
) -> None:
    url = "/api/v1/risk/instructions"
    body = {"targetKind": "enterprise", "targetValue": AGENT, "action": "hold", "reason": "tip"}
    ended = {**body, "validTo": "2020-01-01T00:00:00+08:00"}
    refused = traffic.client.post(url, json=ended, headers=analyst)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["fields"]
    assert problem["path"] == "body/validTo"
    assert "already past" in problem["message"]
    assert traffic.client.get(f"{url}?status=active", headers=analyst).json() == []
    ahead = {**body, "validTo": "2999-01-01T00:00:00+08:00"}
    issued = traffic.client.post(url, json=ahead, headers=analyst)
    assert issued.status_code == 201, issued.text
    traffic.send(1)
    assert declaration(db, 1).status == 599
