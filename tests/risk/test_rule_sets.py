"""Rule sets as data: validation naming paths, the draft -> published -> retired lifecycle
(published is immutable), and the audit log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.risk import rulebook, service
from cbec.risk.schemas import RuleSetIn
from cbec.store.models import AuditEntry, Rule

ANALYST = Actor.officer("chen.jing")

RULES: dict[str, Any] = {
    "name": "undervaluation",
    "rules": [
        {
            "name": "cheap",
            "description": "unit price far under the reference",
            "when": {"<": [{"feature": "unit_price_ratio"}, 0.3]},
            "action": "xray",
            "score": 40,
            "scope": {"hsChapters": ["19", "33"], "tradeModes": ["9610"]},
        }
    ],
}


def draft(session: Session, payload: dict[str, Any] | None = None) -> int:
    rule_set = service.create_rule_set(
        session, RuleSetIn.model_validate(payload or RULES), by=ANALYST
    )
    return rule_set.id


def test_validation_names_the_json_path_and_rule_of_every_problem() -> None:
    payload = {
        "name": "x",
        "rules": [
            {"name": "ok", "when": {"<": [{"feature": "unit_price_ratio"}, 0.3]}, "action": "xray"},
            {
                "name": "bad",
                "when": {"and": [{">": [{"feature": "ebc_class"}, 1]}, {"feature": "nope"}]},
                "action": "hold",
            },
            {"name": "Bad Name", "when": True, "action": "review", "score": 101},
        ],
    }
    problems = [(p.path, p.rule) for p in service.validate(payload)]
    assert problems == [
        ("rules[2]/name", "string_pattern_mismatch"),
        ("rules[2]/score", "less_than_equal"),
    ]
    payload["rules"] = payload["rules"][:2]
    problems = [(p.path, p.rule) for p in service.validate(payload)]
    assert problems == [
        ("rules[1]/when/and[0]/>[0]", "type"),
        ("rules[1]/when/and[1]/feature", "unknown_feature"),
    ]
    assert service.validate(RULES) == []


def test_duplicate_rule_names_and_wrong_windows_are_refused() -> None:
    twice = {"name": "x", "rules": [RULES["rules"][0], RULES["rules"][0]]}
    assert "two rules are called 'cheap'" in service.validate(twice)[0].message
    window = {
        **RULES["rules"][0],
        "effectiveFrom": "2026-12-01T00:00:00+08:00",
        "effectiveTo": "2026-11-01T00:00:00+08:00",
    }
    assert (
        "effectiveTo must come after"
        in service.validate({"name": "x", "rules": [window]})[0].message
    )
    naive = {**RULES["rules"][0], "effectiveFrom": "2026-12-01T00:00:00"}
    assert service.validate({"name": "x", "rules": [naive]})[0].path == "rules[0]/effectiveFrom"


def test_lifecycle_draft_published_retired(session: Session) -> None:
    rule_set_id = draft(session)
    changed = {**RULES, "name": "undervaluation v2"}
    edited = service.update_rule_set(
        session, rule_set_id, RuleSetIn.model_validate(changed), by=ANALYST
    )
    assert (edited.revision, edited.name) == (2, "undervaluation v2")
    service.set_shadow(session, rule_set_id, True, by=ANALYST)
    assert rulebook.current(session).shadow[0].code == f"R{rule_set_id}.cheap"

    published = service.publish(session, rule_set_id, by=ANALYST)
    assert (published.status, published.shadow, published.published_by) == (
        "published",
        False,
        "chen.jing",
    )
    book = rulebook.current(session)
    assert [r.name for r in book.live] == ["cheap"]
    assert book.shadow == ()

    with pytest.raises(service.RuleSetImmutable, match="published sets are immutable"):
        service.update_rule_set(session, rule_set_id, RuleSetIn.model_validate(RULES), by=ANALYST)
    with pytest.raises(service.RuleSetImmutable):
        service.publish(session, rule_set_id, by=ANALYST)
    with pytest.raises(service.RuleSetImmutable):
        service.set_shadow(session, rule_set_id, True, by=ANALYST)

    retired = service.retire(session, rule_set_id, by=ANALYST)
    assert retired.status == "retired"
    assert rulebook.current(session).live == ()
    with pytest.raises(service.RuleSetImmutable, match="already retired"):
        service.retire(session, rule_set_id, by=ANALYST)
    with pytest.raises(service.RuleSetImmutable):
        service.publish(session, rule_set_id, by=ANALYST)
    with pytest.raises(service.NotFound):
        service.publish(session, rule_set_id + 100, by=ANALYST)

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.subject_key == str(rule_set_id)).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("rule_set.create", "chen.jing"),
        ("rule_set.update", "chen.jing"),
        ("rule_set.shadow", "chen.jing"),
        ("rule_set.publish", "chen.jing"),
        ("rule_set.retire", "chen.jing"),
    ]
    assert '"when":{"<":[{"feature":"unit_price_ratio"},0.3]}' in entries[0].details


def test_invalid_rules_are_never_stored(session: Session) -> None:
    bad = {**RULES, "rules": [{**RULES["rules"][0], "when": {"<": [{"feature": "x"}, 1]}}]}
    with pytest.raises(service.InvalidRules) as caught:
        service.create_rule_set(session, RuleSetIn.model_validate(bad), by=ANALYST)
    assert caught.value.fields[0].path == "rules[0]/when/<[0]/feature"
    assert caught.value.status_code == 400


def test_a_scope_naming_an_enterprise_not_filed_is_refused_with_the_store(
    session: Session, filed: dict[str, str]
) -> None:
    scoped = {**RULES["rules"][0], "scope": {"enterprises": ["4401960002", "44019600O1"]}}
    payload = {**RULES, "rules": [RULES["rules"][0], scoped | {"name": "scoped"}]}
    problems = [(p.path, p.rule) for p in service.validate(payload, session)]
    assert problems == [("rules[1]/scope/enterprises[1]", "filed")]
    assert service.validate(payload) == []  # without the store: the shape only
    with pytest.raises(service.InvalidRules) as caught:
        draft(session, payload)
    assert [(f.path, f.rule) for f in caught.value.fields] == problems
    rule_set_id = draft(session)
    with pytest.raises(service.InvalidRules):
        service.update_rule_set(session, rule_set_id, RuleSetIn.model_validate(payload), by=ANALYST)


def test_a_between_with_its_bounds_reversed_is_refused(session: Session) -> None:
    reversed_bounds = {"between": [{"feature": "unit_price_ratio"}, 2, 1]}
    rule = {**RULES["rules"][0], "when": {"and": [{"feature": "payer_not_buyer"}, reversed_bounds]}}
    payload = {**RULES, "rules": [rule]}
    [problem] = service.validate(payload)
    assert (problem.path, problem.rule) == ("rules[0]/when/and[1]/between", "between.order")
    assert problem.message == "the low bound 2 is above the high bound 1: never true"
    with pytest.raises(service.InvalidRules) as caught:
        draft(session, payload)
    assert caught.value.fields == [problem]
    one_value = {"between": [{"feature": "unit_price_ratio"}, 0.5, 0.5]}
    assert service.validate({**RULES, "rules": [{**rule, "when": one_value}]}) == []

    # a draft stored before the check is not published
    rule_set_id = draft(session)
    session.execute(update(Rule).values(expression=json.dumps(reversed_bounds)))
    with pytest.raises(service.InvalidRules) as caught:
        service.publish(session, rule_set_id, by=ANALYST)
    assert [(f.path, f.rule) for f in caught.value.fields] == [
        ("rules[0]/when/between", "between.order")
    ]
