"""``/api/v1/audit``: read and verify the audit log (risk analysts and administrators).

There is deliberately no route that writes, edits or deletes an entry: entries are made
by the actions they record, inside the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cbec.audit import service
from cbec.audit.schemas import AuditEntryOut, VerifyOut
from cbec.bounds import BigId
from cbec.deps import SessionDep, require_role
from cbec.errors import BadRequest, FieldError
from cbec.months import check_moment
from cbec.officers.roles import Role
from cbec.store.models import Officer

router = APIRouter(prefix="/api/v1", tags=["audit"])

AuditReader = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST, Role.ADMINISTRATOR))]


def split_subject(subject: str, path: str = "subject") -> tuple[str, str]:
    """``KIND:KEY`` as (kind, key); the key may hold further colons."""
    kind, sep, key = subject.partition(":")
    if not sep or not kind or not key:
        raise BadRequest(
            f"subject must be KIND:KEY, got {subject!r}",
            fields=[FieldError(path, "pattern=KIND:KEY", "expected e.g. declaration:I0001")],
        )
    return kind, key


@router.get("/audit")
def search_audit(
    session: SessionDep,
    _reader: AuditReader,
    subject: Annotated[
        str | None,
        Query(description="only entries about this subject, KIND:KEY (officer:li.wei)"),
    ] = None,
    actor: Annotated[str | None, Query(description="only entries by this actor")] = None,
    action: Annotated[
        str | None, Query(description="only this action (declaration.approve)")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="only entries at or after this time (with offset)")
    ] = None,
    before_id: Annotated[
        BigId | None,
        Query(alias="beforeId", description="page back: entries older than this id"),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.SEARCH_MAX, description="at most this many")
    ] = 100,
) -> list[AuditEntryOut]:
    """Audit entries matching every filter given, newest first (risk analysts and
    administrators). Personal data in details and reasons is masked."""
    if since is not None and since.tzinfo is None:
        raise BadRequest(
            "since needs a UTC offset",
            fields=[FieldError("since", "timezone", "give an offset: 2026-11-27T08:00:00+08:00")],
        )
    if since is not None:
        check_moment(since, "since")
    subject_kind, subject_key = split_subject(subject) if subject else (None, None)
    found = service.search(
        session,
        actor=actor,
        action=action,
        since=since,
        subject_kind=subject_kind,
        subject_key=subject_key,
        before_id=before_id,
        limit=limit,
    )
    return [AuditEntryOut.of(e) for e in found]


@router.get("/audit/verify")
def verify_audit(session: SessionDep, _reader: AuditReader) -> VerifyOut:
    """Walk the hash chain from the first entry and report the first broken link, if any
    (risk analysts and administrators). `headHash` is worth keeping elsewhere: entries
    cut from the end can only be noticed against an earlier copy of it."""
    return VerifyOut.of(service.verify(session))
