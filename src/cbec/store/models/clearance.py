"""Clearance: one row per retail import list with its state, the buyers' annual quota, the
decision history, and tax bills (CEB816)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false as sa_false

from cbec.store.models.base import (
    Base,
    BigIntPK,
    BlindIndex,
    SealedText,
    UTCDateTime,
    utcnow,
)

Money = Numeric(19, 5)


class Declaration(Base):
    """A retail import list (CEB621) under clearance."""

    __tablename__ = "declarations"
    __table_args__ = (
        UniqueConstraint("business_key"),
        Index("ix_declarations_order", "order_no", "ebp_code", "ebc_code"),
        Index("ix_declarations_buyer", "buyer_key", "quota_year"),
        Index("ix_declarations_buyer_proof", "buyer_proof_key"),
        Index("ix_declarations_status", "status", "awaiting"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(255))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    order_no: Mapped[str] = mapped_column(String(60))
    ebp_code: Mapped[str] = mapped_column(String(18))
    ebc_code: Mapped[str] = mapped_column(String(18))
    agent_code: Mapped[str] = mapped_column(String(18))
    logistics_code: Mapped[str] = mapped_column(String(18))
    logistics_no: Mapped[str] = mapped_column(String(60))
    pay_code: Mapped[str | None] = mapped_column(String(18), default=None)
    cop_no: Mapped[str] = mapped_column(String(20))
    #: the buyer's resident ID number, encrypted at rest ("" once purged)
    buyer_id_number: Mapped[str] = mapped_column("buyer_id_sealed", SealedText)
    #: its blind index (:func:`cbec.privacy.blind_id`): quota and lookups by ID number
    #: ("" once purged after its quota year)
    buyer_key: Mapped[str] = mapped_column(BlindIndex)
    #: the blind index of the buyer's ID number, name and phone as the list carries them
    #: (:func:`cbec.privacy.proof_key`): a consumer proves who they are by a list with the
    #: same ("" once the list's personal data is purged, or for a list filed before 0023
    #: whose message was already erased)
    buyer_proof_key: Mapped[str] = mapped_column(BlindIndex, default="")
    #: the province the buyer's ID card was issued in (its first two digits), or ""
    buyer_province: Mapped[str] = mapped_column(String(2), default="")
    trade_mode: Mapped[str] = mapped_column(String(4))
    customs_code: Mapped[str] = mapped_column(String(4))
    #: the guarantee (assureCode) the tax is charged to; the ebc when the list names none
    assure_code: Mapped[str] = mapped_column(String(18))
    decl_date: Mapped[date] = mapped_column(Date)
    quota_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(SmallInteger, default=120)
    #: still waiting for its order, payment or waybill
    awaiting: Mapped[bool] = mapped_column(default=True)
    pre_no: Mapped[str | None] = mapped_column(String(18), default=None)
    invt_no: Mapped[str | None] = mapped_column(String(18), default=None)
    taxable_value: Mapped[Decimal | None] = mapped_column(Money, default=None)
    full_rates: Mapped[bool] = mapped_column(default=False)
    tax_customs: Mapped[Decimal | None] = mapped_column(Money, default=None)
    tax_vat: Mapped[Decimal | None] = mapped_column(Money, default=None)
    tax_consumption: Mapped[Decimal | None] = mapped_column(Money, default=None)
    tax_total: Mapped[Decimal | None] = mapped_column(Money, default=None)
    declared_tax: Mapped[Decimal | None] = mapped_column(Money, default=None)
    #: counted against the buyer's annual quota (approved, inspected, released, detained)
    quota_counted: Mapped[bool] = mapped_column(default=False)
    #: never to count against the buyer's quota (a confirmed "not me" dispute of the buyer)
    quota_excluded: Mapped[bool] = mapped_column(
        default=False, server_default=sa_false(), nullable=False
    )
    #: JSON list of findings of the last check
    findings: Mapped[str] = mapped_column(Text, default="[]")
    reasons: Mapped[str] = mapped_column(Text, default="")
    #: under inspection: ``xray`` (machine) or ``open`` (opened by an inspector)
    inspection_kind: Mapped[str | None] = mapped_column(String(8), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: When ``cbec pii purge`` erased the buyer's ID number (past retention).
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DeclarationEvent(Base):
    """One state change of a list, by the system or an officer (its decision history)."""

    __tablename__ = "declaration_events"
    __table_args__ = (Index("ix_declaration_events_declaration", "declaration_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[int] = mapped_column(SmallInteger)
    to_status: Mapped[int] = mapped_column(SmallInteger)
    actor: Mapped[str] = mapped_column(String(64), default="system")
    reason: Mapped[str] = mapped_column(Text, default="")


class QuotaUsage(Base):
    """A buyer's used annual quota (CNY) for a calendar year, by the blind index of the
    buyer's ID number (:func:`cbec.privacy.blind_id`): the number itself is not kept here."""

    __tablename__ = "quota_usage"

    buyer_key: Mapped[str] = mapped_column(BlindIndex, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    used: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    lists: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxBill(Base):
    """An electronic tax bill (CEB816) issued for a released list."""

    __tablename__ = "tax_bills"
    __table_args__ = (
        UniqueConstraint("declaration_id"),
        UniqueConstraint("tax_no"),
        Index("ix_tax_bills_ledger", "ebc_code", "assure_code", "period"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    tax_no: Mapped[str] = mapped_column(String(24))
    invt_no: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    logistics_no: Mapped[str] = mapped_column(String(60))
    ebc_code: Mapped[str] = mapped_column(String(18))
    assure_code: Mapped[str] = mapped_column(String(18))
    customs_tax: Mapped[Decimal] = mapped_column(Money)
    value_added_tax: Mapped[Decimal] = mapped_column(Money)
    consumption_tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    #: 1 issued, 2 summarised, 3 void
    status: Mapped[int] = mapped_column(SmallInteger, default=1)
    #: yyyymm of issue (Beijing time), for the ledger
    period: Mapped[str] = mapped_column(String(6))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: JSON list of {gnum, gcode, taxPrice, customsTax, valueAddedTax, consumptionTax}
    lines: Mapped[str] = mapped_column(Text)
