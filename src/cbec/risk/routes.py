"""``/api/v1/risk``: analyst rules, hits, control instructions, external results, cases.

Risk analysts write and run rules and issue control instructions; reviewers, inspectors and
investigators read what risk control saw of a list; the anti-smuggling department
(investigators, and risk analysts) works the cases. Every change is in the audit log.
Routes that write commit before answering.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from cbec.audit.service import Actor
from cbec.bounds import Cursor, Id
from cbec.clearance.service import Policy
from cbec.deps import SessionDep, require_role
from cbec.officers.roles import Role
from cbec.risk import cases, repository, service
from cbec.risk.features import FEATURES, FIELDS
from cbec.risk.schemas import (
    AssessmentOut,
    AssignIn,
    BacktestIn,
    BacktestOut,
    CaseOut,
    ClassIn,
    CloseIn,
    FlagIn,
    FlagOut,
    HitOut,
    InstructionIn,
    InstructionOut,
    LiftIn,
    NoteIn,
    RuleSetIn,
    RuleSetOut,
    ShadowIn,
    SpecOut,
    ValidationOut,
)
from cbec.store.models import Officer

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])

Analyst = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST))]
Reader = Annotated[
    Officer,
    Depends(require_role(Role.RISK_ANALYST, Role.REVIEWER, Role.INSPECTOR, Role.INVESTIGATOR)),
]
Investigator = Annotated[Officer, Depends(require_role(Role.INVESTIGATOR, Role.RISK_ANALYST))]


def _out(session: SessionDep, rule_set_id: Id) -> RuleSetOut:
    rule_set = service.get_rule_set(session, rule_set_id)
    counts = service.hit_counts(session, [rule_set.id]).get(rule_set.id, {})
    return RuleSetOut.of(rule_set, service.rules_of(session, rule_set.id), counts)


@router.get("/features")
def features(_officer: Reader) -> list[SpecOut]:
    """What rules may read: every feature (`{"feature": name}`) and declaration field
    (`{"field": name}`) with its type."""
    return [
        SpecOut(name=name, namespace=namespace, kind=spec.kind.value, description=spec.description)
        for namespace, specs in (("feature", FEATURES), ("field", FIELDS))
        for name, spec in specs.items()
    ]


@router.post("/rule-sets/validate")
def validate(
    payload: Annotated[dict[str, Any], Body(description="a rule set, as for POST /rule-sets")],
    session: SessionDep,
    _officer: Analyst,
) -> ValidationOut:
    """Check a rule set without storing it: every problem with its JSON path and rule
    (a scope's enterprise not filed too, as creating it would refuse)."""
    problems = service.validate(payload, session)
    return ValidationOut(valid=not problems, problems=[p.as_dict() for p in problems])


@router.post("/rule-sets", status_code=201)
def create_rule_set(data: RuleSetIn, session: SessionDep, officer: Analyst) -> RuleSetOut:
    """Store a rule set as a draft (400 naming the path of every problem in a condition)."""
    rule_set = service.create_rule_set(session, data, by=Actor.officer(officer.username))
    session.commit()
    return _out(session, rule_set.id)


@router.get("/rule-sets")
def list_rule_sets(
    session: SessionDep,
    _officer: Reader,
    status: Annotated[str | None, Query(pattern="^(draft|published|retired)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RuleSetOut]:
    """Rule sets, newest first, with their rules and hit counts."""
    found = repository.rule_sets(session, status, limit)
    counts = service.hit_counts(session, [s.id for s in found])
    return [RuleSetOut.of(s, service.rules_of(session, s.id), counts.get(s.id, {})) for s in found]


@router.get("/rule-sets/{rule_set_id}")
def get_rule_set(rule_set_id: Id, session: SessionDep, _officer: Reader) -> RuleSetOut:
    """One rule set with its rules and hit counts."""
    return _out(session, rule_set_id)


@router.put("/rule-sets/{rule_set_id}")
def update_rule_set(
    rule_set_id: Id, data: RuleSetIn, session: SessionDep, officer: Analyst
) -> RuleSetOut:
    """Replace the rules of a draft (409 for a published or retired set)."""
    service.update_rule_set(session, rule_set_id, data, by=Actor.officer(officer.username))
    session.commit()
    return _out(session, rule_set_id)


@router.post("/rule-sets/{rule_set_id}/shadow")
def shadow(rule_set_id: Id, data: ShadowIn, session: SessionDep, officer: Analyst) -> RuleSetOut:
    """Run a draft in the shadow of live traffic (its hits recorded, no decision changed),
    or stop it."""
    service.set_shadow(session, rule_set_id, data.on, by=Actor.officer(officer.username))
    session.commit()
    return _out(session, rule_set_id)


@router.post("/rule-sets/{rule_set_id}/publish")
def publish(rule_set_id: Id, session: SessionDep, officer: Analyst) -> RuleSetOut:
    """Make a draft live: the next lists are decided with its rules; it is immutable now."""
    service.publish(session, rule_set_id, by=Actor.officer(officer.username))
    session.commit()
    return _out(session, rule_set_id)


@router.post("/rule-sets/{rule_set_id}/retire")
def retire(rule_set_id: Id, session: SessionDep, officer: Analyst) -> RuleSetOut:
    """Take a rule set out of use for good."""
    service.retire(session, rule_set_id, by=Actor.officer(officer.username))
    session.commit()
    return _out(session, rule_set_id)


@router.post("/rule-sets/{rule_set_id}/backtest")
def backtest(
    rule_set_id: Id, data: BacktestIn, session: SessionDep, _officer: Analyst
) -> BacktestOut:
    """What the set would have hit over the lists declared between `since` and `until`:
    hits, seizure rate among them, value and tax at stake, share of seizures caught."""
    result = service.backtest(session, rule_set_id, since=data.since, until=data.until)
    return service.backtest_out(result)


@router.get("/hits")
def list_hits(
    session: SessionDep,
    _officer: Reader,
    rule_set_id: Annotated[Id | None, Query(alias="ruleSetId")] = None,
    mode: Annotated[str | None, Query(pattern="^(live|shadow)$")] = None,
    source: Annotated[str | None, Query(pattern="^(rule|instruction|model)$")] = None,
    after: Annotated[Cursor, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[HitOut]:
    """Recorded hits with the values that made each hit, oldest first after `after`."""
    return service.hits(
        session, rule_set_id=rule_set_id, mode=mode, source=source, after=after, limit=limit
    )


@router.get("/declarations/{invt_no}/assessment")
def assessment(invt_no: str, session: SessionDep, _officer: Reader) -> AssessmentOut:
    """What risk control saw of a list when it was decided: features, scores, hits."""
    return service.assessment(session, invt_no)


# -- control instructions -----------------------------------------------------------------


@router.post("/instructions", status_code=201)
def issue_instruction(
    data: InstructionIn, request: Request, session: SessionDep, officer: Analyst
) -> InstructionOut:
    """Issue a control instruction by enterprise, buyer identity, HS code (or prefix),
    waybill or list number. Lists decided from now on meet it; lists in manual review or
    under inspection that it targets are re-decided now (listed in `redecided`)."""
    row, changed = service.issue_instruction(
        session,
        data,
        by=Actor.officer(officer.username),
        policy=Policy.from_settings(request.app.state.settings),
    )
    session.commit()
    return InstructionOut.of(row, changed)


@router.get("/instructions")
def list_instructions(
    session: SessionDep,
    _officer: Reader,
    status: Annotated[str | None, Query(pattern="^(active|lifted)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[InstructionOut]:
    """Control instructions, newest first (buyer identities masked)."""
    return [InstructionOut.of(r) for r in repository.instructions(session, status, limit)]


@router.post("/instructions/{instruction_id}/lift")
def lift_instruction(
    instruction_id: Id, data: LiftIn, session: SessionDep, officer: Analyst
) -> InstructionOut:
    """Stop an instruction for the lists decided from now on."""
    row = service.lift_instruction(
        session, instruction_id, data.reason, by=Actor.officer(officer.username)
    )
    session.commit()
    return InstructionOut.of(row)


# -- external results -----------------------------------------------------------------------


@router.post("/flags", status_code=201)
def add_flag(data: FlagIn, session: SessionDep, officer: Analyst) -> FlagOut:
    """Record a flag about an identity or an enterprise (platform verification, payment
    company, consumer monitoring; other packages call the service directly)."""
    flag = service.add_flag(session, data, by=Actor.officer(officer.username))
    session.commit()
    return FlagOut.of(flag)


@router.get("/flags")
def list_flags(
    session: SessionDep,
    _officer: Analyst,
    subject_kind: Annotated[str | None, Query(alias="subjectKind")] = None,
    subject_key: Annotated[str | None, Query(alias="subjectKey")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FlagOut]:
    """Flags, newest first (identities masked)."""
    return [FlagOut.of(f) for f in repository.flags_of(session, subject_kind, subject_key, limit)]


@router.post("/enterprise-classes", status_code=201)
def set_class(data: ClassIn, session: SessionDep, officer: Analyst) -> dict[str, Any]:
    """Record an enterprise's class (the `ebc_class` / `ebp_class` features)."""
    row = service.set_class(session, data, by=Actor.officer(officer.username))
    session.commit()
    return {"id": row.id, "enterpriseCode": row.enterprise_code, "classCode": row.class_code}


# -- cases ----------------------------------------------------------------------------------


@router.get("/cases")
def list_cases(
    session: SessionDep,
    _officer: Investigator,
    status: Annotated[str | None, Query(pattern="^(open|investigating|closed)$")] = None,
    assignee: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CaseOut]:
    """Cases, newest first (investigators and risk analysts)."""
    return [CaseOut.of(c) for c in repository.cases(session, status, assignee, limit)]


@router.get("/cases/{case_id}")
def get_case(case_id: Id, session: SessionDep, _officer: Investigator) -> CaseOut:
    """One case with its evidence (identities masked)."""
    case = cases.get(session, case_id)
    return CaseOut.of(case, list(repository.evidence_of(session, case.id)))


@router.post("/cases/{case_id}/assign")
def assign_case(case_id: Id, data: AssignIn, session: SessionDep, officer: Investigator) -> CaseOut:
    """Give a case to an investigator or a risk analyst."""
    case = cases.assign(session, case_id, data.assignee, by=Actor.officer(officer.username))
    session.commit()
    return CaseOut.of(case, list(repository.evidence_of(session, case.id)))


@router.post("/cases/{case_id}/investigate")
def investigate_case(
    case_id: Id, data: NoteIn, session: SessionDep, officer: Investigator
) -> CaseOut:
    """Start investigating an open case."""
    case = cases.investigate(session, case_id, by=Actor.officer(officer.username), note=data.note)
    session.commit()
    return CaseOut.of(case, list(repository.evidence_of(session, case.id)))


@router.post("/cases/{case_id}/close")
def close_case(case_id: Id, data: CloseIn, session: SessionDep, officer: Investigator) -> CaseOut:
    """Close a case with its outcome (confirmed, unfounded, inconclusive); its lists get
    the outcome as a training label."""
    case = cases.close(
        session, case_id, data.outcome, data.note, by=Actor.officer(officer.username)
    )
    session.commit()
    return CaseOut.of(case, list(repository.evidence_of(session, case.id)))
