"""The catalogue: editions of the positive list, the 10-digit HS codes with their tax rates,
and the policy parameters (limits, the 70% factor), each with effective dates.

Every load of a CSV is one *edition* of one kind; the rows belong to it. A declaration is
judged by the edition of each kind in force on its declTime (see ``cbec.catalog.service``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(p, s) on PostgreSQL; exact text on SQLite, which has no decimal type.

    SQLite would hand NUMERIC values back through a float (and SQLAlchemy warns about it),
    so there the value is kept as its decimal string. Values come back quantised to ``scale``
    on both back ends, so they compare and print the same.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal, not {type(value).__name__}")
        exact = value.quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._quantum)


#: Amounts in CNY, as the messages carry them (decimal(19,5)).
Money = ExactDecimal(19, 5)
#: Tax rates as fractions (0.13 for 13%).
Rate = ExactDecimal(9, 6)


class CatalogEdition(Base):
    """One loaded list of one kind (positive-list, hs-codes, policy) with its dates."""

    __tablename__ = "catalog_editions"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    effective_from: Mapped[date] = mapped_column(Date)
    #: Last day in force (inclusive); None while it is the current edition.
    effective_to: Mapped[date | None] = mapped_column(Date, default=None)
    #: Where the list came from (an announcement, a file name).
    source: Mapped[str] = mapped_column(Text, default="")
    #: SHA-256 of the CSV loaded, so loading the same file again changes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PositiveListLine(Base):
    """An 8-digit tariff line of the positive list of CBEC retail import goods."""

    __tablename__ = "positive_list"
    __table_args__ = (UniqueConstraint("edition_id", "tariff_code8"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_editions.id", ondelete="CASCADE"), index=True
    )
    tariff_code8: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    remark: Mapped[str] = mapped_column(Text, default="")
    #: Only as bonded CBEC (1210 / 1239), never direct purchase (9610).
    bonded_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Only as direct purchase (9610), never stocked in a bonded zone.
    direct_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Per-person yearly cap on the net weight bought, in kg (e.g. 20 for rice).
    annual_weight_cap_kg: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 3), default=None)


class HsCode(Base):
    """A 10-digit HS code: name, legal units and the statutory tax rates."""

    __tablename__ = "hs_codes"
    __table_args__ = (UniqueConstraint("edition_id", "code10", "effective_from"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_editions.id", ondelete="CASCADE"), index=True
    )
    code10: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    #: Customs 3-digit unit codes (035 kg, 095 litre, 011 piece).
    legal_unit: Mapped[str] = mapped_column(String(3))
    second_unit: Mapped[str | None] = mapped_column(String(3), default=None)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    #: Ad valorem consumption-tax rate (0 when none).
    consumption_rate: Mapped[Decimal] = mapped_column(Rate)
    #: Specific consumption tax in CNY per ``consumption_specific_unit`` (spirits).
    consumption_specific: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 6), default=None)
    consumption_specific_unit: Mapped[str | None] = mapped_column(String(3), default=None)
    #: The consumption tax applies only from this price per ``consumption_threshold_unit``
    #: (high-grade cosmetics: 10 CNY per g or ml, 15 CNY per piece).
    consumption_threshold: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2), default=None)
    consumption_threshold_unit: Mapped[str | None] = mapped_column(String(3), default=None)
    #: Most-favoured-nation tariff, used only where full general-trade rates apply.
    tariff_rate: Mapped[Decimal] = mapped_column(Rate)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, default=None)
    remark: Mapped[str] = mapped_column(Text, default="")


class PolicyParameter(Base):
    """A named number of CBEC policy (per_order_limit, annual_limit, tax_factor, ...)."""

    __tablename__ = "policy_parameters"
    __table_args__ = (UniqueConstraint("edition_id", "name", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_editions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Money)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, default=None)
    remark: Mapped[str] = mapped_column(Text, default="")
