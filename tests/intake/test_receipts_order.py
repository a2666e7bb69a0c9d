"""With several writers on PostgreSQL a receipt with a lower id can commit after one with a
higher id; a sender paging by the cursor must still get it (receipts are placed in commit
order). SQLite has one writer, and pages by id."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.intake.repository import cursor_of, receipts_after
from cbec.store.models import Receipt

RECIPIENT = "4401960003"


def _receipt(n: int) -> Receipt:
    return Receipt(
        recipient_code=RECIPIENT,
        message_type="CEB412",
        ori_message_type="CEB411",
        ori_guid=f"guid-{n}",
        business_key=f"key-{n}",
        return_status=2,
        return_info="accepted",
        body="{}",
    )


def _page(db: sessionmaker[Session], after: int) -> tuple[list[str], int]:
    with db() as s:
        rows = receipts_after(s, RECIPIENT, after, 100)
        return [r.ori_guid for r in rows], (cursor_of(s, rows[-1]) if rows else after)


def test_a_receipt_committed_late_with_a_lower_id_is_not_skipped(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: commit order is id order there")
    slow = db()
    early = _receipt(1)
    slow.add(early)
    slow.flush()  # takes the lower id, commits last
    with db() as fast:
        late = _receipt(2)
        fast.add(late)
        fast.commit()
    assert early.id < late.id
    seen, cursor = _page(db, 0)
    assert seen == ["guid-2"]  # the one committed so far
    slow.commit()
    slow.close()
    more, _ = _page(db, cursor)
    assert more == ["guid-1"]  # paging on from the cursor finds it
