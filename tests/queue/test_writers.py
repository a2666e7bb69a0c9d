"""Several writers on one store: writers of the same order take turns, and a transaction
that lost a race is recognised as one to run again."""

from __future__ import annotations

import sqlite3

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cbec.intake.repository import lock_orders
from cbec.store.retry import is_retryable


def test_writers_of_one_order_take_turns_and_others_do_not_wait(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the lock is PostgreSQL's")
    with db() as first, db() as second:
        lock_orders(first, ["T20261111000001", "T20261111000002"])  # held until it ends
        second.execute(text("SET LOCAL lock_timeout = '300ms'"))
        lock_orders(second, ["T20261111000003"])  # another order: no wait
        with pytest.raises(OperationalError) as waited:
            lock_orders(second, ["T20261111000002"])
        assert waited.value.orig is not None
        assert waited.value.orig.sqlstate == "55P03"  # lock_not_available: it had to wait
        second.rollback()
        first.commit()  # the turn passes
        second.execute(text("SET LOCAL lock_timeout = '300ms'"))
        lock_orders(second, ["T20261111000002"])
        second.rollback()


def _error(orig: Exception) -> DBAPIError:
    return DBAPIError("INSERT ...", {}, orig)


def test_lost_races_are_retryable_and_bad_statements_are_not() -> None:
    assert is_retryable(_error(pg_errors.DeadlockDetected("deadlock detected")))
    assert is_retryable(_error(pg_errors.SerializationFailure("could not serialize")))
    assert is_retryable(_error(pg_errors.UniqueViolation("duplicate key")))
    assert not is_retryable(_error(pg_errors.NotNullViolation("null value")))
    assert not is_retryable(_error(pg_errors.UndefinedTable("no such table")))
    assert not is_retryable(ValueError("not a store error"))
    # straight from the driver, as risk control's own cursor raises them
    assert is_retryable(pg_errors.DeadlockDetected("deadlock detected"))
    assert is_retryable(sqlite3.OperationalError("database is locked"))
    assert not is_retryable(pg_errors.UndefinedTable("no such table"))
