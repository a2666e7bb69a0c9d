"""Queries of the audit log. Inserts only: nothing here updates or deletes a row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cbec.store.models import AuditEntry

#: Key of the PostgreSQL advisory lock that serialises writers of the chain.
#: (Any constant unique in this database; this one spells "cbecaudt" in ASCII.)
CHAIN_LOCK_KEY = 0x6362_6563_6175_6474


def lock_chain(session: Session) -> None:
    """Hold the right to append to the chain until this transaction ends.

    PostgreSQL: a transaction-scoped advisory lock (also right for an empty log, where
    there is no last row to lock ``FOR UPDATE``). SQLite: a statement that writes no row
    but takes the database write lock now, waiting for any other writer, so that the head
    read next is still the head when the new entry is inserted. (The unique ``prev_hash``
    is the last line of defence: a forked chain cannot be stored.)
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def head(session: Session) -> AuditEntry | None:
    """The last entry of the chain (the one with the highest id), if any."""
    return session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()


def add(session: Session, entry: AuditEntry) -> AuditEntry:
    session.add(entry)
    session.flush()
    return entry


def walk(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry in chain order, as stored now, fetched ``batch`` at a time (keyset
    pagination: a long log is never held in memory at once)."""
    after = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.id > after)
                .order_by(AuditEntry.id)
                .limit(batch)
                # What the database holds, not what this session loaded earlier.
                .execution_options(populate_existing=True)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def of_subject(session: Session, subject_kind: str, subject_key: str) -> Sequence[AuditEntry]:
    """Every entry about one subject, oldest first."""
    return (
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.subject_kind == subject_kind, AuditEntry.subject_key == subject_key)
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    subject_kind: str | None = None,
    subject_key: str | None = None,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Entries matching every filter given, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if subject_kind is not None:
        query = query.where(AuditEntry.subject_kind == subject_kind)
    if subject_key is not None:
        query = query.where(AuditEntry.subject_key == subject_key)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.execute(query).scalars().all()
