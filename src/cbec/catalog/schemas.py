"""Shapes at the catalogue's edge: one validated CSV row per kind, and what a load reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["positive-list", "hs-codes", "policy"]
KINDS: tuple[Kind, ...] = ("positive-list", "hs-codes", "policy")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Line of the CSV file the row came from (for messages).
    line: int


class PositiveListRow(_Row):
    """One 8-digit line of a positive-list CSV."""

    tariff_code8: str
    name: str
    remark: str = ""
    bonded_only: bool = False
    direct_only: bool = False
    annual_weight_cap_kg: Decimal | None = None


class HsCodeRow(_Row):
    """One 10-digit HS code of an hs-codes CSV (rates as fractions: 0.13 for 13%)."""

    code10: str
    name: str
    legal_unit: str
    second_unit: str | None = None
    vat_rate: Decimal
    consumption_rate: Decimal = Decimal(0)
    consumption_specific: Decimal | None = None
    consumption_specific_unit: str | None = None
    consumption_threshold: Decimal | None = None
    consumption_threshold_unit: str | None = None
    tariff_rate: Decimal
    effective_from: date | None = None
    effective_to: date | None = None
    remark: str = ""


class PolicyRow(_Row):
    """One dated value of a policy parameter."""

    name: str
    value: Decimal
    effective_from: date
    effective_to: date | None = None
    remark: str = ""


Row = PositiveListRow | HsCodeRow | PolicyRow


class LoadSummary(BaseModel):
    """What one load did: ``loaded`` (new), ``replaced`` or ``unchanged`` (same file)."""

    kind: Kind
    edition: str
    effective_from: date
    effective_to: date | None
    rows: int
    outcome: Literal["loaded", "replaced", "unchanged"]


class EditionOut(BaseModel):
    """A loaded edition, as listed."""

    kind: str
    name: str
    effective_from: date
    effective_to: date | None
    rows: int
    source: str
    loaded_at: datetime
