"""Bulk writes for the hot path (intake): many rows in one round trip, ids known at once.

SQLAlchemy's per-row parameter processing costs ~25 us a row, several times the database's
own work, so the few tables written per message go through the driver directly, inside
the session's transaction: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Values must be
plain Python values of the columns' types (aware datetimes, bools, bytes, str, int, Decimal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(dialect_name: str) -> Any:
    """The ``insert`` of the store's dialect (PostgreSQL's or SQLite's), which has the
    ``on_conflict_do_nothing`` and ``on_conflict_do_update`` clauses both stores know."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The storage format of SQLAlchemy's SQLite DateTime (read back by UTCDateTime).
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_rows(rows: Sequence[dict[str, Any]], columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples, datetimes as SQLAlchemy's text form (each distinct one converted
    once: a batch shares its timestamp), bools as 0/1, decimals as text (the NUMERIC
    column's affinity stores them as numbers, as SQLAlchemy's Numeric does)."""
    first, last = rows[0], rows[-1]
    special = [
        i
        for i, c in enumerate(columns)
        if isinstance(first[c], datetime | bool | Decimal)
        or isinstance(last[c], datetime | bool | Decimal)
    ]
    tuples = [tuple([row[c] for c in columns]) for row in rows]
    if not special:
        return tuples
    converted: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            text = converted.get(value)
            if text is None:
                text = converted[value] = _sqlite_datetime(value)
            return text
        return value

    out = []
    for values in tuples:
        mutable = list(values)
        for i in special:
            mutable[i] = convert(mutable[i])
        out.append(tuple(mutable))
    return out


def insert_many(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (all with the same keys, no ``id``) and return their new ids in order."""
    if not rows:
        return []
    columns = [c for c in rows[0] if c != "id"]
    connection = session.connection()
    raw: Any = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        sequence = f"{table}_id_seq"
        with raw.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, len(rows)))
            ids = [r[0] for r in cursor.fetchall()]
            with cursor.copy(f"COPY {table} (id, {names}) FROM STDIN") as copy:
                for new_id, row in zip(ids, rows, strict=True):
                    copy.write_row((new_id, *[row[c] for c in columns]))
        return ids
    # SQLite: one writer at a time, so rowids given within our transaction are contiguous
    # (max(rowid) + 1 each).
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
            _sqlite_rows(rows, columns),
        )
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
    finally:
        cursor.close()
    return list(range(last - len(rows) + 1, last + 1))


def update_many(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by ``id``; every row carries the same keys."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    connection = session.connection()
    raw: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = %s" for c in columns)
        with raw.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",
                [(*[row[c] for c in columns], row["id"]) for row in rows],
            )
        return
    sets = ", ".join(f"{c} = ?" for c in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE id = ?",
            _sqlite_rows(rows, [*columns, "id"]),
        )
    finally:
        cursor.close()
