"""The audit log on each back end: append, verify, read; append-only for real."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from cbec.audit.chain import GENESIS
from cbec.store.models import AuditEntry, utcnow
from tests.officers.factories import audit_triggers_dropped


def approve(
    session: Session, key: str = "I0001", actor: str = "li.wei", **fields: object
) -> AuditEntry:
    data: dict[str, object] = {
        "actor_kind": "officer",
        "actor": actor,
        "action": "declaration.approve",
        "subject_kind": "declaration",
        "subject_key": key,
    } | fields
    return audit.record(session, **data)  # type: ignore[arg-type]


def test_entries_are_chained_from_genesis(session: Session) -> None:
    first = approve(session, "I0001")
    second = approve(session, "I0002", reason="documents agree")

    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert first.id < second.id
    result = audit.verify(session)
    assert (result.ok, result.checked, result.head_hash) == (True, 2, second.hash)


def test_an_empty_log_verifies(session: Session) -> None:
    assert audit.verify(session) == audit.VerifyResult(ok=True, checked=0, head_hash=GENESIS)


def test_the_chain_survives_the_round_trip_through_the_store(db: sessionmaker[Session]) -> None:
    with db() as s:
        approve(s, details={"tax": __import__("decimal").Decimal("12.30"), "at": utcnow()})
        s.commit()
    with db() as s:
        assert audit.verify(s).ok


def test_personal_data_is_masked_before_it_is_written(session: Session) -> None:
    entry = approve(
        session,
        reason="buyer 11010519491231002X exceeds the annual quota",
        details={"buyerIdNumber": "11010519491231002X", "buyerName": "张三丰", "qty": 2},
    )

    stored = session.execute(
        text("SELECT details, reason FROM audit_log WHERE id = :id"), {"id": entry.id}
    ).one()
    assert "11010519491231002X" not in stored.details + stored.reason
    assert json.loads(stored.details) == {
        "buyerIdNumber": "110*************2X",
        "buyerName": "张**",
        "qty": 2,
    }
    assert audit.verify(session).ok


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"actor_kind": "robot"}, "robot"),
        ({"actor": ""}, "actor"),
        ({"action": "x" * 65}, "action"),
        ({"subject_key": ""}, "subject_key"),
    ],
)
def test_malformed_entries_are_refused(
    session: Session, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        approve(session, **fields)


def test_history_tells_one_subjects_story_oldest_first(session: Session) -> None:
    approve(session, "I0001", action="declaration.review")
    approve(session, "I0002")
    approve(session, "I0001", action="declaration.approve")

    story = audit.history(session, "declaration", "I0001")

    assert [e.action for e in story] == ["declaration.review", "declaration.approve"]


def test_search_filters_newest_first(session: Session) -> None:
    approve(session, "I0001", actor="li.wei")
    approve(session, "I0002", actor="zhang.min", action="declaration.reject")
    approve(session, "I0003", actor="li.wei")

    assert [e.subject_key for e in audit.search(session, actor="li.wei")] == ["I0003", "I0001"]
    assert [e.subject_key for e in audit.search(session, action="declaration.reject")] == ["I0002"]
    assert [e.subject_key for e in audit.search(session, limit=1)] == ["I0003"]
    assert len(audit.search(session, since=utcnow() - timedelta(minutes=1))) == 3
    assert audit.search(session, since=utcnow() + timedelta(minutes=1)) == []
    newest = audit.search(session)[0]
    assert [e.subject_key for e in audit.search(session, before_id=newest.id)] == ["I0002", "I0001"]


def test_update_and_delete_are_refused_by_the_database(db: sessionmaker[Session]) -> None:
    with db() as s:
        approve(s)
        s.commit()
    for statement in (
        "UPDATE audit_log SET reason = 'nothing happened'",
        "DELETE FROM audit_log",
    ):
        with db() as s, pytest.raises(IntegrityError, match="audit_log is append-only"):
            s.execute(text(statement))
    with db() as s:
        assert s.execute(text("SELECT count(*), max(reason) FROM audit_log")).one() == (1, None)


def test_verify_finds_an_altered_entry(engine: Engine, db: sessionmaker[Session]) -> None:
    with db() as s:
        first, second, _ = (approve(s, f"I000{n}") for n in (1, 2, 3))
        s.commit()

    with audit_triggers_dropped(engine), engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET reason = 'never approved' WHERE id = :id"),
            {"id": second.id},
        )

    with db() as s:
        result = audit.verify(s)
    assert (result.ok, result.broken_id, result.checked) == (False, second.id, 1)
    assert result.head_hash == first.hash
    assert "altered" in (result.problem or "")


def test_verify_finds_a_removed_entry(engine: Engine, db: sessionmaker[Session]) -> None:
    with db() as s:
        _, second, third = (approve(s, f"I000{n}") for n in (1, 2, 3))
        s.commit()

    with audit_triggers_dropped(engine), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second.id})

    with db() as s:
        result = audit.verify(s)
    assert (result.ok, result.broken_id) == (False, third.id)
    assert "removed" in (result.problem or "")


def test_verify_finds_a_rewritten_chain_that_was_not_rehashed(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    with db() as s:
        first, _ = approve(s, "I0001"), approve(s, "I0002")
        s.commit()

    with audit_triggers_dropped(engine), engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET details = 'not json' WHERE id = :id"), {"id": first.id}
        )

    with db() as s:
        result = audit.verify(s)
    assert (result.ok, result.broken_id, result.checked) == (False, first.id, 0)


def test_the_triggers_are_back_after_tampering(engine: Engine, db: sessionmaker[Session]) -> None:
    with audit_triggers_dropped(engine):
        pass
    with db() as s:
        approve(s)
        s.commit()
    with db() as s, pytest.raises(IntegrityError, match="append-only"):
        s.execute(text("DELETE FROM audit_log"))


def test_two_entries_cannot_follow_the_same_one(session: Session) -> None:
    first = approve(session)
    session.add(
        AuditEntry(
            actor_kind="system",
            actor="forger",
            action="declaration.approve",
            subject_kind="declaration",
            subject_key="I0009",
            prev_hash=GENESIS,
            hash="f" * 64,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    assert first.prev_hash == GENESIS


def test_concurrent_writers_keep_one_chain(db: sessionmaker[Session]) -> None:
    writers, each = 4, 10
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with db() as s:
                    approve(s, f"I{n}-{i}", actor=f"officer{n}")
                    s.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db() as s:
        result = audit.verify(s)
    assert (result.ok, result.checked) == (True, writers * each)
