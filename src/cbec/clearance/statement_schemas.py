"""Shapes of the tax statement API (the CLI validates its input with the same models)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from cbec.clearance.statements import Standing
from cbec.privacy import scrub
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import TaxPayment, TaxStatement

CENT = Decimal("0.01")


class StatementsIn(InputModel):
    """State a month that has ended: one statement per guarantee, due ``dueDays`` after the
    month ends (default ``CBEC_TAX_DUE_DAYS``)."""

    month: str = Field(pattern=r"^\d{4}-?\d{2}$", description="YYYY-MM")
    due_days: int | None = Field(default=None, ge=0, le=365)


class PaymentIn(InputModel):
    """A payment received against a statement: all or part of what is owed."""

    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    paid_on: date
    reference: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=2000)


class PaymentOut(CamelModel):
    id: int
    paid_on: date
    amount: Decimal
    reference: str
    note: str
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, row: TaxPayment) -> PaymentOut:
        return cls(
            id=row.id,
            paid_on=row.paid_on,
            amount=row.amount.quantize(CENT),
            reference=row.reference,
            note=scrub(row.note),
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
        )


class StatementOut(CamelModel):
    id: int
    guarantor_code: str
    #: yyyymm
    period: str
    bills: int
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal
    total: Decimal
    due_on: date
    paid: Decimal
    outstanding: Decimal
    paid_on: date | None
    #: paid | paid_late | open | overdue (on the day asked)
    state: str
    days_late: int
    created_at: datetime
    payments: list[PaymentOut] = Field(default_factory=list)

    @classmethod
    def of(
        cls, row: TaxStatement, found: Standing, payments: list[TaxPayment] | None = None
    ) -> StatementOut:
        return cls(
            id=row.id,
            guarantor_code=row.guarantor_code,
            period=row.period,
            bills=row.bills,
            customs_tax=row.customs_tax.quantize(CENT),
            value_added_tax=row.value_added_tax.quantize(CENT),
            consumption_tax=row.consumption_tax.quantize(CENT),
            total=row.total.quantize(CENT),
            due_on=row.due_on,
            paid=row.paid.quantize(CENT),
            outstanding=found.outstanding.quantize(CENT),
            paid_on=row.paid_on,
            state=found.state,
            days_late=found.days_late,
            created_at=row.created_at,
            payments=[PaymentOut.of(p) for p in payments or []],
        )


class MadeOut(CamelModel):
    period: str
    due_on: date
    bills: int
    created: list[StatementOut]
    extended: list[StatementOut]
