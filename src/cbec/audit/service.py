"""Write to the audit log and read it back: record, verify, history, search.

The log is append-only: :func:`record` is the only way in, and nothing updates or deletes
an entry (the database refuses it too). Services flush, never commit: an entry is part of
its caller's transaction, so a decision and its audit entry are stored together or not
at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import repository
from cbec.audit.chain import GENESIS, EntryFields, canonical_json, link_hash
from cbec.audit.masking import mask_details
from cbec.privacy import scrub
from cbec.store.models import AuditEntry, utcnow

#: Most entries one search returns.
SEARCH_MAX = 1000

_LIMITS = {"actor": 64, "action": 64, "subject_kind": 32, "subject_key": 255}


class ActorKind(StrEnum):
    """Who acted: an officer (by username), the system (a component), an enterprise (by
    customs code)."""

    OFFICER = "officer"
    SYSTEM = "system"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who an action is recorded against: a kind and a name (username, customs code, or
    the component of the system)."""

    kind: ActorKind
    name: str

    @classmethod
    def officer(cls, username: str) -> Actor:
        return cls(ActorKind.OFFICER, username)

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(ActorKind.SYSTEM, component)

    @classmethod
    def enterprise(cls, customs_code: str) -> Actor:
        return cls(ActorKind.ENTERPRISE, customs_code)


def record(
    session: Session,
    *,
    actor_kind: ActorKind | str,
    actor: str,
    action: str,
    subject_kind: str,
    subject_key: str,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, chained to the last one, and flush it.

    ``details`` is a JSON-ready object (Decimals and datetimes are accepted); known
    personal-data keys in it are masked and ID and mobile numbers are scrubbed from it
    and from ``reason`` (:func:`cbec.audit.masking.mask_details`).

    The chain is extended under a lock held until the caller's transaction ends, so two
    writers cannot both follow the same entry: record late in a transaction, and commit
    promptly. Raises ``ValueError`` for an unknown actor kind, an empty or too long field.

    Examples
    --------
    >>> record(  # doctest: +SKIP
    ...     session, actor_kind="officer", actor="li.wei", action="declaration.approve",
    ...     subject_kind="declaration", subject_key="I440196000120261127000001",
    ...     reason="documents agree after the enterprise's correction",
    ... )
    """
    kind = ActorKind(actor_kind)
    for name, value in (
        ("actor", actor),
        ("action", action),
        ("subject_kind", subject_kind),
        ("subject_key", subject_key),
    ):
        if not value or len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} must have 1 to {_LIMITS[name]} characters: {value!r}")
    masked = mask_details(dict(details or {}))
    details_text = canonical_json(masked)
    reason = scrub(reason) if reason is not None else None

    repository.lock_chain(session)
    last = repository.head(session)
    prev_hash = last.hash if last is not None else GENESIS
    at = utcnow()
    fields = EntryFields(
        at=at,
        actor_kind=kind.value,
        actor=actor,
        action=action,
        subject_kind=subject_kind,
        subject_key=subject_key,
        reason=reason,
        details=json.loads(details_text),
    )
    entry = AuditEntry(
        at=at,
        actor_kind=kind.value,
        actor=actor,
        action=action,
        subject_kind=subject_kind,
        subject_key=subject_key,
        reason=reason,
        details=details_text,
        prev_hash=prev_hash,
        hash=link_hash(prev_hash, fields),
    )
    return repository.add(session, entry)


def fields_of(entry: AuditEntry) -> EntryFields:
    """What ``entry`` says, as its hash covers it (``ValueError`` if its details are not
    JSON)."""
    return EntryFields(
        at=entry.at,
        actor_kind=entry.actor_kind,
        actor=entry.actor,
        action=entry.action,
        subject_kind=entry.subject_kind,
        subject_key=entry.subject_key,
        reason=entry.reason,
        details=json.loads(entry.details),
    )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the chain.

    ``checked`` entries were found intact, in order; ``head_hash`` is the hash of the last
    of them (:data:`~cbec.audit.chain.GENESIS` for an empty log): keep it somewhere else
    (a daily report) to detect entries cut from the end, which a chain alone cannot show.
    When the chain is broken, ``broken_id`` is the first entry that does not hold and
    ``problem`` says why.
    """

    ok: bool
    checked: int
    head_hash: str
    broken_id: int | None = None
    problem: str | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the whole chain from the first entry; stop at the first broken link."""
    expected_prev = GENESIS
    checked = 0
    for entry in repository.walk(session):
        problem: str | None = None
        if entry.prev_hash != expected_prev:
            problem = (
                "prev_hash does not match the hash of the entry before it "
                "(an entry was removed, inserted or reordered)"
            )
        else:
            try:
                recomputed = link_hash(entry.prev_hash, fields_of(entry))
            except ValueError:
                problem = "details are not JSON (the entry was altered)"
            else:
                if recomputed != entry.hash:
                    problem = "content does not match its hash (the entry was altered)"
        if problem is not None:
            return VerifyResult(
                ok=False,
                checked=checked,
                head_hash=expected_prev,
                broken_id=entry.id,
                problem=problem,
            )
        expected_prev = entry.hash
        checked += 1
    return VerifyResult(ok=True, checked=checked, head_hash=expected_prev)


def history(session: Session, subject_kind: str, subject_key: str) -> Sequence[AuditEntry]:
    """Everything recorded about one subject (a declaration, an officer, ...), oldest
    first."""
    return repository.of_subject(session, subject_kind, subject_key)


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    subject_kind: str | None = None,
    subject_key: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Entries matching every filter given, newest first, at most ``limit`` (capped at
    :data:`SEARCH_MAX`); page back with ``before_id`` = the last id seen."""
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    return repository.search(
        session,
        actor=actor,
        action=action,
        subject_kind=subject_kind,
        subject_key=subject_key,
        since=since,
        before_id=before_id,
        limit=max(1, min(limit, SEARCH_MAX)),
    )
