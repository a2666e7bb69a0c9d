"""Bonded warehouses (1210): accounts (emsNo), goods on them (itemRecordNo) with their book
stock, every stock movement with the document behind it, reservations of approved lists,
and the counts officers record with their handheld scanners."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow

Qty = Numeric(19, 5)


class BondedAccount(Base):
    """A bonded account book (emsNo) a zone operator keeps for an e-commerce enterprise."""

    __tablename__ = "bonded_accounts"
    __table_args__ = (UniqueConstraint("ems_no"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    ems_no: Mapped[str] = mapped_column(String(12))
    area_code: Mapped[str] = mapped_column(String(18))
    ebc_code: Mapped[str] = mapped_column(String(18))
    customs_code: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BondedGoods(Base):
    """One item (itemRecordNo) on an account, with its book stock: ``on_hand`` is in the
    warehouse, ``reserved`` of it belongs to approved lists not yet released. Neither is
    ever negative (checked here and by the ledger)."""

    __tablename__ = "bonded_goods"
    __table_args__ = (
        UniqueConstraint("account_id", "item_record_no"),
        Index("ix_bonded_goods_bar_code", "bar_code"),
        Index("ix_bonded_goods_item_record_no", "item_record_no"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bonded_accounts.id"))
    item_record_no: Mapped[str] = mapped_column(String(30))
    gcode: Mapped[str] = mapped_column(String(10))
    gname: Mapped[str] = mapped_column(String(250))
    bar_code: Mapped[str | None] = mapped_column(String(50), default=None)
    unit: Mapped[str] = mapped_column(String(3))
    on_hand: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    #: when the oldest stock still on hand entered (first in, first out); None when empty
    stock_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_entry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StockMovement(Base):
    """One change of book stock or reservation, with the document that caused it (a CEB711
    entry, a list, its cancellation or return) or, for an adjustment, the officer and the
    reason. ``on_hand_after`` / ``reserved_after`` make the ledger readable as it stood."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_goods", "goods_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("bonded_goods.id"))
    #: inbound, reserve, unreserve, outbound, return, adjustment, seizure
    kind: Mapped[str] = mapped_column(String(12))
    on_hand_delta: Mapped[Decimal] = mapped_column(Qty)
    reserved_delta: Mapped[Decimal] = mapped_column(Qty)
    on_hand_after: Mapped[Decimal] = mapped_column(Qty)
    reserved_after: Mapped[Decimal] = mapped_column(Qty)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), default=None)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), default=None)
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_counts.id"), default=None)
    #: the document's own number: entryNo, invtNo
    reference: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockReservation(Base):
    """What an approved 1210 list holds of an item until it is released (consumed),
    seized, or rejected or returned (released back). ``requested - qty`` is a shortage."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        UniqueConstraint("goods_id", "declaration_id"),
        Index("ix_stock_reservations_declaration", "declaration_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("bonded_goods.id"))
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    invt_no: Mapped[str] = mapped_column(String(18))
    requested: Mapped[Decimal] = mapped_column(Qty)
    qty: Mapped[Decimal] = mapped_column(Qty)
    #: open, consumed (released: a cancellation or return puts it back), seized (taken
    #: by anti-smuggling: never put back), returned (back to free stock)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StockCount(Base):
    """A count recorded by an officer at the shelf: what was counted against the book."""

    __tablename__ = "stock_counts"
    __table_args__ = (Index("ix_stock_counts_goods", "goods_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    goods_id: Mapped[int] = mapped_column(ForeignKey("bonded_goods.id"))
    counted: Mapped[Decimal] = mapped_column(Qty)
    book: Mapped[Decimal] = mapped_column(Qty)
    difference: Mapped[Decimal] = mapped_column(Qty)
    officer: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    #: the risk flag raised for a discrepancy (risk_flags.id)
    risk_flag_id: Mapped[int | None] = mapped_column(ForeignKey("risk_flags.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
