"""The audit log: one row per officer, system or enterprise decision, chained by hashes.

Append-only: the migration adds triggers that refuse UPDATE and DELETE on both back ends,
and nothing in cbec updates or deletes a row. Each row's ``hash`` is
``sha256(prev_hash + canonical JSON of the row)`` (see :mod:`cbec.audit.chain`), so an edit
made behind the triggers' back breaks the chain at that row; ``prev_hash`` is unique, so
two writers can never fork the chain from the same row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow


class AuditEntry(Base):
    """Who did what to which subject, when and why."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("prev_hash"),
        UniqueConstraint("hash"),
        Index("ix_audit_log_subject", "subject_kind", "subject_key", "id"),
        Index("ix_audit_log_actor", "actor", "id"),
        Index("ix_audit_log_action", "action", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``officer``, ``system`` or ``enterprise``.
    actor_kind: Mapped[str] = mapped_column(String(16))
    #: The officer's username, the enterprise's customs code, or the system component.
    actor: Mapped[str] = mapped_column(String(64))
    #: What was done, ``<subject kind>.<verb>``: ``declaration.approve``, ``officer.create``.
    action: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_key: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Canonical JSON object, personal data masked.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
