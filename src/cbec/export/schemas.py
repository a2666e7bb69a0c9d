"""Shapes of the export API."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer

from cbec.schemas import CamelModel, InputModel
from cbec.store.models import ExportDeclaration, ExportDeclarationLink

Amount = Annotated[Decimal, PlainSerializer(lambda v: f"{v.normalize():f}", return_type=str)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class LinkOut(CamelModel):
    """A list line and the declaration line it went into (what a rebate claim names)."""

    invt_no: str
    gnum: int
    decl_gnum: int


class DeclarationOut(CamelModel):
    entry_id: str
    period: str
    ebc_code: str
    owner_code: str
    trade_mode: str
    traf_mode: str
    country: str
    port_code: str
    currency: str
    group_key: dict[str, Any]
    list_count: int
    total_price: Amount
    gross_weight: Amount
    net_weight: Amount
    lines: list[dict[str, Any]]
    late: bool
    created_at: datetime
    links: list[LinkOut] = Field(default_factory=list)

    @classmethod
    def of(
        cls, row: ExportDeclaration, links: list[ExportDeclarationLink] | None = None
    ) -> DeclarationOut:
        return cls(
            entry_id=row.entry_id or "",
            period=row.period,
            ebc_code=row.ebc_code,
            owner_code=row.owner_code,
            trade_mode=row.trade_mode,
            traf_mode=row.traf_mode,
            country=row.country,
            port_code=row.port_code,
            currency=row.currency,
            group_key=json.loads(row.group_key),
            list_count=row.list_count,
            total_price=row.total_price,
            gross_weight=row.gross_weight,
            net_weight=row.net_weight,
            lines=json.loads(row.lines),
            late=row.late,
            created_at=row.created_at,
            links=[
                LinkOut(invt_no=x.invt_no, gnum=x.gnum, decl_gnum=x.decl_gnum) for x in links or []
            ],
        )


class SummariseIn(InputModel):
    """Run the month's summary (normally after the month, by the 15th of the next)."""

    month: Month
    key: str | None = Field(
        default=None,
        description="comma-separated grouping fields (default CBEC_EXPORT_SUMMARY_KEY)",
    )


class SummaryRunOut(CamelModel):
    period: str
    late: bool
    key: list[str]
    lists: int
    #: released B lists of the month left out: their goods have not left (no CEB509)
    not_exited: int
    summaries: list[str]
    declaration_count: int
    #: the first 1,000 (the enterprise reads all of its own with their links)
    declarations: list[DeclarationOut]


class ModeStatistics(CamelModel):
    lists: int
    #: released, closed ones included
    released: int
    #: closed: released and gone (a departure, CEB509, named them)
    exited: int
    rejected: int
    awaiting: int
    released_value: Amount
    declarations: int
    lists_summarised: int
    declared_value: Amount
