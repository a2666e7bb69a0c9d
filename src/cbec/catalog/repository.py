"""Queries on the catalogue tables (the only place that builds them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from cbec.store.models import CatalogEdition, HsCode, PolicyParameter, PositiveListLine


def all_editions(session: Session) -> Sequence[CatalogEdition]:
    """Every edition of every kind (a small table), oldest first."""
    return session.scalars(
        select(CatalogEdition).order_by(CatalogEdition.effective_from, CatalogEdition.id)
    ).all()


def edition_rows(
    session: Session,
) -> Sequence[Row[int, str, str, date, date | None, str, datetime]]:
    """Every edition as a plain row: id, kind, name, dates, hash and load time.

    Cheap enough to run for each snapshot: it is what tells a cached snapshot is stale.
    """
    return session.execute(
        select(
            CatalogEdition.id,
            CatalogEdition.kind,
            CatalogEdition.name,
            CatalogEdition.effective_from,
            CatalogEdition.effective_to,
            CatalogEdition.content_hash,
            CatalogEdition.loaded_at,
        ).order_by(CatalogEdition.id)
    ).all()


def edition_by_name(session: Session, kind: str, name: str) -> CatalogEdition | None:
    return session.scalars(
        select(CatalogEdition).where(CatalogEdition.kind == kind, CatalogEdition.name == name)
    ).one_or_none()


def add_edition(session: Session, edition: CatalogEdition) -> CatalogEdition:
    session.add(edition)
    session.flush()
    return edition


_ROW_TABLES: dict[str, type[PositiveListLine] | type[HsCode] | type[PolicyParameter]] = {
    "positive-list": PositiveListLine,
    "hs-codes": HsCode,
    "policy": PolicyParameter,
}


def delete_rows(session: Session, edition: CatalogEdition) -> None:
    """Remove the rows of an edition (before loading its replacement)."""
    table = _ROW_TABLES[edition.kind]
    session.execute(delete(table).where(table.edition_id == edition.id))


def insert_rows(session: Session, kind: str, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert of an edition's rows (one executemany)."""
    if rows:
        session.execute(insert(_ROW_TABLES[kind]), list(rows))


def _in_force(start: Any, end: Any, on: date) -> ColumnElement[bool]:
    return and_(start <= on, or_(end.is_(None), end >= on))


def positive_lines(session: Session, edition_id: int) -> Sequence[PositiveListLine]:
    return session.scalars(
        select(PositiveListLine).where(PositiveListLine.edition_id == edition_id)
    ).all()


def hs_codes(
    session: Session, edition_id: int, on: date, prefix: str | None = None
) -> Sequence[HsCode]:
    """The HS codes of an edition whose own dates include ``on`` (optionally by prefix)."""
    query = select(HsCode).where(
        HsCode.edition_id == edition_id,
        _in_force(HsCode.effective_from, HsCode.effective_to, on),
    )
    if prefix is not None:
        query = query.where(HsCode.code10.startswith(prefix, autoescape=True))
    return session.scalars(query.order_by(HsCode.code10)).all()


def policy_parameters(session: Session, edition_id: int, on: date) -> Sequence[PolicyParameter]:
    return session.scalars(
        select(PolicyParameter)
        .where(
            PolicyParameter.edition_id == edition_id,
            _in_force(PolicyParameter.effective_from, PolicyParameter.effective_to, on),
        )
        .order_by(PolicyParameter.name)
    ).all()
