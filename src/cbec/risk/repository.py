"""Queries of risk control (those of the real-time path are in :mod:`cbec.risk.realtime`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from cbec.privacy import blind_id
from cbec.store.models import (
    Case,
    CaseEvidence,
    CaseLabel,
    ControlInstruction,
    Declaration,
    DeclarationEvent,
    Document,
    EnterpriseClass,
    RiskAssessment,
    RiskFlag,
    Rule,
    RuleHit,
    RuleSet,
)

#: What opens a case: a case-clue rule's hit, an inspector's seizure, an officer (a list
#: from the workbench), a network run.
CASE_SOURCES = ("rule", "seizure", "manual", "network")

# -- external results ---------------------------------------------------------------------


def add_flag(session: Session, flag: RiskFlag) -> RiskFlag:
    session.add(flag)
    session.flush()
    return flag


def flags_of(
    session: Session, subject_kind: str | None, subject_key: str | None, limit: int
) -> Sequence[RiskFlag]:
    query = select(RiskFlag).order_by(RiskFlag.id.desc()).limit(limit)
    if subject_kind:
        query = query.where(RiskFlag.subject_kind == subject_kind)
    if subject_key:
        # an identity is asked about by its ID number and found by its blind index
        query = query.where(RiskFlag.subject_key.in_({subject_key, blind_id(subject_key)}))
    return session.execute(query).scalars().all()


def add_class(session: Session, row: EnterpriseClass) -> EnterpriseClass:
    session.add(row)
    session.flush()
    return row


# -- rule sets ------------------------------------------------------------------------------


def live_signature(session: Session) -> tuple[tuple[int, str, bool, int, str], ...]:
    """(id, status, shadow, revision, created_at) of every set live traffic must evaluate:
    published ones, and drafts running in the shadow."""
    rows = session.connection().execute(
        select(RuleSet.id, RuleSet.status, RuleSet.shadow, RuleSet.revision, RuleSet.created_at)
        .where(or_(RuleSet.status == "published", (RuleSet.status == "draft") & RuleSet.shadow))
        .order_by(RuleSet.id)
    )
    return tuple((int(i), str(s), bool(sh), int(r), str(c)) for i, s, sh, r, c in rows)


def rule_set(session: Session, rule_set_id: int) -> RuleSet | None:
    return session.get(RuleSet, rule_set_id)


def rule_set_for_update(session: Session, rule_set_id: int) -> RuleSet | None:
    return session.execute(
        select(RuleSet).where(RuleSet.id == rule_set_id).with_for_update()
    ).scalar_one_or_none()


def rules_of(session: Session, rule_set_ids: Sequence[int]) -> Sequence[Rule]:
    if not rule_set_ids:
        return []
    return (
        session.execute(
            select(Rule)
            .where(Rule.rule_set_id.in_(list(rule_set_ids)))
            .order_by(Rule.rule_set_id, Rule.position)
        )
        .scalars()
        .all()
    )


def rule_sets(session: Session, status: str | None, limit: int) -> Sequence[RuleSet]:
    query = select(RuleSet).order_by(RuleSet.id.desc()).limit(limit)
    if status:
        query = query.where(RuleSet.status == status)
    return session.execute(query).scalars().all()


def replace_rules(session: Session, rule_set_id: int, rules: Sequence[Rule]) -> None:
    for old in rules_of(session, [rule_set_id]):
        session.delete(old)
    session.flush()
    session.add_all(rules)
    session.flush()


def hit_counts(session: Session, rule_set_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    if not rule_set_ids:
        return {}
    rows = session.execute(
        select(RuleHit.rule_set_id, RuleHit.mode, func.count())
        .where(RuleHit.rule_set_id.in_(list(rule_set_ids)))
        .group_by(RuleHit.rule_set_id, RuleHit.mode)
    ).all()
    return {(int(i or 0), str(m)): int(n) for i, m, n in rows}


# -- hits and assessments -----------------------------------------------------------------


def insert_hits(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert hits; their ids in order."""
    if not rows:
        return []
    result = session.connection().execute(
        insert(RuleHit).returning(RuleHit.id, sort_by_parameter_order=True), list(rows)
    )
    return [int(i) for i in result.scalars()]


def hits(
    session: Session,
    *,
    rule_set_id: int | None = None,
    declaration_id: int | None = None,
    mode: str | None = None,
    source: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> Sequence[Any]:
    """Hits with the list they hit (invtNo), oldest first from ``after``."""
    query = (
        select(RuleHit, Declaration.invt_no)
        .join(Declaration, Declaration.id == RuleHit.declaration_id)
        .where(RuleHit.id > after)
        .order_by(RuleHit.id)
        .limit(limit)
    )
    if rule_set_id is not None:
        query = query.where(RuleHit.rule_set_id == rule_set_id)
    if declaration_id is not None:
        query = query.where(RuleHit.declaration_id == declaration_id)
    if mode:
        query = query.where(RuleHit.mode == mode)
    if source:
        query = query.where(RuleHit.source == source)
    return session.execute(query).all()


def latest_assessment(session: Session, declaration_id: int) -> RiskAssessment | None:
    return session.execute(
        select(RiskAssessment)
        .where(RiskAssessment.declaration_id == declaration_id)
        .order_by(RiskAssessment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# -- control instructions -----------------------------------------------------------------


def instruction(session: Session, instruction_id: int) -> ControlInstruction | None:
    return session.get(ControlInstruction, instruction_id)


def instructions(session: Session, status: str | None, limit: int) -> Sequence[ControlInstruction]:
    query = select(ControlInstruction).order_by(ControlInstruction.id.desc()).limit(limit)
    if status:
        query = query.where(ControlInstruction.status == status)
    return session.execute(query).scalars().all()


def undecided_or_unreleased(session: Session, statuses: Sequence[int]) -> Sequence[Declaration]:
    """Lists at these statuses (the candidates a new control instruction re-decides)."""
    return (
        session.execute(
            select(Declaration)
            .where(Declaration.status.in_(list(statuses)))
            .order_by(Declaration.id)
        )
        .scalars()
        .all()
    )


def assessed_declarations(
    session: Session, until: date | None, offset: int, limit: int
) -> Sequence[Declaration]:
    """Lists that were complete when decided (a list a fault left undecided is not), in
    decision order (complete_at, id), up to ``until`` (declaration date), a page at a time."""
    query = (
        select(Declaration)
        .where(Declaration.complete_at.is_not(None), Declaration.status != 120)
        .order_by(Declaration.complete_at, Declaration.id)
    )
    if until is not None:
        query = query.where(Declaration.decl_date <= until)
    return session.execute(query.offset(offset).limit(limit)).scalars().all()


def outcomes(session: Session, declaration_ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
    """(inspected, seized) of each list, from its decision history."""
    if not declaration_ids:
        return {}
    rows = session.execute(
        select(DeclarationEvent.declaration_id, DeclarationEvent.to_status).where(
            DeclarationEvent.declaration_id.in_(list(declaration_ids)),
            DeclarationEvent.to_status.in_([500, 502]),
        )
    ).all()
    out: dict[int, tuple[bool, bool]] = {}
    for declaration_id, status in rows:
        inspected, seized = out.get(int(declaration_id), (False, False))
        out[int(declaration_id)] = (inspected or status == 500, seized or status == 502)
    return out


def labels(session: Session, declaration_ids: Sequence[int]) -> dict[int, int]:
    if not declaration_ids:
        return {}
    rows = session.execute(
        select(CaseLabel.declaration_id, func.max(CaseLabel.label))
        .where(CaseLabel.declaration_id.in_(list(declaration_ids)))
        .group_by(CaseLabel.declaration_id)
    ).all()
    return {int(d): int(label) for d, label in rows}


# -- cases --------------------------------------------------------------------------------


def open_case_for(session: Session, subject_key: str) -> Case | None:
    """The case not yet closed about ``subject_key``, whatever opened it (a rule's clue, a
    seizure, an officer, a network run)."""
    return session.execute(
        select(Case)
        .where(
            # every source named, so that the (source, subject_key, status) index serves
            Case.source.in_(CASE_SOURCES),
            Case.subject_key == subject_key,
            Case.status.in_(["open", "investigating"]),
        )
        .order_by(Case.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def case(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def cases(session: Session, status: str | None, assignee: str | None, limit: int) -> Sequence[Case]:
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if status:
        query = query.where(Case.status == status)
    if assignee:
        query = query.where(Case.assignee == assignee)
    return session.execute(query).scalars().all()


def evidence_of(session: Session, case_id: int) -> Sequence[CaseEvidence]:
    return (
        session.execute(
            select(CaseEvidence).where(CaseEvidence.case_id == case_id).order_by(CaseEvidence.id)
        )
        .scalars()
        .all()
    )


def evidence_refs(session: Session, case_id: int) -> set[tuple[str, str]]:
    rows = session.execute(
        select(CaseEvidence.kind, CaseEvidence.ref).where(CaseEvidence.case_id == case_id)
    ).all()
    return {(str(k), str(r)) for k, r in rows}


def declaration_by_invt_no(session: Session, invt_no: str) -> Declaration | None:
    return session.execute(
        select(Declaration).where(Declaration.invt_no == invt_no)
    ).scalar_one_or_none()


def order_documents(session: Session, d: Declaration) -> Sequence[Any]:
    """The order, payment, waybill and list documents of a list's order number (id, kind,
    key, platform)."""
    return session.execute(
        select(Document.id, Document.kind, Document.business_key, Document.ebp_code)
        .where(
            Document.order_no == d.order_no,
            Document.kind.in_(["order", "payment", "waybill", "inventory"]),
        )
        .order_by(Document.id)
    ).all()


def declarations_of_buyers(
    session: Session, buyer_keys: Sequence[str], limit: int
) -> list[Declaration]:
    """The latest ``limit`` lists of these buyers (by blind index), oldest first."""
    keys = list(dict.fromkeys(buyer_keys))
    found: list[Declaration] = []
    for start in range(0, len(keys), 500):
        found += session.scalars(
            select(Declaration)
            .where(Declaration.buyer_key.in_(keys[start : start + 500]))
            .order_by(Declaration.id.desc())
            .limit(limit)
        )
    return sorted(sorted(found, key=lambda d: d.id, reverse=True)[:limit], key=lambda d: d.id)
