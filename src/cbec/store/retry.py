"""Which store errors mean "try the same transaction again" when several writers share one
PostgreSQL: a deadlock, a serialization failure, or a unique key another writer inserted
a moment earlier (the retry then finds the row and treats it as such)."""

from __future__ import annotations

import random
import sqlite3
import time

import psycopg
from sqlalchemy.exc import DBAPIError

#: SQLSTATEs of a transaction that lost a race: serialization_failure, deadlock_detected,
#: unique_violation; lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505", "55P03"})

#: The errors a store transaction may raise: through SQLAlchemy, or straight from the
#: driver (risk control's aggregates are read and written with the driver's own cursor).
STORE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, psycopg.Error, sqlite3.Error)


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is a store error that running the transaction again may cure:
    through SQLAlchemy, or straight from the driver (risk control's aggregates are read and
    written on the session's connection with the driver's own cursor)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig: BaseException | None = exc.orig
    elif isinstance(exc, STORE_ERRORS):
        orig = exc
    else:
        return False
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another process holds the write lock longer than busy_timeout.
    return "database is locked" in str(orig)


def retry_pause(attempt: int) -> None:
    """Wait a little (more after each attempt, at random) before running a transaction
    again, so that the writers that deadlocked do not meet again at once."""
    time.sleep(random.uniform(0.01, 0.05) * attempt)
