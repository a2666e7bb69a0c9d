"""The list and its three documents side by side, for the officer's eye. Pure: takes the
message models, returns rows of cells with every disagreement marked.

Values are compared in full (the whole ID number, the exact amount) and shown masked where
:data:`SHOWN` says so: an officer sees *that* two ID numbers differ without seeing either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from cbec.messages.models import Inventory, Logistics, Order, Payment
from cbec.privacy import mask_id, mask_phone
from cbec.web.i18n import N_

COLUMNS = ("inventory", "order", "payment", "waybill")
TITLES = {
    "inventory": N_("List CEB621"),
    "order": N_("Order CEB311"),
    "payment": N_("Payment CEB411"),
    "waybill": N_("Waybill CEB511"),
}


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    ID = "id"
    PHONE = "phone"


#: How each kind of value is shown on the workbench. ID numbers and phones stay masked:
#: the comparison is made on the full values, so the officer sees that they differ
#: without seeing them. Names and addresses are shown in full: the reviewer judges near
#: matches (张伟 / 张伟伟) and whether an address is a home or a forwarding depot.
SHOWN: dict[Kind, Callable[[str], str]] = {
    Kind.TEXT: lambda v: v,
    Kind.MONEY: lambda v: v,
    Kind.ID: mask_id,
    Kind.PHONE: mask_phone,
}


@dataclass(frozen=True, slots=True)
class Cell:
    shown: str
    #: the value disagrees with the list's (or, where the list has none, with the first
    #: document that has one)
    differs: bool = False
    present: bool = True


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    field: str
    cells: tuple[Cell, ...]
    #: a finding of the checks names this field
    flagged: bool = False

    @property
    def disagrees(self) -> bool:
        return any(c.differs for c in self.cells)


@dataclass(frozen=True, slots=True)
class Docs:
    inventory: Inventory | None = None
    order: Order | None = None
    payment: Payment | None = None
    waybill: Logistics | None = None


Getter = Callable[[Docs], Any]

# (label, field name shown, kind, getter per column: list, order, payment, waybill)
_ROWS: tuple[tuple[str, str, Kind, tuple[Getter | None, ...]], ...] = (
    (
        N_("Order number"),
        "orderNo",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.orderNo,
            lambda d: d.order and d.order.orderHead.orderNo,
            lambda d: d.payment and d.payment.paymentHead.orderNo,
            lambda d: d.waybill and d.waybill.logisticsHead.orderNo,
        ),
    ),
    (
        N_("Platform"),
        "ebpCode",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.ebpCode,
            lambda d: d.order and d.order.orderHead.ebpCode,
            lambda d: d.payment and d.payment.paymentHead.ebpCode,
            None,
        ),
    ),
    (
        N_("E-commerce enterprise"),
        "ebcCode",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.ebcCode,
            lambda d: d.order and d.order.orderHead.ebcCode,
            None,
            None,
        ),
    ),
    (
        N_("Payment enterprise"),
        "payCode",
        Kind.TEXT,
        (
            None,
            lambda d: d.order and d.order.orderHead.payCode,
            lambda d: d.payment and d.payment.paymentHead.payCode,
            None,
        ),
    ),
    (
        N_("Payment transaction"),
        "payTransactionId",
        Kind.TEXT,
        (
            None,
            lambda d: d.order and d.order.orderHead.payTransactionId,
            lambda d: d.payment and d.payment.paymentHead.payTransactionId,
            None,
        ),
    ),
    (
        N_("Logistics enterprise"),
        "logisticsCode",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.logisticsCode,
            None,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.logisticsCode,
        ),
    ),
    (
        N_("Waybill number"),
        "logisticsNo",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.logisticsNo,
            None,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.logisticsNo,
        ),
    ),
    (
        N_("Buyer / payer ID type"),
        "buyerIdType",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.buyerIdType,
            lambda d: d.order and d.order.orderHead.buyerIdType,
            lambda d: d.payment and d.payment.paymentHead.payerIdType,
            None,
        ),
    ),
    (
        N_("Buyer / payer ID number"),
        "buyerIdNumber",
        Kind.ID,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.buyerIdNumber,
            lambda d: d.order and d.order.orderHead.buyerIdNumber,
            lambda d: d.payment and d.payment.paymentHead.payerIdNumber,
            None,
        ),
    ),
    (
        N_("Buyer / payer name"),
        "buyerName",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.buyerName,
            lambda d: d.order and d.order.orderHead.buyerName,
            lambda d: d.payment and d.payment.paymentHead.payerName,
            None,
        ),
    ),
    (
        N_("Buyer / payer phone"),
        "buyerTelephone",
        Kind.PHONE,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.buyerTelephone,
            lambda d: d.order and d.order.orderHead.buyerTelephone,
            lambda d: d.payment and d.payment.paymentHead.telephone,
            None,
        ),
    ),
    (
        N_("Consignee"),
        "consignee",
        Kind.TEXT,
        (
            None,
            lambda d: d.order and d.order.orderHead.consignee,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.consignee,
        ),
    ),
    (
        N_("Consignee phone"),
        "consigneeTelephone",
        Kind.PHONE,
        (
            None,
            lambda d: d.order and d.order.orderHead.consigneeTelephone,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.consigneeTelephone,
        ),
    ),
    (
        N_("Consignee address"),
        "consigneeAddress",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.consigneeAddress,
            lambda d: d.order and d.order.orderHead.consigneeAddress,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.consigneeAddress,
        ),
    ),
    (
        N_("Goods value"),
        "goodsValue",
        Kind.MONEY,
        (
            lambda d: (
                d.inventory
                and sum((line.totalPrice for line in d.inventory.inventoryList), Decimal(0))
            ),
            lambda d: d.order and d.order.orderHead.goodsValue,
            None,
            None,
        ),
    ),
    (
        N_("Freight"),
        "freight",
        Kind.MONEY,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.freight,
            lambda d: d.order and d.order.orderHead.freight,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.freight,
        ),
    ),
    (
        N_("Insurance"),
        "insuredFee",
        Kind.MONEY,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.insuredFee,
            None,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.insuredFee,
        ),
    ),
    (
        N_("Discount"),
        "discount",
        Kind.MONEY,
        (None, lambda d: d.order and d.order.orderHead.discount, None, None),
    ),
    (
        N_("Tax declared"),
        "taxTotal",
        Kind.MONEY,
        (None, lambda d: d.order and d.order.orderHead.taxTotal, None, None),
    ),
    (
        N_("Amount paid"),
        "acturalPaid",
        Kind.MONEY,
        (
            None,
            lambda d: d.order and d.order.orderHead.acturalPaid,
            lambda d: d.payment and d.payment.paymentHead.amountPaid,
            None,
        ),
    ),
    (
        N_("Currency"),
        "currency",
        Kind.TEXT,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.currency,
            lambda d: d.order and d.order.orderHead.currency,
            lambda d: d.payment and d.payment.paymentHead.currency,
            lambda d: d.waybill and d.waybill.logisticsHead.currency,
        ),
    ),
    (
        N_("Gross weight (kg)"),
        "grossWeight",
        Kind.MONEY,
        (
            lambda d: d.inventory and d.inventory.inventoryHead.grossWeight,
            None,
            None,
            lambda d: d.waybill and d.waybill.logisticsHead.weight,
        ),
    ),
)


def _normal(value: Any, kind: Kind) -> str:
    if kind is Kind.MONEY:
        try:
            return str(Decimal(str(value)).normalize())
        except InvalidOperation:
            return str(value)
    return str(value).strip()


def _row(label: str, field: str, kind: Kind, values: list[Any], flagged: bool) -> Row:
    present = [v for v in values if v is not None and v != ""]
    reference = _normal(present[0], kind) if present else None
    cells = []
    for value in values:
        if value is None or value == "":
            cells.append(Cell("", present=False))
            continue
        shown = SHOWN[kind](str(value))
        cells.append(Cell(shown, differs=_normal(value, kind) != reference))
    return Row(label, field, tuple(cells), flagged)


def head_rows(docs: Docs, flagged_fields: set[str] | None = None) -> list[Row]:
    """One row per field the documents share, cells in :data:`COLUMNS` order.

    A row with a single document holding the field is kept (the officer reads it) but
    never differs. ``flagged_fields`` are the field names a finding of the checks named.

    >>> rows = head_rows(Docs())
    >>> rows[0].label, [c.present for c in rows[0].cells]
    ('Order number', [False, False, False, False])
    """
    flagged_fields = flagged_fields or set()
    rows = []
    for label, field, kind, getters in _ROWS:
        values = [getter(docs) if getter is not None else None for getter in getters]
        values = [None if v is False else v for v in values]
        rows.append(_row(label, field, kind, values, field in flagged_fields))
    return rows


@dataclass(frozen=True, slots=True)
class LineRow:
    gnum: str
    name: str
    gcode: str
    #: (list value, order value, differs) for qty, price, totalPrice
    qty: tuple[str, str, bool]
    price: tuple[str, str, bool]
    total: tuple[str, str, bool]
    #: "order" or "list" when the line is only on the other document
    missing_on: str | None = None


def _pair(mine: Any, theirs: Any) -> tuple[str, str, bool]:
    a = "" if mine is None else str(mine)
    b = "" if theirs is None else str(theirs)
    differs = (
        mine is not None and theirs is not None and _normal(a, Kind.MONEY) != _normal(b, Kind.MONEY)
    )
    return a, b, differs


def line_rows(docs: Docs) -> list[LineRow]:
    """The item lines of the list and of the order, matched by gnum."""
    listed = {line.gnum: line for line in docs.inventory.inventoryList} if docs.inventory else {}
    ordered = {line.gnum: line for line in docs.order.orderList} if docs.order else {}
    rows = []
    for gnum in sorted(set(listed) | set(ordered), key=lambda g: int(g) if g.isdigit() else 0):
        i = listed.get(gnum)
        o = ordered.get(gnum)
        missing = None
        if docs.inventory is not None and docs.order is not None:
            missing = "order" if o is None else "list" if i is None else None
        rows.append(
            LineRow(
                gnum=gnum,
                name=(i.gname if i else o.itemName if o else ""),
                gcode=i.gcode if i else "",
                qty=_pair(i and i.qty, o and o.qty),
                price=_pair(i and i.price, o and o.price),
                total=_pair(i and i.totalPrice, o and o.totalPrice),
                missing_on=missing,
            )
        )
    return rows


def flagged_fields(findings: list[dict[str, str]]) -> set[str]:
    """The field names at the end of the findings' paths (``.../payerIdNumber``).

    >>> sorted(flagged_fields([{"path": "Payment/PaymentHead/payerIdNumber"}]))
    ['buyerIdNumber', 'payerIdNumber']
    """
    names = {f.get("path", "").rsplit("/", 1)[-1] for f in findings}
    aliases = {
        "payerIdNumber": "buyerIdNumber",
        "payerIdType": "buyerIdType",
        "payerName": "buyerName",
        "amountPaid": "acturalPaid",
        "weight": "grossWeight",
    }
    return names | {aliases[n] for n in names if n in aliases}
