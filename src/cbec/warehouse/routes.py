"""``/api/v1/scan`` (the officers' handhelds) and ``/api/v1/warehouse`` (the ledger).

Inspectors scan goods at the shelf, record what they count and issue a hold or an
inspection on the spot; risk analysts and reviewers read. Routes that write commit before
answering; every write is in the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from cbec.clearance.service import Policy
from cbec.deps import SessionDep, require_role
from cbec.officers.roles import Role
from cbec.store.models import Officer
from cbec.warehouse.schemas import (
    AdjustmentIn,
    CountBrief,
    CountIn,
    GoodsOut,
    InstructionIn,
    InstructionIssued,
    LedgerOut,
    MovementOut,
)
from cbec.warehouse.service import Warehouse

router = APIRouter(tags=["warehouse"])

Inspector = Annotated[Officer, Depends(require_role(Role.INSPECTOR))]
Instructor = Annotated[Officer, Depends(require_role(Role.INSPECTOR, Role.RISK_ANALYST))]
Reader = Annotated[Officer, Depends(require_role(Role.INSPECTOR, Role.RISK_ANALYST, Role.REVIEWER))]
EmsNo = Annotated[str | None, Query(alias="emsNo", max_length=12)]


@router.get("/api/v1/scan/{barcode}")
def scan(
    barcode: str, session: SessionDep, _officer: Reader, ems_no: EmsNo = None
) -> list[GoodsOut]:
    """What a handheld shows for a scanned bar code (or item record number): the product,
    its HS code, days on the shelf since its oldest stock entered, book stock, pending
    outbound (reserved for approved lists), the control instructions open on its HS code
    and the last count. One entry per bonded account holding it."""
    return [GoodsOut.of_scan(f) for f in Warehouse(session).scan(barcode, ems_no)]


@router.post("/api/v1/scan/{barcode}/count", status_code=201)
def count(barcode: str, data: CountIn, session: SessionDep, officer: Inspector) -> CountBrief:
    """Record the quantity counted at the shelf. A count that differs from the book becomes
    an alert in the risk database (flag ``stock_discrepancy``, source ``warehouse``)."""
    row = Warehouse(session).count(
        barcode, data.counted, officer=officer.username, note=data.note, ems_no=data.ems_no
    )
    session.commit()
    return CountBrief.of(row)


@router.post("/api/v1/scan/{barcode}/instruction", status_code=201)
def instruct(
    barcode: str, data: InstructionIn, request: Request, session: SessionDep, officer: Instructor
) -> InstructionIssued:
    """Hold or inspect the lists of the scanned goods: a control instruction on their HS
    code that clearance obeys for the next lists and for lists in review or inspection."""
    row, changed = Warehouse(session).instruct(
        barcode,
        action=data.action,
        reason=data.reason,
        officer=officer.username,
        policy=Policy.from_settings(request.app.state.settings),
        ems_no=data.ems_no,
    )
    session.commit()
    return InstructionIssued(
        instruction_id=row.id,
        target_kind=row.target_kind,
        target_value=row.target_value,
        action=row.action,
        redecided=changed,
    )


@router.post("/api/v1/warehouse/adjustments", status_code=201)
def adjust(data: AdjustmentIn, session: SessionDep, officer: Inspector) -> MovementOut:
    """Correct the book of one item by a signed quantity, with the reason (and the count
    that found the difference). The book never goes below zero or under what is reserved."""
    movement = Warehouse(session).adjust(
        data.code,
        data.delta,
        reason=data.reason,
        officer=officer.username,
        ems_no=data.ems_no,
        count_id=data.count_id,
    )
    session.commit()
    return MovementOut.of(movement)


@router.get("/api/v1/warehouse/ledger/{code}")
def ledger(code: str, session: SessionDep, _officer: Reader, ems_no: EmsNo = None) -> LedgerOut:
    """One item's book and every movement of it, each with the document behind it."""
    goods, account, movements = Warehouse(session).ledger(code, ems_no)
    return LedgerOut(
        goods=GoodsOut.of(goods, account, None), movements=[MovementOut.of(m) for m in movements]
    )


@router.get("/api/v1/warehouse/shelf-time")
def shelf_time(
    request: Request,
    session: SessionDep,
    _officer: Reader,
    days: Annotated[int | None, Query(ge=0, le=36500)] = None,
) -> list[GoodsOut]:
    """Goods on the shelf longer than ``days`` (default ``CBEC_WAREHOUSE_SHELF_DAYS``),
    oldest first."""
    limit = days if days is not None else request.app.state.settings.warehouse_shelf_days
    return [
        GoodsOut.of(f.goods, f.account, f.shelf_days)
        for f in Warehouse(session).over_shelf_time(limit)
    ]
