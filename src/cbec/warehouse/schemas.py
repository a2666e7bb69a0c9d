"""Shapes of the warehouse API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

from cbec.bounds import BigId
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import BondedAccount, BondedGoods, StockCount, StockMovement
from cbec.warehouse.service import ScanResult

#: A quantity as the ledger holds it, written without trailing zeros ("10", "2.5").
Qty = Annotated[Decimal, PlainSerializer(lambda v: f"{v.normalize():f}", return_type=str)]


class InstructionBrief(CamelModel):
    id: int
    target_kind: str
    target_value: str
    action: str
    reason: str


class CountBrief(CamelModel):
    id: int
    counted: Qty
    book: Qty
    difference: Qty
    officer: str
    at: datetime
    risk_flag_id: int | None

    @classmethod
    def of(cls, row: StockCount) -> CountBrief:
        return cls(
            id=row.id,
            counted=row.counted,
            book=row.book,
            difference=row.difference,
            officer=row.officer,
            at=row.at,
            risk_flag_id=row.risk_flag_id,
        )


class GoodsOut(CamelModel):
    """One item on one bonded account, as a handheld shows it."""

    ems_no: str
    area_code: str
    ebc_code: str
    item_record_no: str
    bar_code: str | None
    gname: str
    gcode: str
    unit: str
    #: book stock in the warehouse
    on_hand: Qty
    #: of it, reserved for approved lists not yet released (pending outbound)
    pending_outbound: Qty
    available: Qty
    stock_since: datetime | None
    shelf_days: int | None
    instructions: list[InstructionBrief] = Field(default_factory=list)
    last_count: CountBrief | None = None

    @classmethod
    def of(cls, goods: BondedGoods, account: BondedAccount, shelf_days: int | None) -> GoodsOut:
        return cls(
            ems_no=account.ems_no,
            area_code=account.area_code,
            ebc_code=account.ebc_code,
            item_record_no=goods.item_record_no,
            bar_code=goods.bar_code,
            gname=goods.gname,
            gcode=goods.gcode,
            unit=goods.unit,
            on_hand=goods.on_hand,
            pending_outbound=goods.reserved,
            available=goods.on_hand - goods.reserved,
            stock_since=goods.stock_since,
            shelf_days=shelf_days,
        )

    @classmethod
    def of_scan(cls, found: ScanResult) -> GoodsOut:
        out = cls.of(found.goods, found.account, found.shelf_days)
        out.instructions = [
            InstructionBrief(
                id=i.id,
                target_kind=i.target_kind,
                target_value=i.target_value,
                action=i.action,
                reason=i.reason,
            )
            for i in found.instructions
        ]
        out.last_count = CountBrief.of(found.last_count) if found.last_count else None
        return out


class CountIn(InputModel):
    """What was counted at the shelf."""

    counted: Decimal = Field(ge=0, max_digits=19, decimal_places=5)
    note: str = Field(default="", max_length=1000)
    ems_no: str | None = Field(default=None, max_length=12)


class InstructionIn(InputModel):
    """Hold or inspect the lists of the scanned goods."""

    action: Literal["hold", "inspect"]
    reason: str = Field(min_length=1, max_length=2000)
    ems_no: str | None = Field(default=None, max_length=12)


class InstructionIssued(CamelModel):
    instruction_id: int
    target_kind: str
    target_value: str
    action: str
    redecided: list[str]


class AdjustmentIn(InputModel):
    """A correction of the book, with its reason."""

    code: str = Field(min_length=1, max_length=50, description="bar code or itemRecordNo")
    ems_no: str | None = Field(default=None, max_length=12)
    delta: Decimal = Field(max_digits=19, decimal_places=5)
    reason: str = Field(min_length=1, max_length=2000)
    count_id: BigId | None = None


class MovementOut(CamelModel):
    id: int
    kind: str
    on_hand_delta: Qty
    reserved_delta: Qty
    on_hand_after: Qty
    reserved_after: Qty
    document_id: int | None
    declaration_id: int | None
    count_id: int | None
    reference: str
    reason: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, m: StockMovement) -> MovementOut:
        return cls(
            id=m.id,
            kind=m.kind,
            on_hand_delta=m.on_hand_delta,
            reserved_delta=m.reserved_delta,
            on_hand_after=m.on_hand_after,
            reserved_after=m.reserved_after,
            document_id=m.document_id,
            declaration_id=m.declaration_id,
            count_id=m.count_id,
            reference=m.reference,
            reason=m.reason,
            actor=m.actor,
            at=m.at,
        )


class LedgerOut(CamelModel):
    goods: GoodsOut
    movements: list[MovementOut]
