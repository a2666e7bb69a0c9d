"""The risk pages: rule sets with each rule's hits and seizure rate, the rule editor for
drafts (validate, save, backtest, shadow, publish, retire), the case clues with their
evidence (a network's picture drawn inline) and their lifecycle, and the workbench's
"open case clue".

Every change goes through :mod:`cbec.risk.service` or :mod:`cbec.risk.cases`, which write
the audit log; identities are shown masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.errors import BadRequest, FieldError
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.privacy import scrub
from cbec.risk import cases, repository, service
from cbec.risk.features import FEATURES, FIELDS, pseudonym
from cbec.risk.history import facts_from_store
from cbec.risk.schemas import EvidenceOut, RuleOut
from cbec.store.models import (
    Case,
    CaseLabel,
    Declaration,
    DeclarationEvent,
    Officer,
    RuleHit,
    RuleSet,
)
from cbec.web import signin

#: Who reads the rule sets (as ``GET /api/v1/risk/rule-sets``); risk analysts change them.
RULE_READERS = (Role.RISK_ANALYST, Role.REVIEWER, Role.INSPECTOR, Role.INVESTIGATOR)
#: Who works the cases (as ``/api/v1/risk/cases``) and opens a case clue from a list.
CASE_WORKERS = (Role.INVESTIGATOR, Role.RISK_ANALYST)
SEIZED = 502

#: What the editor starts a new draft from.
TEMPLATE = {
    "name": "new-rules",
    "description": "",
    "rules": [
        {
            "name": "undervalued",
            "description": "unit price far under the usual price of the HS code",
            "when": {"<": [{"feature": "unit_price_ratio"}, 0.4]},
            "action": "review",
            "score": 40,
        }
    ],
}


# -- rules ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Figures:
    """What one rule hit on live traffic (and in the shadow): lists hit, inspected,
    seized or confirmed by a closed case."""

    live: int = 0
    shadow: int = 0
    lists: int = 0
    inspected: int = 0
    positive: int = 0

    @property
    def seizure_rate(self) -> float | None:
        return self.positive / self.lists if self.lists else None


@dataclass(slots=True)
class RuleRow:
    rule: RuleOut
    figures: Figures


@dataclass(slots=True)
class SetRow:
    rule_set: RuleSet
    rules: list[RuleRow] = field(default_factory=list)

    @property
    def live(self) -> int:
        return sum(r.figures.live for r in self.rules)

    @property
    def shadow(self) -> int:
        return sum(r.figures.shadow for r in self.rules)


def rule_figures(session: Session, rule_set_ids: list[int]) -> dict[tuple[int, str], Figures]:
    """Per (rule set, rule): hits live and in the shadow, lists hit live, and of those how
    many were inspected and how many seized (or confirmed by a closed case)."""
    if not rule_set_ids:
        return {}
    seized = select(DeclarationEvent.declaration_id).where(DeclarationEvent.to_status == SEIZED)
    confirmed = select(CaseLabel.declaration_id).where(CaseLabel.label == 1)
    inspected = select(DeclarationEvent.declaration_id).where(DeclarationEvent.to_status == 500)
    live = RuleHit.mode == "live"
    rows = session.execute(
        select(
            RuleHit.rule_set_id,
            RuleHit.rule_name,
            func.count(case((live, 1))),
            func.count(case((~live, 1))),
            func.count(distinct(case((live, RuleHit.declaration_id)))),
            func.count(
                distinct(
                    case((live & RuleHit.declaration_id.in_(inspected), RuleHit.declaration_id))
                )
            ),
            func.count(
                distinct(
                    case(
                        (
                            live
                            & (
                                RuleHit.declaration_id.in_(seized)
                                | RuleHit.declaration_id.in_(confirmed)
                            ),
                            RuleHit.declaration_id,
                        )
                    )
                )
            ),
        )
        .where(RuleHit.rule_set_id.in_(rule_set_ids))
        .group_by(RuleHit.rule_set_id, RuleHit.rule_name)
    ).all()
    return {
        (int(s or 0), str(name)): Figures(int(a), int(b), int(c), int(d), int(e))
        for s, name, a, b, c, d, e in rows
    }


def set_rows(session: Session, rule_sets: list[RuleSet]) -> list[SetRow]:
    ids = [s.id for s in rule_sets]
    figures = rule_figures(session, ids)
    by_set: dict[int, SetRow] = {s.id: SetRow(s) for s in rule_sets}
    for rule in repository.rules_of(session, ids):
        by_set[rule.rule_set_id].rules.append(
            RuleRow(RuleOut.of(rule), figures.get((rule.rule_set_id, rule.name), Figures()))
        )
    return list(by_set.values())


def rules_context(session: Session, officer: Officer) -> dict[str, Any]:
    """The rule sets, newest first, grouped by status, each rule with its figures."""
    signin.need_any(officer, *RULE_READERS)
    rows = set_rows(session, list(repository.rule_sets(session, None, 200)))
    return {
        "groups": [
            (status, [r for r in rows if r.rule_set.status == status])
            for status in (service.PUBLISHED, service.DRAFT, service.RETIRED)
        ],
        "can_edit": signin.holds(officer, Role.RISK_ANALYST),
    }


def template_text() -> str:
    """The JSON a new draft starts from."""
    return json.dumps(TEMPLATE, ensure_ascii=False, indent=2)


def new_editor_context(officer: Officer, text: str) -> dict[str, Any]:
    """The editor for a new draft holding ``text`` (risk analysts)."""
    signin.need(officer, Role.RISK_ANALYST)
    return {
        "row": None,
        "text": text,
        "can_edit": True,
        "backtest": None,
        "features": sorted(FEATURES),
        "fields": sorted(FIELDS),
    }


def as_json(row: SetRow) -> str:
    """A stored rule set as the JSON the analyst edits (the same shape as a rule file)."""
    data: dict[str, Any] = {
        "name": row.rule_set.name,
        "description": row.rule_set.description,
        "rules": [],
    }
    for r in row.rules:
        rule = r.rule.model_dump(mode="json", by_alias=True)
        if not any(r.rule.scope.values()):
            rule.pop("scope", None)
        for key in ("effectiveFrom", "effectiveTo"):
            if rule.get(key) is None:
                rule.pop(key, None)
        data["rules"].append(rule)
    return json.dumps(data, ensure_ascii=False, indent=2)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of an edited rule set: where, which check, in words, and which rule."""

    path: str
    rule: str
    message: str
    rule_name: str | None


def read(text: str) -> Any:
    """The editor's text as JSON (400 naming the line and column where it stops being JSON).

    >>> read('{"name": "x"}')
    {'name': 'x'}
    >>> read('{"name": }')
    Traceback (most recent call last):
    ...
    cbec.errors.BadRequest: the rule set is not JSON
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "the rule set is not JSON",
            fields=[
                FieldError("(root)", "json", f"{exc.msg} at line {exc.lineno}, column {exc.colno}")
            ],
        ) from None
    except RecursionError:
        raise BadRequest(
            "the rule set is not JSON",
            fields=[FieldError("(root)", "json", "nested too deeply to read")],
        ) from None


def problems(payload: Any, errors: list[FieldError]) -> list[Problem]:
    """``errors`` with the name of the rule each one is in (``rules[1]/...`` -> its name).

    >>> p = problems({"rules": [{"name": "a"}, {"name": "cheap"}]},
    ...              [FieldError("rules[1]/when", "unknown_feature", "unknown feature x")])
    >>> p[0].rule_name, p[0].path
    ('cheap', 'rules[1]/when')
    """
    out = []
    for e in errors:
        name = None
        if e.path.startswith("rules[") and isinstance(payload, dict):
            index = e.path[len("rules[") : e.path.index("]")]
            rules = payload.get("rules")
            if index.isdigit() and isinstance(rules, list) and int(index) < len(rules):
                found = rules[int(index)]
                if isinstance(found, dict) and isinstance(found.get("name"), str):
                    name = found["name"]
        out.append(Problem(e.path, e.rule, scrub(e.message), name))
    return out


def check(text: str, session: Session | None = None) -> tuple[Any, list[Problem]]:
    """Parse and validate the editor's text: the payload and its problems (none: valid).
    With the store's ``session``, a scope's enterprise must be filed too."""
    try:
        payload = read(text)
    except BadRequest as exc:
        return None, problems(None, exc.fields)
    return payload, problems(payload, service.validate(payload, session))


def save(
    session: Session, officer: Officer, text: str, rule_set_id: int | None
) -> tuple[int | None, list[Problem]]:
    """Save the editor's text as a new draft or over draft ``rule_set_id`` (risk analysts):
    the draft's id, or the problems that stopped it."""
    signin.need(officer, Role.RISK_ANALYST)
    payload, found = check(text, session)
    if found:
        return None, found
    data = service.parse(payload)
    by = Actor.officer(officer.username)
    if rule_set_id is None:
        return service.create_rule_set(session, data, by=by).id, []
    return service.update_rule_set(session, rule_set_id, data, by=by).id, []


def editor_context(
    session: Session,
    officer: Officer,
    rule_set_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    backtest: bool = False,
) -> dict[str, Any]:
    """One rule set: its rules with their figures, its JSON, and (asked for) its backtest
    over the lists declared between ``since`` and ``until``."""
    signin.need_any(officer, *RULE_READERS)
    row = set_rows(session, [service.get_rule_set(session, rule_set_id)])[0]
    result = None
    if backtest:
        signin.need(officer, Role.RISK_ANALYST)
        result = service.backtest_out(
            service.backtest(session, rule_set_id, since=since, until=until)
        )
    return {
        "row": row,
        "text": as_json(row),
        "can_edit": signin.holds(officer, Role.RISK_ANALYST),
        "backtest": result,
        "since": since,
        "until": until,
        "features": sorted(FEATURES),
        "fields": sorted(FIELDS),
    }


def set_status(
    session: Session, officer: Officer, rule_set_id: int, what: str, reason: str
) -> None:
    """Publish, retire, or run in the shadow (on / off) a rule set (risk analysts)."""
    signin.need(officer, Role.RISK_ANALYST)
    by = Actor.officer(officer.username)
    if what == "publish":
        service.publish(session, rule_set_id, by=by, reason=reason.strip())
    elif what == "retire":
        service.retire(session, rule_set_id, by=by, reason=reason.strip())
    elif what in ("shadow-on", "shadow-off"):
        service.set_shadow(session, rule_set_id, what == "shadow-on", by=by)
    else:
        raise BadRequest(
            f"unknown step {what!r}",
            fields=[FieldError("step", "enumeration", "publish, retire, shadow-on, shadow-off")],
        )


# -- cases ----------------------------------------------------------------------------------

CASE_STATUSES = (cases.OPEN, cases.INVESTIGATING, cases.CLOSED)


def cases_context(session: Session, officer: Officer, status: str | None) -> dict[str, Any]:
    """The cases, newest first (optionally of one status), with their evidence counts."""
    signin.need_any(officer, *CASE_WORKERS)
    found = list(repository.cases(session, status, None, 500))
    counts = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    return {"cases": found, "status": status, "statuses": CASE_STATUSES, "counts": counts}


#: What a network picture may hold: the elements and attributes
#: :func:`cbec.network.communities.picture` writes, nothing else (no script, no link).
_SVG = "{http://www.w3.org/2000/svg}"
_ALLOWED: dict[str, frozenset[str]] = {
    "svg": frozenset({"viewBox", "width", "height", "role"}),
    "title": frozenset(),
    "g": frozenset({"stroke", "stroke-width"}),
    "line": frozenset({"x1", "y1", "x2", "y2"}),
    "circle": frozenset({"cx", "cy", "r", "fill"}),
}


def safe_svg(text: str) -> str | None:
    """``text`` if it is a network picture of plain shapes and titles, else None: a stored
    picture is drawn inline only when nothing in it could run or fetch anything.

    >>> picture = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">'
    ...            '<circle cx="1" cy="1" r="2" fill="#d9534f"><title>张*</title></circle></svg>')
    >>> safe_svg(picture) == picture
    True
    >>> safe_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') is None
    True
    >>> safe_svg('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>') is None
    True
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None
    if "<!" in text:  # no DOCTYPE, no entity declarations, no CDATA
        return None
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(_SVG):
            return None
        allowed = _ALLOWED.get(element.tag[len(_SVG) :])
        if allowed is None or any(a not in allowed for a in element.attrib):
            return None
    return text


@dataclass(slots=True)
class NetworkEvidence:
    picture: str | None
    details: dict[str, Any]


def case_context(session: Session, officer: Officer, case_id: int) -> dict[str, Any]:
    """One case: its head, its evidence by kind (identities masked; a network's picture
    drawn when it is a plain picture), who it may be assigned to, and what may be done."""
    signin.need_any(officer, *CASE_WORKERS)
    found = cases.get(session, case_id)
    evidence = [EvidenceOut.of(e) for e in repository.evidence_of(session, found.id)]
    networks = []
    for e in evidence:
        if e.kind == "network":
            details = dict(e.details)
            picture = details.pop("picture", None)
            networks.append(
                NetworkEvidence(safe_svg(picture) if isinstance(picture, str) else None, details)
            )
    by_kind: dict[str, list[EvidenceOut]] = {}
    for e in evidence:
        if e.kind != "network":
            by_kind.setdefault(e.kind, []).append(e)
    assignees = [
        o.username
        for o in officers.list_officers(session, active=True)
        if not cases.CASE_ROLES.isdisjoint(o.role_names)
    ]
    return {
        "case": found,
        "networks": networks,
        "evidence": by_kind,
        "assignees": assignees,
        "outcomes": list(cases.OUTCOMES),
        "can_investigate": cases.INVESTIGATING in cases.TRANSITIONS[found.status],
        "can_close": cases.CLOSED in cases.TRANSITIONS[found.status],
    }


def case_step(
    session: Session, officer: Officer, case_id: int, step: str, form: dict[str, str]
) -> None:
    """Assign, investigate or close a case (investigators and risk analysts)."""
    signin.need_any(officer, *CASE_WORKERS)
    by = Actor.officer(officer.username)
    if step == "assign":
        cases.assign(session, case_id, form.get("assignee", "").strip(), by=by)
    elif step == "investigate":
        cases.investigate(session, case_id, by=by, note=form.get("note", "").strip())
    elif step == "close":
        cases.close(session, case_id, form.get("outcome", ""), form.get("note", "").strip(), by=by)
    else:
        raise BadRequest(
            f"unknown step {step!r}",
            fields=[FieldError("step", "enumeration", "assign, investigate, close")],
        )


def open_clue(session: Session, officer: Officer, d: Declaration, reason: str) -> Case:
    """Open a case clue on list ``d`` with the officer's reason (investigators and risk
    analysts): the list's evidence joins the case open about its buyer, or a new one."""
    signin.need_any(officer, *CASE_WORKERS)
    if not reason.strip():
        raise BadRequest(
            "a reason is required",
            fields=[FieldError("reason", "required", "why this list is a case clue")],
        )
    facts = facts_from_store(session, d)
    buyer = facts.buyer if facts else pseudonym("identity", d.buyer_id_number)
    return cases.open_case(
        session,
        source="manual",
        subject_key=f"buyer:{buyer}",
        title=f"case clue on list {d.invt_no} by {officer.username}: {scrub(reason.strip())}",
        evidence=cases.declaration_evidence(session, d, facts),
        by=Actor.officer(officer.username),
    )
