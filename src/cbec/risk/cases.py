"""Case clues for the anti-smuggling department: opened by a case-clue hit or a seizure,
with their evidence; open -> investigating -> closed with an outcome; assigned to an
officer; every step in the audit log. A closed case's outcome becomes a label for each of
its lists (``risk_labels``), which model training reads.

One case gathers the clues about one subject (a buyer, by pseudonym) while it is not
closed: a second clue, a seizure or an officer's clue about the same buyer adds its
evidence to the case, whatever opened it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.errors import BadRequest, Conflict, FieldError, NotFound
from cbec.officers import repository as officers
from cbec.officers.roles import Role
from cbec.privacy import blind_id, mask_address, mask_id, mask_phone, scrub
from cbec.risk import repository
from cbec.risk.features import Facts, pseudonym
from cbec.risk.history import facts_from_store
from cbec.risk.rules import Match
from cbec.store.models import Case, CaseEvidence, CaseLabel, Declaration, utcnow

OPEN, INVESTIGATING, CLOSED = "open", "investigating", "closed"
STATUSES = (OPEN, INVESTIGATING, CLOSED)
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({INVESTIGATING, CLOSED}),
    INVESTIGATING: frozenset({CLOSED}),
    CLOSED: frozenset(),
}
#: Outcomes of a closed case and the label each gives its lists (None: no label).
OUTCOMES: dict[str, int | None] = {"confirmed": 1, "unfounded": 0, "inconclusive": None}
#: Who may be assigned a case.
CASE_ROLES = frozenset({Role.INVESTIGATOR.value, Role.RISK_ANALYST.value})
#: Most lists a clue about many buyers (a network) brings into its case at once.
LISTS_PER_CLUE = 1000
#: The system actor clues found in real time are recorded against.
RISK = Actor.system("risk")


class IllegalCaseTransition(Conflict):
    """A case step its lifecycle does not allow (e.g. reopen a closed case)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str  # declaration, document, hit, identity, enterprise
    ref: str
    details: dict[str, Any]


def _check(case: Case, target: str) -> None:
    if target not in TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(TRANSITIONS[case.status])) or "none: it is closed"
        raise IllegalCaseTransition(
            f"case {case.id} is {case.status}; it cannot become {target} (allowed: {allowed})"
        )


def _record(
    session: Session, by: Actor, verb: str, case: Case, reason: str, **details: Any
) -> None:
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action=f"case.{verb}",
        subject_kind="case",
        subject_key=str(case.id),
        reason=reason,
        details=details,
    )


def list_evidence(d: Declaration) -> Evidence:
    """A list as evidence: its number, order, status, value, tax and reasons (a closed
    case's outcome labels it)."""
    return Evidence(
        "declaration",
        d.invt_no or d.business_key,
        {
            "declarationId": d.id,
            "orderNo": d.order_no,
            "status": d.status,
            "taxableValue": str(d.taxable_value) if d.taxable_value is not None else None,
            "taxTotal": str(d.tax_total) if d.tax_total is not None else None,
            "reasons": d.reasons,
        },
    )


def buyers_lists(session: Session, buyer_keys: Sequence[str]) -> list[Evidence]:
    """The lists of these buyers (blind indexes of their ID numbers), the latest
    :data:`LISTS_PER_CLUE` of them: what a network's case investigates and labels."""
    return [
        list_evidence(d)
        for d in repository.declarations_of_buyers(session, buyer_keys, LISTS_PER_CLUE)
    ]


def declaration_evidence(session: Session, d: Declaration, facts: Facts | None) -> list[Evidence]:
    """A list, its documents, its live hits, the identities and enterprises it links."""
    items = [list_evidence(d)]
    wanted = {
        ("inventory", d.business_key),
        ("order", f"{d.ebp_code}|{d.ebc_code}|{d.order_no}"),
        ("waybill", f"{d.logistics_code}|{d.logistics_no}"),
    }
    for row in repository.order_documents(session, d):
        if (row.kind, row.business_key) in wanted or (
            row.kind == "payment" and row.ebp_code == d.ebp_code
        ):
            items.append(
                Evidence("document", f"{row.kind}:{row.business_key}", {"documentId": row.id})
            )
    for hit, _invt_no in repository.hits(session, declaration_id=d.id, mode="live", limit=1000):
        items.append(
            Evidence(
                "hit",
                str(hit.id),
                {"rule": hit.rule_name, "action": hit.action, "message": hit.message},
            )
        )
    # identities by blind index or pseudonym, with the masked form screens show
    identities = {"buyer": (d.buyer_key, mask_id(d.buyer_id_number))}
    if facts is not None:
        identities.update(
            payer=(blind_id(facts.payer_id), mask_id(facts.payer_id)),
            phone=(pseudonym("phone", facts.consignee_phone), mask_phone(facts.consignee_phone)),
            address=(facts.address, mask_address(facts.consignee_address)),
        )
    for role, (key, label) in identities.items():
        items.append(Evidence("identity", f"{role}:{key}", {"role": role, "label": label}))
    codes = {
        "platform": d.ebp_code,
        "ecommerce": d.ebc_code,
        "agent": d.agent_code,
        "logistics": d.logistics_code,
    }
    if d.pay_code:
        codes["payment"] = d.pay_code
    for role, code in codes.items():
        items.append(Evidence("enterprise", code, {"role": role}))
    return items


def open_case(
    session: Session,
    *,
    source: str,
    subject_key: str,
    title: str,
    evidence: Sequence[Evidence],
    by: Actor,
) -> Case:
    """Open a case about ``subject_key``, or add ``evidence`` to the one not yet closed,
    whichever source opened it: a seizure of a buyer's list joins the case a rule's clue
    opened about that buyer."""
    if source not in repository.CASE_SOURCES:
        raise ValueError(f"unknown case source {source!r}")
    now = utcnow()
    case = repository.open_case_for(session, subject_key)
    fresh = case is None
    if case is None:
        case = Case(
            status=OPEN,
            source=source,
            subject_key=subject_key,
            title=scrub(title)[:2000],
            opened_at=now,
            opened_by=by.name,
        )
        session.add(case)
        session.flush()
    have = set() if fresh else repository.evidence_refs(session, case.id)
    if not fresh:
        # What this clue says (a seizure's details, an officer's reason) joins the case
        # with its evidence: the case's title is its first clue's.
        evidence = [
            Evidence(
                "clue",
                f"{source}:{now.isoformat()}",
                {"text": scrub(title)[:2000], "source": source, "by": by.name},
            ),
            *evidence,
        ]
    added = []
    for item in evidence:
        if (item.kind, item.ref) in have:
            continue
        have.add((item.kind, item.ref))
        added.append(item)
        session.add(
            CaseEvidence(
                case_id=case.id,
                kind=item.kind,
                ref=item.ref[:255],
                details=json.dumps(item.details, ensure_ascii=False, default=str),
                added_at=now,
            )
        )
    session.flush()
    lists = [e.ref for e in added if e.kind == "declaration"]
    _record(
        session,
        by,
        "open" if fresh else "evidence",
        case,
        title,
        source=source,
        lists=lists,
        evidence=len(added),
    )
    return case


def open_for_clue(session: Session, d: Declaration, facts: Facts, clues: Sequence[Match]) -> Case:
    """A case-clue rule hit ``d`` (called by the assessor, in the decision's transaction)."""
    codes = ", ".join(m.rule.code for m in clues)
    evidence = declaration_evidence(session, d, facts)
    return open_case(
        session,
        source="rule",
        subject_key=f"buyer:{facts.buyer}",
        title=f"case clue {codes} on list {d.invt_no}",
        evidence=evidence,
        by=RISK,
    )


def open_for_seizure(session: Session, d: Declaration, officer: str, details: str) -> Case:
    """An inspector seized ``d`` (clearance's seizure hook)."""
    from_store = _facts(session, d)
    buyer = from_store.buyer if from_store else pseudonym("identity", d.buyer_id_number)
    return open_case(
        session,
        source="seizure",
        subject_key=f"buyer:{buyer}",
        title=f"seizure of list {d.invt_no} by {officer}: {details}",
        evidence=declaration_evidence(session, d, from_store),
        by=Actor.officer(officer),
    )


def note_detention_end(
    session: Session, d: Declaration, held: int, action: str, officer: str, reason: str
) -> Case | None:
    """A detained list was released or returned (clearance's detention hook): the case
    still open about its buyer, if any, is told, as a later clue; none is opened for it."""
    from_store = _facts(session, d)
    buyer = from_store.buyer if from_store else pseudonym("identity", d.buyer_id_number)
    case = repository.open_case_for(session, f"buyer:{buyer}")
    if case is None:
        return None
    done = "released" if action == "release" else "returned"
    return open_case(
        session,
        source="manual",
        subject_key=case.subject_key,
        title=f"list {d.invt_no} ({held}) {done} from detention by {officer}: {reason}",
        evidence=[],
        by=Actor.officer(officer),
    )


def _facts(session: Session, d: Declaration) -> Facts | None:
    return facts_from_store(session, d)


def get(session: Session, case_id: int) -> Case:
    case = repository.case(session, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def assign(session: Session, case_id: int, assignee: str, *, by: Actor) -> Case:
    """Give an open or investigated case to an officer of the anti-smuggling department
    (an investigator or a risk analyst)."""
    case = get(session, case_id)
    if case.status == CLOSED:
        raise IllegalCaseTransition(f"case {case.id} is closed; it cannot be assigned")
    officer = officers.by_username(session, assignee)
    if officer is None or not officer.active:
        raise BadRequest(
            f"no active officer {assignee!r}",
            fields=[FieldError("assignee", "officer", "an active officer's username")],
        )
    if CASE_ROLES.isdisjoint(officer.role_names):
        raise BadRequest(
            f"{assignee!r} holds neither investigator nor risk_analyst",
            fields=[FieldError("assignee", "role", "an investigator or a risk analyst")],
        )
    before = case.assignee
    case.assignee = assignee
    session.flush()
    _record(session, by, "assign", case, f"assigned to {assignee}", before=before, after=assignee)
    return case


def investigate(session: Session, case_id: int, *, by: Actor, note: str = "") -> Case:
    """Start investigating an open case (assigned to whoever starts it, if to no one)."""
    case = get(session, case_id)
    _check(case, INVESTIGATING)
    case.status = INVESTIGATING
    if case.assignee is None and by.kind == "officer":
        case.assignee = by.name
    session.flush()
    _record(session, by, "investigate", case, note or "investigation started")
    return case


def close(session: Session, case_id: int, outcome: str, note: str, *, by: Actor) -> Case:
    """Close a case with its outcome; each of its lists gets the outcome's label."""
    if outcome not in OUTCOMES:
        raise BadRequest(
            f"unknown outcome {outcome!r}",
            fields=[FieldError("outcome", "enumeration", ", ".join(OUTCOMES))],
        )
    if not note.strip():
        raise BadRequest(
            "a closing note is required", fields=[FieldError("note", "required", "why")]
        )
    case = get(session, case_id)
    _check(case, CLOSED)
    now = utcnow()
    case.status, case.outcome, case.closing_note = CLOSED, outcome, scrub(note)
    case.closed_at, case.closed_by = now, by.name
    label = OUTCOMES[outcome]
    labelled = []
    if label is not None:
        for item in repository.evidence_of(session, case.id):
            if item.kind == "declaration":
                declaration_id = json.loads(item.details).get("declarationId")
                if declaration_id is not None:
                    labelled.append(item.ref)
                    session.add(
                        CaseLabel(
                            declaration_id=int(declaration_id),
                            label=label,
                            source="case",
                            case_id=case.id,
                            outcome=outcome,
                            at=now,
                        )
                    )
    session.flush()
    _record(session, by, "close", case, note, outcome=outcome, labelled=labelled)
    return case
