"""Queries of the warehouse ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.store.models import (
    BondedAccount,
    BondedGoods,
    ControlInstruction,
    Document,
    InboundMessage,
    StockCount,
    StockMovement,
    StockReservation,
)


def any_account(session: Session) -> bool:
    return session.execute(select(BondedAccount.id).limit(1)).first() is not None


def account(session: Session, ems_no: str) -> BondedAccount | None:
    return session.execute(
        select(BondedAccount).where(BondedAccount.ems_no == ems_no)
    ).scalar_one_or_none()


def account_owners(session: Session, ems_nos: Iterable[str]) -> dict[str, str]:
    """emsNo -> the e-commerce enterprise each known account is kept for."""
    wanted = list(set(ems_nos))
    if not wanted:
        return {}
    rows = session.execute(
        select(BondedAccount.ems_no, BondedAccount.ebc_code).where(BondedAccount.ems_no.in_(wanted))
    ).all()
    return {row.ems_no: row.ebc_code for row in rows}


def goods(session: Session, account_id: int, item_record_no: str) -> BondedGoods | None:
    return session.execute(
        select(BondedGoods).where(
            BondedGoods.account_id == account_id, BondedGoods.item_record_no == item_record_no
        )
    ).scalar_one_or_none()


def goods_of_account(session: Session, account_id: int) -> Sequence[BondedGoods]:
    return (
        session.execute(
            select(BondedGoods)
            .where(BondedGoods.account_id == account_id)
            .order_by(BondedGoods.item_record_no)
        )
        .scalars()
        .all()
    )


def goods_by_code(
    session: Session, code: str, ems_no: str | None = None
) -> Sequence[tuple[BondedGoods, BondedAccount]]:
    """Goods whose bar code, or item record number, is ``code`` (in one account or all)."""
    query = (
        select(BondedGoods, BondedAccount)
        .join(BondedAccount, BondedAccount.id == BondedGoods.account_id)
        .where((BondedGoods.bar_code == code) | (BondedGoods.item_record_no == code))
        .order_by(BondedAccount.ems_no, BondedGoods.item_record_no)
    )
    if ems_no is not None:
        query = query.where(BondedAccount.ems_no == ems_no)
    return [(g, a) for g, a in session.execute(query).all()]


def open_reservations(session: Session, declaration_id: int) -> Sequence[StockReservation]:
    return (
        session.execute(
            select(StockReservation)
            .where(StockReservation.declaration_id == declaration_id)
            .order_by(StockReservation.id)
        )
        .scalars()
        .all()
    )


def goods_by_ids(session: Session, ids: Iterable[int]) -> dict[int, BondedGoods]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(BondedGoods).where(BondedGoods.id.in_(wanted))).scalars()
    return {g.id: g for g in rows}


def movements(session: Session, goods_id: int, limit: int = 1000) -> Sequence[StockMovement]:
    return (
        session.execute(
            select(StockMovement)
            .where(StockMovement.goods_id == goods_id)
            .order_by(StockMovement.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def entry_net(session: Session, document_id: int) -> dict[int, Any]:
    """goods id -> what the entry document has added to the book so far (net of reversals)."""
    net: dict[int, Any] = {}
    rows = session.execute(
        select(StockMovement.goods_id, StockMovement.on_hand_delta).where(
            StockMovement.document_id == document_id,
            StockMovement.kind.in_(("inbound", "reversal")),
        )
    ).all()
    for goods_id, delta in rows:
        net[goods_id] = net.get(goods_id, 0) + delta
    return net


def last_counts(session: Session, goods_ids: Iterable[int]) -> dict[int, StockCount]:
    wanted = list(set(goods_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(StockCount).where(StockCount.goods_id.in_(wanted)).order_by(StockCount.id)
    ).scalars()
    return {c.goods_id: c for c in rows}  # the latest wins


def instructions_for_codes(session: Session, prefixes: Sequence[str]) -> Sequence[Any]:
    """Active control instructions on any of these HS code prefixes."""
    if not prefixes:
        return []
    return (
        session.execute(
            select(ControlInstruction)
            .where(
                ControlInstruction.status == "active",
                ControlInstruction.target_kind == "hs_code",
                ControlInstruction.target_value.in_(list(prefixes)),
            )
            .order_by(ControlInstruction.id)
        )
        .scalars()
        .all()
    )


def over_shelf(session: Session, before: datetime) -> Sequence[tuple[BondedGoods, BondedAccount]]:
    query = (
        select(BondedGoods, BondedAccount)
        .join(BondedAccount, BondedAccount.id == BondedGoods.account_id)
        .where(BondedGoods.on_hand > 0, BondedGoods.stock_since < before)
        .order_by(BondedGoods.stock_since, BondedGoods.id)
    )
    return [(g, a) for g, a in session.execute(query).all()]


def entry_documents(session: Session, ids: Iterable[int]) -> Sequence[Any]:
    wanted = list(set(ids))
    if not wanted:
        return []
    return session.execute(
        select(
            Document.id,
            Document.deleted,
            Document.sender_code,
            Document.message_id,
            InboundMessage.body,
            InboundMessage.message_type,
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(Document.id.in_(wanted))
        .order_by(Document.id)
    ).all()


def latest_return_document(session: Session, order_no: str) -> int | None:
    """The cancellation or return that closed a released list of ``order_no``."""
    row = session.execute(
        select(Document.id)
        .where(Document.order_no == order_no, Document.kind.in_(("cancel", "refund")))
        .order_by(Document.id.desc())
        .limit(1)
    ).first()
    return None if row is None else int(row[0])
