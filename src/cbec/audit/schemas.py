"""Shapes of the audit log at the edge (API answers, CLI ``--json``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Self

from pydantic import Field

from cbec.audit.masking import mask_details
from cbec.audit.service import VerifyResult
from cbec.privacy import scrub
from cbec.schemas import CamelModel
from cbec.store.models import AuditEntry


class AuditEntryOut(CamelModel):
    """One audit entry: who did what to which subject, when and why (personal data
    masked)."""

    id: int
    at: datetime
    actor_kind: str = Field(description="officer, system or enterprise")
    actor: str = Field(description="username, component, or customs code")
    action: str = Field(examples=["declaration.approve"])
    subject_kind: str = Field(examples=["declaration"])
    subject_key: str
    reason: str | None
    details: dict[str, Any]
    prev_hash: str = Field(description="hash of the entry before (64 zeros for the first)")
    hash: str = Field(description="sha256(prevHash + canonical JSON of the entry)")

    @classmethod
    def of(cls, entry: AuditEntry) -> Self:
        try:
            details = json.loads(entry.details)
        except ValueError:
            details = {"unreadable": True}
        # Masked when written; masked again here, whatever wrote it.
        masked = mask_details(details) if isinstance(details, dict) else {"value": details}
        return cls(
            id=entry.id,
            at=entry.at,
            actor_kind=entry.actor_kind,
            actor=entry.actor,
            action=entry.action,
            subject_kind=entry.subject_kind,
            subject_key=entry.subject_key,
            reason=scrub(entry.reason) if entry.reason is not None else None,
            details=masked,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class VerifyOut(CamelModel):
    """The outcome of walking the audit chain from its first entry."""

    ok: bool = Field(description="every entry is intact and in order")
    checked: int = Field(description="entries found intact before the first broken one")
    head_hash: str = Field(
        description="hash of the last intact entry: keep a copy elsewhere to detect "
        "entries cut from the end"
    )
    broken_id: int | None = Field(description="id of the first entry that does not hold")
    problem: str | None = Field(description="what is wrong with it")

    @classmethod
    def of(cls, result: VerifyResult) -> Self:
        return cls(
            ok=result.ok,
            checked=result.checked,
            head_hash=result.head_hash,
            broken_id=result.broken_id,
            problem=result.problem,
        )
