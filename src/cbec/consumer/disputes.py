""" "Not me": a consumer disputes lists declared under their identity that they did not
make. The dispute flags the identity (``identity_misuse``), the lists and the enterprises
that declared them (``dispute``) for risk control; an officer confirms it (the lists stop
counting against the identity holder's annual quota, for good) or rejects it (the flags
it raised stop being valid). Services flush, never commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor, ActorKind
from cbec.clearance import service as clearance
from cbec.consumer import repository
from cbec.consumer.schemas import DisputeDecision, DisputedList, DisputeIn, DisputeOut
from cbec.consumer.service import verify_identity
from cbec.errors import BadRequest, Conflict, FieldError, NotFound
from cbec.privacy import blind_id, mask_id, scrub
from cbec.store.models import ConsumerDispute, ConsumerDisputeList, RiskFlag, utcnow

OPEN, CONFIRMED, REJECTED = "open", "confirmed", "rejected"
STATUSES = (OPEN, CONFIRMED, REJECTED)
#: how strongly an unconfirmed dispute flags its subjects; a confirmed one flags at 1.0
OPEN_SCORE = 0.5
#: the self-service, as the audit log names it
SELF_SERVICE = Actor.system("consumer-self-service")


def open_dispute(session: Session, data: DisputeIn) -> DisputeOut:
    """File a dispute of lists under the identity proved by name, ID number and phone
    (the quota query's uniform 404 otherwise). Every list named must be one of the
    identity's and not already in an open or confirmed dispute."""
    # First, before anything is read: a second request for the same identity waits here
    # until this one is committed, then finds its lists disputed.
    repository.lock_disputes(session, data.id_number.upper())
    id_number = verify_identity(session, data)
    found = repository.declarations_by_invt_no(session, id_number, data.lists)
    problems = [
        FieldError(
            f"lists[{i}]",
            "lists.yours",
            f"{invt_no} is not a list declared under your identity",
        )
        for i, invt_no in enumerate(data.lists)
        if invt_no not in found
    ]
    problems += [
        FieldError(f"lists[{i}]", "lists.unique", f"{invt_no} is named twice")
        for i, invt_no in enumerate(data.lists)
        if invt_no in data.lists[:i]
    ]
    if problems:
        raise BadRequest("the dispute names lists it cannot", fields=problems)
    states = repository.dispute_states(session, [d.id for d in found.values()])
    taken = [
        FieldError(
            f"lists[{i}]",
            "lists.disputed",
            f"{invt_no} is already in a dispute that is {states[found[invt_no].id]}",
        )
        for i, invt_no in enumerate(data.lists)
        if states.get(found[invt_no].id) in (OPEN, CONFIRMED)
    ]
    if taken:
        raise Conflict("some lists are already disputed", fields=taken)
    now = utcnow()
    dispute = ConsumerDispute(
        id_number=id_number,
        id_key=blind_id(id_number),
        status=OPEN,
        statement=scrub(data.statement.strip()),
        created_at=now,
        decision_reason="",
        flag_ids="[]",
    )
    session.add(dispute)
    session.flush()
    declarations = [found[invt_no] for invt_no in data.lists]
    rows = [
        ConsumerDisputeList(
            dispute_id=dispute.id,
            declaration_id=d.id,
            invt_no=d.invt_no or "",
            ebp_code=d.ebp_code,
            ebc_code=d.ebc_code,
            value=d.taxable_value,
        )
        for d in declarations
    ]
    session.add_all(rows)
    flags = _flags(dispute, rows)
    session.add_all(flags)
    session.flush()
    dispute.flag_ids = json.dumps([f.id for f in flags])
    audit.record(
        session,
        actor_kind=SELF_SERVICE.kind,
        actor=SELF_SERVICE.name,
        action="consumer_dispute.open",
        subject_kind="consumer_dispute",
        subject_key=str(dispute.id),
        reason=dispute.statement or "not me",
        details={"lists": [r.invt_no for r in rows], "buyer": mask_id(id_number)},
    )
    return _out(dispute, rows)


def _flags(dispute: ConsumerDispute, rows: Sequence[ConsumerDisputeList]) -> list[RiskFlag]:
    lists = ", ".join(r.invt_no for r in rows)
    why = f"consumer dispute {dispute.id} (not confirmed): lists {lists} not made by the holder"

    def flag(kind: str, key: str, what: str, reason: str, label: str = "") -> RiskFlag:
        return RiskFlag(
            subject_kind=kind,
            subject_key=key,
            subject_label=label,
            source="consumer",
            kind=what,
            score=OPEN_SCORE,
            reason=reason,
            valid_from=dispute.created_at,
            created_at=dispute.created_at,
            created_by=SELF_SERVICE.name,
        )

    identity = flag("identity", dispute.id_key, "identity_misuse", why, mask_id(dispute.id_number))
    out = [identity]
    out += [flag("list", r.invt_no, "dispute", why) for r in rows]
    enterprises: dict[str, list[str]] = {}
    for r in rows:
        for code in dict.fromkeys((r.ebp_code, r.ebc_code)):
            enterprises.setdefault(code, []).append(r.invt_no)
    out += [
        flag(
            "enterprise",
            code,
            "dispute",
            f"consumer dispute {dispute.id} (not confirmed): its lists {', '.join(named)} "
            "were not made by the identity holder",
        )
        for code, named in enterprises.items()
    ]
    return out


def decide(session: Session, dispute_id: int, data: DisputeDecision, *, officer: str) -> DisputeOut:
    """Confirm (the lists never count against the holder's quota again; the flags are
    raised to 1.0) or reject (the flags it raised end now) an open dispute; audited."""
    dispute = repository.dispute(session, dispute_id, for_update=True)
    if dispute is None:
        raise NotFound(f"no consumer dispute {dispute_id}")
    if dispute.status != OPEN:
        raise Conflict(
            f"consumer dispute {dispute_id} is already {dispute.status}",
            fields=[FieldError("confirm", "dispute.open", "only an open dispute is decided")],
        )
    reason = data.reason.strip()
    if not reason:
        raise BadRequest(
            "a reason is required", fields=[FieldError("reason", "required", "say why")]
        )
    now = utcnow()
    rows = repository.dispute_lists(session, [dispute.id])[dispute.id]
    restored = Decimal(0)
    if data.confirm:
        declarations = repository.declarations_by_id(session, [r.declaration_id for r in rows])
        restored = clearance.exclude_from_quota(session, declarations, now=now)
    dispute.status = CONFIRMED if data.confirm else REJECTED
    dispute.restored = restored if data.confirm else None
    dispute.decided_at, dispute.decided_by, dispute.decision_reason = now, officer, scrub(reason)
    verdict = f"confirmed by {officer}" if data.confirm else f"rejected by {officer}"
    for flag in repository.flags(session, json.loads(dispute.flag_ids or "[]")):
        flag.reason = flag.reason.replace("(not confirmed)", f"({verdict})")
        if data.confirm:
            flag.score = 1.0
        else:
            flag.valid_to = now
    session.flush()
    audit.record(
        session,
        actor_kind=ActorKind.OFFICER,
        actor=officer,
        action="consumer_dispute.confirm" if data.confirm else "consumer_dispute.reject",
        subject_kind="consumer_dispute",
        subject_key=str(dispute.id),
        reason=reason,
        details={"lists": [r.invt_no for r in rows], "restored": restored},
    )
    return _out(dispute, rows)


def get(session: Session, dispute_id: int) -> DisputeOut:
    dispute = repository.dispute(session, dispute_id)
    if dispute is None:
        raise NotFound(f"no consumer dispute {dispute_id}")
    return _out(dispute, repository.dispute_lists(session, [dispute.id])[dispute.id])


def listing(
    session: Session, status: str | None = None, *, limit: int = 100, after: int = 0
) -> list[DisputeOut]:
    """Disputes (oldest first), for the officers who decide them."""
    if status is not None and status not in STATUSES:
        raise BadRequest(
            f"unknown dispute status {status!r}",
            fields=[FieldError("status", "one_of", f"one of {', '.join(STATUSES)}")],
        )
    rows = repository.disputes(session, status, limit=limit, after=after)
    lists = repository.dispute_lists(session, [d.id for d in rows])
    return [_out(d, lists.get(d.id, [])) for d in rows]


def _out(dispute: ConsumerDispute, rows: Sequence[ConsumerDisputeList]) -> DisputeOut:
    cents = Decimal("0.01")
    return DisputeOut(
        id=dispute.id,
        status=dispute.status,
        buyer=mask_id(dispute.id_number),
        lists=[
            DisputedList(
                invt_no=r.invt_no,
                platform=r.ebp_code,
                ebc_code=r.ebc_code,
                value=None if r.value is None else r.value.quantize(cents),
            )
            for r in rows
        ],
        statement=dispute.statement,
        created_at=dispute.created_at,
        decided_at=dispute.decided_at,
        decided_by=dispute.decided_by,
        decision_reason=dispute.decision_reason,
        restored=None if dispute.restored is None else dispute.restored.quantize(cents),
    )
