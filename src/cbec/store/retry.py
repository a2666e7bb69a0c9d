"""Which store errors mean "try the same transaction again" when several writers share one
PostgreSQL: a deadlock, a serialization failure, or a unique key another writer inserted
a moment earlier (the retry then finds the row and treats it as such)."""

from __future__ import annotations

import random
import time

from sqlalchemy.exc import DBAPIError

#: SQLSTATEs of a transaction that lost a race: serialization_failure, deadlock_detected,
#: unique_violation; lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505", "55P03"})


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is a store error that running the transaction again may cure."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None)
    if state in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another process holds the write lock longer than busy_timeout.
    return "database is locked" in str(exc.orig)


def retry_pause(attempt: int) -> None:
    """Wait a little (more after each attempt, at random) before running a transaction
    again, so that the writers that deadlocked do not meet again at once."""
    time.sleep(random.uniform(0.01, 0.05) * attempt)
