"""The graph as two polars frames (nodes, edges), read from the store or from memory, for
the set-based detectors and the network discovery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.network.graph import GraphBuffer
from cbec.store.models import NetworkEdge, NetworkNode

NODE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "key": pl.String,
    "kind": pl.String,
    "label": pl.String,
    "subject": pl.String,
    "province": pl.String,
    "area": pl.String,
    "birth_year": pl.Int32,
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "lists": pl.Int64,
    "cents": pl.Int64,
}
EDGE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "a": pl.String,
    "b": pl.String,
    "kind": pl.String,
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "weight": pl.Int64,
}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Frames:
    nodes: pl.DataFrame
    edges: pl.DataFrame

    @property
    def latest(self) -> datetime | None:
        """When the graph last saw anything (the detectors' "now")."""
        if self.nodes.is_empty():
            return None
        value = self.nodes["last_seen"].max()
        return value if isinstance(value, datetime) else None


def from_buffer(buffer: GraphBuffer) -> Frames:
    """The frames of an in-memory graph (column by column: much faster than rows)."""
    nodes = list(buffer.nodes.values())
    edges = list(buffer.edges.values())
    node_frame = pl.DataFrame(
        {
            name: [getattr(n, name) for n in nodes]
            for name in NODE_SCHEMA
            if name not in ("first_seen", "last_seen")
        },
        schema={k: v for k, v in NODE_SCHEMA.items() if k not in ("first_seen", "last_seen")},
    ).with_columns(
        first_seen=_moments([n.first_seen for n in nodes]),
        last_seen=_moments([n.last_seen for n in nodes]),
    )
    edge_frame = pl.DataFrame(
        {
            "a": [e.a for e in edges],
            "b": [e.b for e in edges],
            "kind": [e.kind for e in edges],
            "weight": [e.weight for e in edges],
        },
        schema={k: v for k, v in EDGE_SCHEMA.items() if k not in ("first_seen", "last_seen")},
    ).with_columns(
        first_seen=_moments([e.first_seen for e in edges]),
        last_seen=_moments([e.last_seen for e in edges]),
    )
    return Frames(node_frame.select(list(NODE_SCHEMA)), edge_frame.select(list(EDGE_SCHEMA)))


def _moments(values: list[datetime]) -> pl.Series:
    """Datetimes (naive ones taken as UTC) as a UTC series (through epoch microseconds:
    polars reads aware datetimes one by one, ten times slower)."""
    micros = [round(_utc(v).timestamp() * 1_000_000) for v in values]
    return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def from_store(session: Session) -> Frames:
    """The stored graph."""
    n = NetworkNode
    node_rows = session.execute(
        select(
            n.key,
            n.kind,
            n.label,
            n.subject,
            n.province,
            n.area,
            n.birth_year,
            n.first_seen,
            n.last_seen,
            n.lists,
            n.cents,
        )
    ).all()
    e = NetworkEdge
    edge_rows = session.execute(select(e.a, e.b, e.kind, e.first_seen, e.last_seen, e.weight)).all()
    nodes = pl.DataFrame(
        [(*r[:7], _utc(r[7]), _utc(r[8]), r[9], r[10]) for r in node_rows],
        schema=NODE_SCHEMA,
        orient="row",
    )
    edges = pl.DataFrame(
        [(r[0], r[1], r[2], _utc(r[3]), _utc(r[4]), r[5]) for r in edge_rows],
        schema=EDGE_SCHEMA,
        orient="row",
    )
    return Frames(nodes, edges)
