"""A purge also deletes the flags on people that expired before its date: a flag by blind
index that no longer holds says nothing any more. Flags that still hold, flags without an
end and flags on enterprises stay."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.pii import service as pii
from cbec.privacy import blind_id
from cbec.store.models import AuditEntry, RiskFlag


def _flag(kind: str, key: str, valid_to: datetime | None) -> RiskFlag:
    return RiskFlag(
        subject_kind=kind,
        subject_key=key,
        source="consumer",
        kind="identity_misuse",
        valid_to=valid_to,
        created_by="test",
    )


def test_expired_flags_on_people_go_with_the_purge(db: sessionmaker[Session]) -> None:
    person = blind_id("110105194912310029")
    with db() as s:
        s.add_all(
            [
                _flag("identity", person, datetime(2024, 3, 1, tzinfo=UTC)),  # expired
                _flag("identity", person, datetime(2026, 3, 1, tzinfo=UTC)),  # ends later
                _flag("identity", person, None),  # no end
                _flag("enterprise", "4401960001", datetime(2024, 3, 1, tzinfo=UTC)),
            ]
        )
        s.commit()
    report = pii.purge(db, date(2025, 1, 1))
    assert report.identity_flags == 1
    with db() as s:
        left = {(f.subject_kind, f.valid_to) for f in s.scalars(select(RiskFlag))}
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "pii.purge")).one()
    assert ("identity", None) in left
    assert len(left) == 3
    assert all(k == "enterprise" or v is None or v.year == 2026 for k, v in left)
    assert json.loads(entry.details)["expiredIdentityFlagsDeleted"] == 1
