"""Shapes of the clearance API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field

from cbec.schemas import CamelModel


class ReviewVerdict(CamelModel):
    approve: bool
    reason: str = Field(min_length=1, max_length=2000)


class InspectionResult(CamelModel):
    result: Literal["conform", "discrepancy", "seize"]
    details: str = Field(min_length=1, max_length=4000)
    #: for a discrepancy: 501 detained to clearance, 503 to legal, 599 other, 700 returned
    detention: Literal[501, 503, 599, 700] | None = None


class DetentionEnd(CamelModel):
    """How a detention (501, 502, 503, 599) ends: the list is released (800, its tax bill
    issued) or returned (700, the buyer's quota given back)."""

    action: Literal["release", "return"]
    reason: str = Field(min_length=1, max_length=4000)


class EventOut(CamelModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    from_status: int
    to_status: int
    actor: str
    reason: str


class DeclarationOut(CamelModel):
    invt_no: str | None
    business_key: str
    order_no: str
    ebp_code: str
    ebc_code: str
    agent_code: str
    logistics_no: str
    trade_mode: str
    decl_date: date
    status: int
    status_text: str
    awaiting: bool
    buyer: str
    taxable_value: Decimal | None
    tax_total: Decimal | None
    declared_tax: Decimal | None
    full_rates: bool
    reasons: str
    #: under inspection: xray (machine) or open
    inspection_kind: str | None = None
    findings: list[dict[str, str]]
    events: list[EventOut] = Field(default_factory=list)


class LedgerRow(CamelModel):
    ebc_code: str
    assure_code: str
    period: str
    bills: int
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal
    total: Decimal
