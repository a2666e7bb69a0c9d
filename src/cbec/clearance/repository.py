"""Queries of clearance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.clearance.classes import ClassRates
from cbec.store.models import (
    Declaration,
    Document,
    Enterprise,
    EnterpriseClass,
    InboundMessage,
    QuotaUsage,
)

THREE_AND_LIST = ("order", "payment", "waybill", "inventory")


def documents_for_orders(
    session: Session, order_nos: Iterable[str], *, with_body: bool = True
) -> Sequence[Any]:
    """Live documents (kind, business key, order no, ebp code, message type and, unless
    ``with_body`` is false, body) of orders."""
    order_nos = list(set(order_nos))
    if not order_nos:
        return []
    return session.execute(
        select(
            Document.id,
            Document.message_id,
            Document.kind,
            Document.business_key,
            Document.order_no,
            Document.ebp_code,
            InboundMessage.message_type,
            *_body(with_body),
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(
            Document.order_no.in_(order_nos),
            Document.kind.in_(THREE_AND_LIST),
            Document.deleted.is_(False),
        )
        .order_by(Document.id)
    ).all()


def documents_by_id(
    session: Session, ids: Iterable[int], *, with_body: bool = True
) -> Sequence[Any]:
    """Documents (kind, business key, deleted, message type and, unless ``with_body`` is
    false, body) by id."""
    ids = list(set(ids))
    if not ids:
        return []
    return session.execute(
        select(
            Document.id,
            Document.message_id,
            Document.kind,
            Document.business_key,
            Document.deleted,
            InboundMessage.message_type,
            *_body(with_body),
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(Document.id.in_(ids))
    ).all()


def _body(wanted: bool) -> tuple[Any, ...]:
    # The body is the one large column, and it is unsealed as it is read: left out where
    # the caller may already hold the message (see message_bodies).
    return (InboundMessage.body,) if wanted else ()


def message_bodies(session: Session, message_ids: Iterable[int]) -> dict[int, str]:
    """Stored message id -> body (unsealed), in one query."""
    ids = list(set(message_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(InboundMessage.id, InboundMessage.body).where(InboundMessage.id.in_(ids))
    )
    return {r.id: r.body for r in rows}


def declarations_by_key(session: Session, keys: Iterable[str]) -> dict[str, Declaration]:
    keys = list(set(keys))
    if not keys:
        return {}
    rows = session.execute(select(Declaration).where(Declaration.business_key.in_(keys))).scalars()
    return {d.business_key: d for d in rows}


def declarations_for_orders(session: Session, order_nos: Iterable[str]) -> Sequence[Declaration]:
    order_nos = list(set(order_nos))
    if not order_nos:
        return []
    return (
        session.execute(
            select(Declaration).where(Declaration.order_no.in_(order_nos)).order_by(Declaration.id)
        )
        .scalars()
        .all()
    )


def declaration_by_invt_no(
    session: Session, invt_no: str, *, for_update: bool = False
) -> Declaration | None:
    """List ``invt_no``; with ``for_update``, its row locked and read afresh (as the last
    transaction to change it left it), so that two officers cannot both decide it."""
    query = select(Declaration).where(Declaration.invt_no == invt_no)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.execute(query).scalar_one_or_none()


def awaiting_before(session: Session, cutoff: Any, limit: int) -> Sequence[Declaration]:
    return (
        session.execute(
            select(Declaration)
            .where(
                Declaration.status == 120,
                Declaration.awaiting.is_(True),
                Declaration.received_at < cutoff,
            )
            .order_by(Declaration.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def quota_rows(
    session: Session, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], QuotaUsage]:
    """The quota rows of these (buyer blind index, year) pairs, locked (PostgreSQL)."""
    keys = list(set(keys))
    if not keys:
        return {}
    buyers = list({b for b, _ in keys})
    # Locked until the transaction ends (PostgreSQL), in one order: two writers deciding
    # lists of one buyer take turns instead of one overwriting the other's quota use.
    rows = session.execute(
        select(QuotaUsage)
        .where(QuotaUsage.buyer_key.in_(buyers))
        .order_by(QuotaUsage.buyer_key, QuotaUsage.year)
        .with_for_update()
    ).scalars()
    wanted = set(keys)
    return {(q.buyer_key, q.year): q for q in rows if (q.buyer_key, q.year) in wanted}


def enterprise_facts(session: Session, codes: Iterable[str]) -> dict[str, Enterprise]:
    codes = list(set(codes))
    if not codes:
        return {}
    rows = session.execute(select(Enterprise).where(Enterprise.customs_code.in_(codes))).scalars()
    return {e.customs_code: e for e in rows}


def class_rows(session: Session, codes: Iterable[str]) -> list[ClassRates]:
    """Every class row with rates of these enterprises (``risk_enterprise_classes``)."""
    codes = list(set(codes))
    if not codes:
        return []
    rows = session.execute(
        select(EnterpriseClass)
        .where(EnterpriseClass.enterprise_code.in_(codes), EnterpriseClass.review_rate.is_not(None))
        .order_by(EnterpriseClass.id)
    ).scalars()
    return [r for r in (ClassRates.of_row(row) for row in rows) if r is not None]


def declarations_of_buyer(session: Session, buyer_key: str, year: int) -> Sequence[Declaration]:
    """The lists of a buyer (by the blind index of the ID number) in a quota year."""
    return (
        session.execute(
            select(Declaration)
            .where(Declaration.buyer_key == buyer_key, Declaration.quota_year == year)
            .order_by(Declaration.id)
        )
        .scalars()
        .all()
    )


def get_declaration(session: Session, business_key: str) -> Declaration | None:
    return session.execute(
        select(Declaration).where(Declaration.business_key == business_key)
    ).scalar_one_or_none()


def undecided(session: Session, limit: int) -> Sequence[Declaration]:
    return (
        session.execute(
            select(Declaration)
            .where(Declaration.status == 120)
            .order_by(Declaration.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def live_declaration_of_order(
    session: Session, order_no: str, ebp_code: str, ebc_code: str
) -> Declaration | None:
    """The latest list of an order that was not rejected."""
    return session.execute(
        select(Declaration)
        .where(
            Declaration.order_no == order_no,
            Declaration.ebp_code == ebp_code,
            Declaration.ebc_code == ebc_code,
            Declaration.status != 100,
        )
        .order_by(Declaration.id.desc())
        .limit(1)
    ).scalar_one_or_none()
