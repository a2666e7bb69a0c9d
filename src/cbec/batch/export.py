"""``cbec export-data``: the store's tables that the batch jobs read, as Parquet files.

Each table is written as ``<name>.parquet`` in the folder, with ``manifest.json`` naming the
tables, their rows and when they were exported. Identities appear only as the pseudonyms
the risk database and the identity graph already use (graph node keys, the blind index of
an ID number: ``declarations.buyer_key``, ``risk_flags.subject_key``, the risk aggregates'
keys: ``risk_lists.buyer``, see :mod:`cbec.risk.tables`); masked labels, ID numbers, names,
addresses, phones, finding texts and flag reasons are not exported.
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
from cbec.risk import tables as risk_tables
from cbec.store.models import (
    Declaration,
    DeclarationEvent,
    Enterprise,
    NetworkEdge,
    NetworkNode,
    RiskFlag,
    TaxStatement,
    utcnow,
)

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


MONEY = pl.Decimal(19, 5)


def _rules(findings: str | None) -> str:
    """The rule codes of a list's findings (``C10.tax,...``), without their messages."""
    try:
        found = json.loads(findings or "[]")
    except ValueError:
        return ""
    if not isinstance(found, list):
        return ""
    return ",".join(str(f.get("rule", "")) for f in found if isinstance(f, dict))


def _decided(query: Any, since: datetime | None, until: datetime | None) -> Any:
    d = Declaration
    query = query.where(d.decided_at.is_not(None))
    if since is not None:
        query = query.where(d.decided_at >= since)
    if until is not None:
        query = query.where(d.decided_at < until)
    return query


def declarations(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> pl.DataFrame:
    """Decided lists (in [since, until) if given): their enterprises, the buyer as the
    blind index of the ID number (``buyer_key``), value, tax, status, the rule codes of
    their findings and when they were decided. No ID number, name or finding text."""
    d = Declaration
    query = select(
        d.id,
        d.ebp_code,
        d.ebc_code,
        d.agent_code,
        d.logistics_code,
        d.pay_code,
        d.buyer_key,
        d.taxable_value,
        d.tax_total,
        d.status,
        d.findings,
        d.decided_at,
    ).order_by(d.id)
    rows = [
        (*r[:10], _rules(r[10]), r[11])
        for r in session.execute(_decided(query, since, until)).all()
    ]
    schema = {
        "id": pl.Int64,
        "ebp_code": pl.String,
        "ebc_code": pl.String,
        "agent_code": pl.String,
        "logistics_code": pl.String,
        "pay_code": pl.String,
        "buyer_key": pl.String,
        "taxable_value": MONEY,
        "tax_total": MONEY,
        "status": pl.Int64,
        "rules": pl.String,
        "decided_at": MOMENT,
    }
    return _frame(rows, schema, ("decided_at",))


def declaration_events(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> pl.DataFrame:
    """The state changes of the decided lists (of those decided in [since, until))."""
    e, d = DeclarationEvent, Declaration
    query = (
        select(e.declaration_id, e.from_status, e.to_status)
        .join(d, d.id == e.declaration_id)
        .order_by(e.declaration_id, e.id)
    )
    rows = session.execute(_decided(query, since, until)).all()
    schema = {"declaration_id": pl.Int64, "from_status": pl.Int64, "to_status": pl.Int64}
    return _frame(rows, schema)


def enterprises(session: Session) -> pl.DataFrame:
    """Filed enterprises: customs code, filing date, roles (comma-separated)."""
    found = session.execute(select(Enterprise).order_by(Enterprise.customs_code)).scalars()
    rows = [(e.customs_code, e.filing_date, ",".join(e.role_names)) for e in found]
    schema = {"customs_code": pl.String, "filing_date": pl.Date, "roles": pl.String}
    return _frame(rows, schema)


def tax_statements(session: Session) -> pl.DataFrame:
    """Monthly tax statements of the guarantees: totals, payments, due and paid dates."""
    t = TaxStatement
    rows = session.execute(
        select(t.guarantor_code, t.period, t.total, t.paid, t.due_on, t.paid_on).order_by(t.id)
    ).all()
    schema = {
        "guarantor_code": pl.String,
        "period": pl.String,
        "total": MONEY,
        "paid": MONEY,
        "due_on": pl.Date,
        "paid_on": pl.Date,
    }
    return _frame(rows, schema)


def risk_flags(session: Session) -> pl.DataFrame:
    """Risk flags: subject (a customs code, or an identity's blind index), source, kind,
    score and validity; not the masked label nor the reason."""
    f = RiskFlag
    rows = session.execute(
        select(
            f.subject_kind, f.subject_key, f.source, f.kind, f.score, f.valid_from, f.valid_to
        ).order_by(f.id)
    ).all()
    schema = {
        "subject_kind": pl.String,
        "subject_key": pl.String,
        "source": pl.String,
        "kind": pl.String,
        "score": pl.Float64,
        "valid_from": MOMENT,
        "valid_to": MOMENT,
    }
    return _frame(rows, schema, ("valid_from", "valid_to"))


#: Every table ``cbec export-data`` writes, by name.
TABLES: dict[str, Callable[[Session], pl.DataFrame]] = {
    "network_nodes": network_nodes,
    "network_edges": network_edges,
    "declarations": declarations,
    "declaration_events": declaration_events,
    "enterprises": enterprises,
    "tax_statements": tax_statements,
    "risk_flags": risk_flags,
    # the risk features job's (cbec.risk.batch): lists with the facts the features read
    "risk_lists": risk_tables.risk_lists,
    "risk_lines": risk_tables.risk_lines,
    "risk_labels": risk_tables.risk_labels,
    "enterprise_classes": risk_tables.enterprise_classes,
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
