"""Read side of clearance: the officer's queues, one list with its history, the tax ledger."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cbec.clearance.schemas import DeclarationOut, EventOut, LedgerRow
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.messages.fields import format_return_time
from cbec.messages.models import CEB816Message
from cbec.messages.receipts import STATUS_TEXT
from cbec.privacy import mask_id
from cbec.store.models import Declaration, DeclarationEvent, TaxBill

_BILL_NS = uuid.UUID("2b7e1d4c-8a0f-4f6e-9c3d-5a1b7e9f0c24")


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _out(d: Declaration, events: list[DeclarationEvent] | None = None) -> DeclarationOut:
    return DeclarationOut(
        invt_no=d.invt_no,
        business_key=d.business_key,
        order_no=d.order_no,
        ebp_code=d.ebp_code,
        ebc_code=d.ebc_code,
        agent_code=d.agent_code,
        logistics_no=d.logistics_no,
        trade_mode=d.trade_mode,
        decl_date=d.decl_date,
        status=d.status,
        status_text=STATUS_TEXT.get(d.status, ""),
        awaiting=d.awaiting,
        buyer=mask_id(d.buyer_id_number),
        taxable_value=_cents(d.taxable_value),
        tax_total=_cents(d.tax_total),
        declared_tax=_cents(d.declared_tax),
        full_rates=d.full_rates,
        reasons=d.reasons,
        inspection_kind=d.inspection_kind,
        findings=json.loads(d.findings or "[]"),
        events=[EventOut.model_validate(e) for e in events or []],
    )


def queue(
    session: Session, status: int | None = None, limit: int = 100, after: int = 0
) -> list[DeclarationOut]:
    """Lists at ``status`` (e.g. 300 review, 500 inspection), oldest first."""
    query = select(Declaration).where(Declaration.id > after)
    if status is not None:
        query = query.where(Declaration.status == status)
    rows = session.execute(query.order_by(Declaration.id).limit(limit)).scalars()
    return [_out(d) for d in rows]


def declaration(session: Session, invt_no: str) -> DeclarationOut:
    """One list with its findings and its decision history."""
    d = session.execute(
        select(Declaration).where(Declaration.invt_no == invt_no)
    ).scalar_one_or_none()
    if d is None:
        raise NotFound(f"no list {invt_no}")
    events = list(
        session.execute(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == d.id)
            .order_by(DeclarationEvent.id)
        ).scalars()
    )
    return _out(d, events)


def counts_by_status(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Declaration.status, func.count()).group_by(Declaration.status)
    ).all()
    return {int(status): int(count) for status, count in rows}


def ledger(
    session: Session, ebc_code: str | None = None, period: str | None = None
) -> list[LedgerRow]:
    """Tax due per e-commerce enterprise, guarantee (assureCode) and month, from the tax
    bills issued (void bills excluded). A ``period`` that is not a month yyyymm is refused
    (it would match no bill: an empty ledger that looks like no tax due)."""
    if period is not None and not re.fullmatch(r"\d{4}(0[1-9]|1[0-2])", period):
        raise BadRequest(
            f"{period!r} is not a month yyyymm",
            fields=[
                FieldError(
                    "period", "format=yyyymm", f"{period!r} is not a month yyyymm (month 01..12)"
                )
            ],
        )
    query = select(
        TaxBill.ebc_code,
        TaxBill.assure_code,
        TaxBill.period,
        func.count(),
        func.sum(TaxBill.customs_tax),
        func.sum(TaxBill.value_added_tax),
        func.sum(TaxBill.consumption_tax),
        func.sum(TaxBill.total),
    ).where(TaxBill.status != 3)
    if ebc_code:
        query = query.where(TaxBill.ebc_code == ebc_code)
    if period:
        query = query.where(TaxBill.period == period)
    query = query.group_by(TaxBill.ebc_code, TaxBill.assure_code, TaxBill.period).order_by(
        TaxBill.period, TaxBill.ebc_code, TaxBill.assure_code
    )
    zero = Decimal(0)
    return [
        LedgerRow(
            ebc_code=r[0],
            assure_code=r[1],
            period=r[2],
            bills=int(r[3]),
            customs_tax=Decimal(r[4] or zero).quantize(Decimal("0.01")),
            value_added_tax=Decimal(r[5] or zero).quantize(Decimal("0.01")),
            consumption_tax=Decimal(r[6] or zero).quantize(Decimal("0.01")),
            total=Decimal(r[7] or zero).quantize(Decimal("0.01")),
        )
        for r in session.execute(query).all()
    ]


def tax_bill(session: Session, invt_no: str, *, for_code: str | None = None) -> CEB816Message:
    """The electronic tax bill (CEB816) of a released list. ``for_code``: an enterprise may
    see only the bills of lists it is the e-commerce enterprise or the agent of."""
    row = session.execute(
        select(TaxBill, Declaration)
        .join(Declaration, Declaration.id == TaxBill.declaration_id)
        .where(TaxBill.invt_no == invt_no)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no tax bill for list {invt_no}")
    bill, d = row
    if for_code is not None and for_code not in (d.ebc_code, d.agent_code):
        raise NotFound(f"no tax bill for list {invt_no}")
    cents = Decimal("0.01")
    lines = [
        {
            "gnum": line["gnum"],
            "gcode": line["gcode"],
            "taxPrice": line["taxPrice"],
            "customsTax": line["customsTax"],
            "valueAddedTax": line["valueAddedTax"],
            "consumptionTax": line["consumptionTax"],
        }
        for line in json.loads(bill.lines or "[]")
    ]
    return CEB816Message.model_validate(
        {
            "guid": str(uuid.uuid5(_BILL_NS, bill.tax_no)).upper(),
            "tax": {
                "taxHeadRd": {
                    "guid": str(uuid.uuid5(_BILL_NS, f"head-{bill.tax_no}")).upper(),
                    "returnTime": format_return_time(bill.issued_at),
                    "invtNo": bill.invt_no,
                    "taxNo": bill.tax_no,
                    "customsTax": str(bill.customs_tax.quantize(cents)),
                    "valueAddedTax": str(bill.value_added_tax.quantize(cents)),
                    "consumptionTax": str(bill.consumption_tax.quantize(cents)),
                    "status": str(bill.status),
                    "assureCode": bill.assure_code,
                    "ebcCode": bill.ebc_code,
                    "logisticsCode": d.logistics_code,
                    "agentCode": d.agent_code,
                    "customsCode": d.customs_code,
                    "orderNo": bill.order_no,
                    "logisticsNo": bill.logistics_no,
                },
                "taxListRd": lines,
            },
        }
    )
