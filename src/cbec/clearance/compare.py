"""The three-document comparison: the order, the payment and the waybill must exist and
agree with the retail import list. Pure: takes message models, returns findings.

Rules (codes appear in receipts):

* ``C02.keys``     orderNo, ebpCode, ebcCode, logisticsNo / logisticsCode agree
* ``C02.buyer``    buyer identity on the list = on the order = the payer (id type, number, name)
* ``C02.lines``    item lines agree by gnum: qty, price, totalPrice (and the goods value)
* ``C02.paid``     acturalPaid = goodsValue + freight + taxTotal - discount = amountPaid
"""

from __future__ import annotations

from decimal import Decimal

from cbec.clearance.findings import Finding
from cbec.messages.models import Inventory, Logistics, Order, Payment

LIST = "Inventory/InventoryHead"
ORDER = "Order/OrderHead"
PAY = "Payment/PaymentHead"
WAYBILL = "Logistics/LogisticsHead"


def _differs(rule: str, path: str, what: str, mine: object, theirs: object, where: str) -> Finding:
    return Finding(rule, path, f"{what} {mine!s} differs from {theirs!s} on the {where}")


def compare(
    inventory: Inventory,
    order: Order,
    payment: Payment,
    waybill: Logistics,
    *,
    money_tolerance: Decimal = Decimal("0.01"),
) -> list[Finding]:
    """Every disagreement between the list and its three documents (empty: they agree)."""
    found: list[Finding] = []
    inv = inventory.inventoryHead
    head = order.orderHead
    pay = payment.paymentHead
    bill = waybill.logisticsHead

    # keys
    for field, theirs, where, path in (
        ("orderNo", head.orderNo, "order", ORDER),
        ("ebpCode", head.ebpCode, "order", ORDER),
        ("ebcCode", head.ebcCode, "order", ORDER),
        ("orderNo", pay.orderNo, "payment", PAY),
        ("ebpCode", pay.ebpCode, "payment", PAY),
        ("orderNo", bill.orderNo, "waybill", WAYBILL),
        ("logisticsNo", bill.logisticsNo, "waybill", WAYBILL),
        ("logisticsCode", bill.logisticsCode, "waybill", WAYBILL),
    ):
        mine = getattr(inv, field)
        if mine != theirs:
            found.append(
                Finding(
                    "C02.keys",
                    f"{path}/{field}",
                    f"{field} is {theirs} on the {where} but {mine} on the list",
                )
            )
    if head.payCode and head.payCode != pay.payCode:
        found.append(
            _differs("C02.keys", f"{PAY}/payCode", "payCode", pay.payCode, head.payCode, "order")
        )
    if head.payTransactionId and head.payTransactionId != pay.payTransactionId:
        found.append(
            _differs(
                "C02.keys",
                f"{PAY}/payTransactionId",
                "payTransactionId",
                pay.payTransactionId,
                head.payTransactionId,
                "order",
            )
        )

    # buyer identity: list = order = payer
    for mine, theirs, field, where, path in (
        (inv.buyerIdType, head.buyerIdType, "buyerIdType", "list", ORDER),
        (inv.buyerIdNumber, head.buyerIdNumber, "buyerIdNumber", "list", ORDER),
        (inv.buyerName, head.buyerName, "buyerName", "list", ORDER),
        (head.buyerIdType, pay.payerIdType, "payerIdType", "order (buyer)", PAY),
        (head.buyerIdNumber, pay.payerIdNumber, "payerIdNumber", "order (buyer)", PAY),
        (head.buyerName, pay.payerName, "payerName", "order (buyer)", PAY),
    ):
        if mine != theirs:
            found.append(
                Finding(
                    "C02.buyer",
                    f"{path}/{field}",
                    f"{field} differs from the {where}: the buyer must be the payer",
                )
            )

    # item lines, matched by gnum
    order_lines = {line.gnum: line for line in order.orderList}
    list_lines = {line.gnum: line for line in inventory.inventoryList}
    for gnum in sorted(set(order_lines) | set(list_lines), key=int):
        o = order_lines.get(gnum)
        i = list_lines.get(gnum)
        if o is None:
            found.append(
                Finding("C02.lines", f"Inventory/InventoryList[gnum={gnum}]", "not on the order")
            )
            continue
        if i is None:
            found.append(Finding("C02.lines", f"Order/OrderList[gnum={gnum}]", "not on the list"))
            continue
        for field in ("qty", "price", "totalPrice"):
            if getattr(o, field) != getattr(i, field):
                found.append(
                    _differs(
                        "C02.lines",
                        f"Inventory/InventoryList[gnum={gnum}]/{field}",
                        field,
                        getattr(i, field),
                        getattr(o, field),
                        "order",
                    )
                )

    # money: the goods value, acturalPaid and the payment
    lines_total = sum((line.totalPrice for line in order.orderList), Decimal(0))
    if abs(lines_total - head.goodsValue) > money_tolerance:
        found.append(
            Finding(
                "C02.paid",
                f"{ORDER}/goodsValue",
                f"goodsValue {head.goodsValue} is not the sum of the lines {lines_total}",
            )
        )
    expected = head.goodsValue + head.freight + head.taxTotal - head.discount
    if abs(expected - head.acturalPaid) > money_tolerance:
        found.append(
            Finding(
                "C02.paid",
                f"{ORDER}/acturalPaid",
                f"acturalPaid {head.acturalPaid} != goodsValue + freight + taxTotal - discount "
                f"= {expected}",
            )
        )
    if abs(pay.amountPaid - head.acturalPaid) > money_tolerance:
        found.append(
            Finding(
                "C02.paid",
                f"{PAY}/amountPaid",
                f"amountPaid {pay.amountPaid} differs from the order's acturalPaid "
                f"{head.acturalPaid}",
            )
        )
    return found
