"""Exports: one row per export list (CEB603) with its lines, and the summary declarations
(CEB701 applications, CEB792 declarations) the month's released B-flag lists go into,
with the line-level links an enterprise needs for its tax rebate."""

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

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow

Money = Numeric(19, 5)


class ExportList(Base):
    """An export list (CEB603) and its release."""

    __tablename__ = "export_lists"
    __table_args__ = (
        UniqueConstraint("business_key"),
        Index("ix_export_lists_order", "order_no", "ebp_code", "ebc_code"),
        Index("ix_export_lists_release", "status", "released_on"),
        Index("ix_export_lists_invt_no", "invt_no"),
        Index("ix_export_lists_waybill", "logistics_no", "logistics_code"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(255))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    invt_no: Mapped[str | None] = mapped_column(String(18), default=None)
    order_no: Mapped[str] = mapped_column(String(60))
    #: the waybill (CEB505) the list leaves on, named by its arrival and departure reports
    logistics_code: Mapped[str | None] = mapped_column(String(18), default=None)
    logistics_no: Mapped[str | None] = mapped_column(String(60), default=None)
    ebp_code: Mapped[str] = mapped_column(String(18))
    ebc_code: Mapped[str] = mapped_column(String(18))
    agent_code: Mapped[str] = mapped_column(String(18))
    owner_code: Mapped[str] = mapped_column(String(18))
    cop_no: Mapped[str] = mapped_column(String(20))
    trade_mode: Mapped[str] = mapped_column(String(4))
    statistics_flag: Mapped[str] = mapped_column(String(1))
    customs_code: Mapped[str] = mapped_column(String(4))
    port_code: Mapped[str] = mapped_column(String(4))
    traf_mode: Mapped[str] = mapped_column(String(1))
    country: Mapped[str] = mapped_column(String(3))
    currency: Mapped[str] = mapped_column(String(3))
    gross_weight: Mapped[Decimal] = mapped_column(Money)
    net_weight: Mapped[Decimal] = mapped_column(Money)
    total_price: Mapped[Decimal] = mapped_column(Money)
    ie_date: Mapped[date] = mapped_column(Date)
    #: 120 accepted (awaiting documents when ``awaiting``), 100 rejected, 800 released,
    #: 899 closed (结关: its goods left the country, reported by a departure, CEB509)
    status: Mapped[int] = mapped_column(SmallInteger, default=120)
    awaiting: Mapped[bool] = mapped_column(default=True)
    #: what an awaiting list still waits for, e.g. "waybill,arrival" ("" when nothing)
    waiting_for: Mapped[str] = mapped_column(String(60), default="")
    findings: Mapped[str] = mapped_column(Text, default="[]")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_on: Mapped[date | None] = mapped_column(Date, default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: when its goods left (the departure's leaveTime)
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Whether a list is summarised is whether it has links (export_declaration_links): one
    # source of truth, and no million-row UPDATE after each month's run.


class ExportListLine(Base):
    __tablename__ = "export_list_lines"
    __table_args__ = (Index("ix_export_list_lines_list", "export_list_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    export_list_id: Mapped[int] = mapped_column(ForeignKey("export_lists.id"))
    gnum: Mapped[int] = mapped_column(Integer)
    gcode: Mapped[str] = mapped_column(String(10))
    gname: Mapped[str] = mapped_column(String(250))
    qty: Mapped[Decimal] = mapped_column(Money)
    unit: Mapped[str] = mapped_column(String(3))
    total_price: Mapped[Decimal] = mapped_column(Money)


class ExportSummary(Base):
    """A summary application (CEB701) of one enterprise for one month: filed by the
    enterprise (its flags are honoured) or made by ``cbec export summarise``."""

    __tablename__ = "export_summaries"
    __table_args__ = (
        UniqueConstraint("sum_no"),
        Index("ix_export_summaries_period", "period", "ebc_code"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sum_no: Mapped[str | None] = mapped_column(String(18), default=None)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    ebc_code: Mapped[str] = mapped_column(String(18))
    agent_code: Mapped[str] = mapped_column(String(18))
    decl_agent_code: Mapped[str] = mapped_column(String(18))
    customs_code: Mapped[str] = mapped_column(String(4))
    summary_flag: Mapped[str] = mapped_column(String(1), default="1")
    item_name_flag: Mapped[str] = mapped_column(String(1), default="0")
    #: JSON list of invtNo (summaryFlag 2: only these)
    named_lists: Mapped[str] = mapped_column(Text, default="[]")
    #: the CEB701 it came in with (None: made by customs)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), default=None)
    #: filed (waiting for the run), summarised, or superseded (a later application of the
    #: same enterprise and month replaced it before the run)
    status: Mapped[str] = mapped_column(String(10), default="filed")
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summarised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ExportDeclaration(Base):
    """One export declaration (CEB792) of a summary: a group of lines sharing the key."""

    __tablename__ = "export_declarations"
    __table_args__ = (
        UniqueConstraint("entry_id"),
        Index("ix_export_declarations_summary", "summary_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("export_summaries.id"))
    entry_id: Mapped[str | None] = mapped_column(String(18), default=None)
    period: Mapped[str] = mapped_column(String(7))
    ebc_code: Mapped[str] = mapped_column(String(18))
    owner_code: Mapped[str] = mapped_column(String(18))
    trade_mode: Mapped[str] = mapped_column(String(4))
    traf_mode: Mapped[str] = mapped_column(String(1))
    country: Mapped[str] = mapped_column(String(3))
    port_code: Mapped[str] = mapped_column(String(4))
    currency: Mapped[str] = mapped_column(String(3))
    #: the group's key as JSON (field -> value), whatever the configured key holds
    group_key: Mapped[str] = mapped_column(Text)
    list_count: Mapped[int] = mapped_column(Integer)
    total_price: Mapped[Decimal] = mapped_column(Money)
    gross_weight: Mapped[Decimal] = mapped_column(Money)
    net_weight: Mapped[Decimal] = mapped_column(Money)
    #: JSON: the declaration's goods lines (gnum, gcode, gname, qty, unit, totalPrice)
    lines: Mapped[str] = mapped_column(Text)
    dec_state: Mapped[str] = mapped_column(String(4), default="10")
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExportDeclarationLink(Base):
    """Which line of which list went into which line of which declaration."""

    __tablename__ = "export_declaration_links"
    __table_args__ = (
        Index("ix_export_declaration_links_declaration", "declaration_id"),
        Index("ix_export_declaration_links_list", "export_list_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("export_declarations.id"))
    export_list_id: Mapped[int] = mapped_column(ForeignKey("export_lists.id"))
    invt_no: Mapped[str] = mapped_column(String(18))
    gnum: Mapped[int] = mapped_column(Integer)
    decl_gnum: Mapped[int] = mapped_column(Integer)


class ExportMovement(Base):
    """One waybill named by an arrival report (CEB507: the goods reached the supervised
    site) or a departure (CEB509: they left the country). Kept even when no list or waybill
    names it yet, since the documents may come in any order."""

    __tablename__ = "export_movements"
    __table_args__ = (
        Index("ix_export_movements_waybill", "logistics_no", "logistics_code", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: "arrival" or "departure"
    kind: Mapped[str] = mapped_column(String(10))
    logistics_code: Mapped[str] = mapped_column(String(18))
    logistics_no: Mapped[str] = mapped_column(String(60))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    operator_code: Mapped[str | None] = mapped_column(String(18), default=None)
    bill_no: Mapped[str | None] = mapped_column(String(37), default=None)
    #: when the goods arrived (the report's appTime) or left (leaveTime)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
