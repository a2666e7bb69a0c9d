"""Periodic tax statements: the month's tax of the lists released under one guarantee
(the e-commerce enterprise or its agent, who collects the tax from buyers and pays customs),
with a due date, and the payments customs recorded against each."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow

Money = Numeric(19, 5)


class TaxStatement(Base):
    """The tax bills (CEB816) of one guarantee for one month, summed, with the date by which
    it is to be paid. ``paid`` is the sum of its payments; ``paid_on`` the day it was paid
    in full (None while anything is owed)."""

    __tablename__ = "tax_statements"
    __table_args__ = (
        UniqueConstraint("guarantor_code", "period"),
        Index("ix_tax_statements_due", "due_on", "paid_on"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: the guarantee (assureCode) of the lists: the e-commerce enterprise or its agent
    guarantor_code: Mapped[str] = mapped_column(String(18))
    #: yyyymm (Beijing time), as ``tax_bills.period``
    period: Mapped[str] = mapped_column(String(6))
    bills: Mapped[int] = mapped_column(Integer)
    customs_tax: Mapped[Decimal] = mapped_column(Money)
    value_added_tax: Mapped[Decimal] = mapped_column(Money)
    consumption_tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    due_on: Mapped[date] = mapped_column(Date)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    paid_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class TaxPayment(Base):
    """A payment customs received against a statement (part or all of it)."""

    __tablename__ = "tax_payments"
    __table_args__ = (Index("ix_tax_payments_statement", "statement_id", "paid_on"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("tax_statements.id"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    #: the bank's or the treasury's reference of the transfer
    reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))
