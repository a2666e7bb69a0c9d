"""``cbec export-data``: the store's tables that the batch jobs read, as Parquet files.

Each table is written as ``<name>.parquet`` in the folder, with ``manifest.json`` naming the
tables, their rows and when they were exported. Identities appear only as the pseudonyms
the risk database and the identity graph already use (graph node keys); masked labels and
ID numbers are not exported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.errors import BadRequest, FieldError
from cbec.store.models import NetworkEdge, NetworkNode, utcnow

MOMENT = pl.Datetime("us", "UTC")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _frame(
    rows: Sequence[Sequence[Any]], schema: dict[str, Any], moments: Sequence[str] = ()
) -> pl.DataFrame:
    names = list(schema)
    at = [names.index(m) for m in moments]
    fixed = [tuple(_utc(v) if i in at else v for i, v in enumerate(r)) for r in rows]
    return pl.DataFrame(fixed, schema=schema, orient="row")


def network_nodes(session: Session) -> pl.DataFrame:
    """The identity graph's nodes: key (a pseudonym), kind, province, activity."""
    n = NetworkNode
    rows = session.execute(
        select(n.key, n.kind, n.province, n.first_seen, n.last_seen, n.lists, n.cents).order_by(
            n.key
        )
    ).all()
    schema = {
        "key": pl.String,
        "kind": pl.String,
        "province": pl.String,
        "first_seen": MOMENT,
        "last_seen": MOMENT,
        "lists": pl.Int64,
        "cents": pl.Int64,
    }
    return _frame(rows, schema, ("first_seen", "last_seen"))


def network_edges(session: Session) -> pl.DataFrame:
    """The identity graph's edges."""
    e = NetworkEdge
    rows = session.execute(
        select(e.a, e.b, e.kind, e.first_seen, e.last_seen, e.weight).order_by(e.a, e.b, e.kind)
    ).all()
    schema = {
        "a": pl.String,
        "b": pl.String,
        "kind": pl.String,
        "first_seen": MOMENT,
        "last_seen": MOMENT,
        "weight": pl.Int64,
    }
    return _frame(rows, schema, ("first_seen", "last_seen"))


#: Every table ``cbec export-data`` writes, by name.
TABLES: dict[str, Callable[[Session], pl.DataFrame]] = {
    "network_nodes": network_nodes,
    "network_edges": network_edges,
}
MANIFEST = "manifest.json"


def export(session: Session, out: Path, tables: Sequence[str] | None = None) -> dict[str, int]:
    """Write ``tables`` (all by default) to ``out`` as Parquet; rows written per table."""
    wanted = list(tables or TABLES)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise BadRequest(
            "unknown table",
            fields=[
                FieldError("--table", "one_of", f"{t!r} is not one of {', '.join(TABLES)}")
                for t in unknown
            ],
        )
    if out.exists() and not out.is_dir():
        raise BadRequest(
            f"{out} is not a folder", fields=[FieldError("--out", "folder", "a folder to write")]
        )
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in wanted:
        frame = TABLES[name](session)
        frame.write_parquet(out / f"{name}.parquet")
        counts[name] = frame.height
    manifest = {"exportedAt": utcnow().isoformat(), "tables": counts}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def store_readers() -> dict[str, Callable[[Any], pl.DataFrame]]:
    """The readers a :class:`~cbec.batch.engine.Source` on the store uses."""
    return dict(TABLES)
