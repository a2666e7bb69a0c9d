"""Queries of exports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Selectable, cast, func, select, text
from sqlalchemy.orm import Session

from cbec.store.models import (
    Document,
    ExportDeclaration,
    ExportDeclarationLink,
    ExportList,
    ExportListLine,
    ExportMovement,
    ExportSummary,
    InboundMessage,
)

#: a waybill: (logisticsCode, logisticsNo)
Waybill = tuple[str, str]


def documents(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(
            Document.id,
            Document.kind,
            Document.business_key,
            Document.deleted,
            Document.message_id,
            InboundMessage.message_type,
            InboundMessage.body,
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(Document.id.in_(wanted))
    ).all()
    return {r.id: r for r in rows}


def document_by_key(session: Session, kind: str, key: str) -> Any:
    return session.execute(
        select(
            Document.id,
            Document.deleted,
            Document.message_id,
            InboundMessage.message_type,
            InboundMessage.body,
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(Document.kind == kind, Document.business_key == key)
    ).first()


def lists_by_key(session: Session, keys: Iterable[str]) -> dict[str, ExportList]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = session.execute(select(ExportList).where(ExportList.business_key.in_(wanted))).scalars()
    return {r.business_key: r for r in rows}


def awaiting_for_orders(
    session: Session, orders: Iterable[tuple[str, str, str]]
) -> Sequence[ExportList]:
    wanted = set(orders)
    if not wanted:
        return []
    rows = session.execute(
        select(ExportList).where(
            ExportList.awaiting.is_(True),
            ExportList.order_no.in_({o for _, _, o in wanted}),
        )
    ).scalars()
    return [r for r in rows if (r.ebp_code, r.ebc_code, r.order_no) in wanted]


def waybill_documents(session: Session, waybills: Iterable[Waybill]) -> dict[Waybill, Any]:
    """The export waybills (CEB505) on file, not withdrawn, with their bodies."""
    keys = {f"{code}|{no}" for code, no in waybills}
    if not keys:
        return {}
    rows = session.execute(
        select(
            Document.id,
            Document.business_key,
            InboundMessage.message_type,
            InboundMessage.body,
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(
            Document.kind == "export_waybill",
            Document.business_key.in_(keys),
            Document.deleted.is_(False),
        )
    ).all()
    out: dict[Waybill, Any] = {}
    for row in rows:
        code, _, no = row.business_key.partition("|")
        out[(code, no)] = row
    return out


def moved(session: Session, kind: str, waybills: Iterable[Waybill]) -> set[Waybill]:
    """The waybills an arrival report or departure (``kind``) has named."""
    wanted = set(waybills)
    if not wanted:
        return set()
    rows = session.execute(
        select(ExportMovement.logistics_code, ExportMovement.logistics_no).where(
            ExportMovement.kind == kind,
            ExportMovement.logistics_no.in_({no for _, no in wanted}),
        )
    ).all()
    return {(code, no) for code, no in rows if (code, no) in wanted}


def lists_by_waybill(
    session: Session, waybills: Iterable[Waybill], *, awaiting_only: bool = False
) -> dict[Waybill, list[ExportList]]:
    """The export lists leaving on these waybills (only those still waiting, if asked)."""
    wanted = set(waybills)
    if not wanted:
        return {}
    query = select(ExportList).where(ExportList.logistics_no.in_({no for _, no in wanted}))
    if awaiting_only:
        query = query.where(ExportList.awaiting.is_(True))
    out: dict[Waybill, list[ExportList]] = {}
    for row in session.execute(query.order_by(ExportList.id)).scalars():
        key = (row.logistics_code or "", row.logistics_no or "")
        if key in wanted:
            out.setdefault(key, []).append(row)
    return out


def export_list(session: Session, invt_no: str) -> ExportList | None:
    return (
        session.execute(select(ExportList).where(ExportList.invt_no == invt_no)).scalars().first()
    )


def _summarised() -> Any:
    """Whether a list has a line in a declaration."""
    return (
        select(ExportDeclarationLink.id)
        .where(ExportDeclarationLink.export_list_id == ExportList.id)
        .exists()
    )


def scaled(column: Any) -> Any:
    """A decimal(19,5) column as an integer of 10^-5 units, on SQLite and PostgreSQL."""
    return cast(func.round(column * 100000), BigInteger)


def summary_lines(first: date, last: date) -> Selectable:
    """Every line of the closed (released and exited), not yet summarised B lists exported
    (ieDate) in [first, last]."""
    return (
        select(
            ExportList.id.label("list_id"),
            ExportList.invt_no,
            ExportListLine.gnum,
            ExportList.ebc_code,
            ExportList.owner_code,
            ExportList.trade_mode,
            ExportList.traf_mode,
            ExportList.country,
            ExportList.port_code,
            ExportList.currency,
            ExportListLine.gcode,
            ExportListLine.gname,
            ExportListLine.unit,
            scaled(ExportListLine.qty).label("qty_e5"),
            scaled(ExportListLine.total_price).label("price_e5"),
            scaled(ExportList.gross_weight).label("gross_e5"),
            scaled(ExportList.net_weight).label("net_e5"),
        )
        .join(ExportListLine, ExportListLine.export_list_id == ExportList.id)
        .where(
            ExportList.status == 899,
            ExportList.statistics_flag == "B",
            ~_summarised(),
            ExportList.ie_date >= first,
            ExportList.ie_date <= last,
        )
        .order_by(ExportList.id, ExportListLine.gnum)
    )


def not_exited(session: Session, first: date, last: date) -> int:
    """Released B lists exported (ieDate) in [first, last] whose goods have not left yet
    (no departure): a summary leaves them out."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ExportList)
            .where(
                ExportList.status == 800,
                ExportList.statistics_flag == "B",
                ExportList.ie_date >= first,
                ExportList.ie_date <= last,
            )
        )
        or 0
    )


def applications(session: Session, period: str) -> Sequence[ExportSummary]:
    """The enterprises' summary applications (CEB701) for ``period`` not withdrawn, filed or
    already summarised by an earlier run, oldest first."""
    return (
        session.execute(
            select(ExportSummary)
            .join(Document, Document.id == ExportSummary.document_id)
            .where(ExportSummary.period == period, Document.deleted.is_(False))
            .order_by(ExportSummary.id)
        )
        .scalars()
        .all()
    )


def declarations(
    session: Session, period: str | None = None, ebc_code: str | None = None
) -> Sequence[ExportDeclaration]:
    query = select(ExportDeclaration).order_by(ExportDeclaration.id)
    if period is not None:
        query = query.where(ExportDeclaration.period == period)
    if ebc_code is not None:
        query = query.where(ExportDeclaration.ebc_code == ebc_code)
    return session.execute(query).scalars().all()


def declarations_by_ids(session: Session, ids: Sequence[int]) -> Sequence[ExportDeclaration]:
    if not ids:
        return []
    return (
        session.execute(
            select(ExportDeclaration)
            .where(ExportDeclaration.id.in_(list(ids)))
            .order_by(ExportDeclaration.id)
        )
        .scalars()
        .all()
    )


def declaration(session: Session, entry_id: str) -> ExportDeclaration | None:
    return session.execute(
        select(ExportDeclaration).where(ExportDeclaration.entry_id == entry_id)
    ).scalar_one_or_none()


def links_of(session: Session, declaration_ids: Iterable[int]) -> Sequence[ExportDeclarationLink]:
    wanted = list(set(declaration_ids))
    if not wanted:
        return []
    return (
        session.execute(
            select(ExportDeclarationLink)
            .where(ExportDeclarationLink.declaration_id.in_(wanted))
            .order_by(ExportDeclarationLink.id)
        )
        .scalars()
        .all()
    )


def summary(session: Session, summary_id: int) -> ExportSummary | None:
    return session.get(ExportSummary, summary_id)


def statistics(session: Session, first: date, last: date) -> Sequence[Any]:
    """Per trade mode, status and whether summarised: lists and their value, exported in
    [first, last]."""
    summarised = _summarised()
    return session.execute(
        select(
            ExportList.trade_mode,
            ExportList.status,
            ExportList.awaiting,
            summarised,
            func.count(),
            func.coalesce(func.sum(ExportList.total_price), 0),
        )
        .where(ExportList.ie_date >= first, ExportList.ie_date <= last)
        .group_by(ExportList.trade_mode, ExportList.status, ExportList.awaiting, summarised)
        .order_by(ExportList.trade_mode, ExportList.status)
    ).all()


def declaration_statistics(session: Session, period: str) -> Sequence[Any]:
    return session.execute(
        select(
            ExportDeclaration.trade_mode,
            func.count(),
            func.coalesce(func.sum(ExportDeclaration.total_price), 0),
        )
        .where(ExportDeclaration.period == period)
        .group_by(ExportDeclaration.trade_mode)
        .order_by(ExportDeclaration.trade_mode)
    ).all()


def last_declaration_id(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(ExportDeclaration.id), 0))) or 0)


def entry_ids_by_enterprise(
    session: Session, summary_ids: Sequence[int], limit: int
) -> dict[int, tuple[int, list[str]]]:
    """summary id -> (how many declarations, the first ``limit`` numbers)."""
    out: dict[int, tuple[int, list[str]]] = {}
    for summary_id in summary_ids:
        count = (
            session.scalar(select(func.count()).where(ExportDeclaration.summary_id == summary_id))
            or 0
        )
        first = session.scalars(
            select(ExportDeclaration.entry_id)
            .where(ExportDeclaration.summary_id == summary_id)
            .order_by(ExportDeclaration.id)
            .limit(limit)
        ).all()
        out[summary_id] = (int(count), [e or "" for e in first])
    return out


#: First key of the advisory lock on a month's summary run (pg_advisory_xact_lock(int,
#: int)), apart from the other advisory locks of cbec.
SUMMARY_LOCK_CLASS = 0x0E5E


def lock_summary_run(session: Session, period: str) -> None:
    """Until this transaction ends, hold the right to summarise ``period`` (YYYY-MM), so
    that a second run started at the same time waits, then finds the lists the first one
    summarised taken, instead of declaring them a second time. PostgreSQL: an advisory
    lock on the month. SQLite: the database write lock, taken by a statement that writes
    no row (the driver reads outside a transaction until the first write, so nothing read
    before it is stale)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        year, month = (int(part) for part in period.split("-"))
        session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, :key)"),
            {"cls": SUMMARY_LOCK_CLASS, "key": year * 100 + month},
        )
    elif dialect == "sqlite":
        session.execute(text("UPDATE export_summaries SET id = id WHERE 0"))
