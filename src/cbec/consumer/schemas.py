"""Shapes of the consumer self-service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from cbec.schemas import CamelModel


class QuotaQuery(CamelModel):
    """Who asks: the name, ID number and phone on the lists declared for them."""

    name: str = Field(min_length=1, max_length=60)
    id_number: str = Field(min_length=15, max_length=18)
    phone: str = Field(min_length=5, max_length=30)
    year: int | None = Field(default=None, ge=2016, le=2100)


class ListSummary(CamelModel):
    invt_no: str | None
    decl_date: date
    platform: str
    ebc_code: str
    goods: list[str]
    value: Decimal | None
    tax: Decimal | None
    status: int
    status_text: str
    counted: bool
    consignee_address: str
    consignee_phone: str


class QuotaAnswer(CamelModel):
    year: int
    annual_limit: Decimal
    used: Decimal
    remaining: Decimal
    buyer: str
    lists: list[ListSummary]
