"""The three-document comparison names what disagrees, by rule and path."""

from __future__ import annotations

from typing import Any

from cbec.clearance.compare import compare
from cbec.messages import codec
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message, CEB621Message
from tests.intake.conftest import inventory, order, payment, waybill


def _set(
    *,
    order_: dict[str, Any] | None = None,
    pay: dict[str, Any] | None = None,
    bill: dict[str, Any] | None = None,
    invt: dict[str, Any] | None = None,
) -> tuple[CEB621Message, CEB311Message, CEB411Message, CEB511Message]:
    i = codec.from_xml(inventory(**(invt or {})))
    o = codec.from_xml(order(**(order_ or {})))
    p = codec.from_xml(payment(**(pay or {})))
    w = codec.from_xml(waybill(**(bill or {})))
    assert isinstance(i, CEB621Message)
    assert isinstance(o, CEB311Message)
    assert isinstance(p, CEB411Message)
    assert isinstance(w, CEB511Message)
    return i, o, p, w


def _rules(**kw: Any) -> list[tuple[str, str]]:
    i, o, p, w = _set(**kw)
    return [(f.rule, f.path) for f in compare(i.inventory, o.order, p.payment, w.logistics)]


def test_agreeing_documents_have_no_findings() -> None:
    assert _rules() == []


def test_payer_not_the_buyer() -> None:
    rules = _rules(pay={"payerIdNumber": "110105194912310029", "payerName": "李娜"})
    assert ("C02.buyer", "Payment/PaymentHead/payerIdNumber") in rules
    assert ("C02.buyer", "Payment/PaymentHead/payerName") in rules


def test_amount_paid_differs() -> None:
    assert _rules(pay={"amountPaid": "400.00"}) == [("C02.paid", "Payment/PaymentHead/amountPaid")]


def test_actural_paid_equation() -> None:
    rules = _rules(order_={"acturalPaid": "500.00"}, pay={"amountPaid": "500.00"})
    assert rules == [("C02.paid", "Order/OrderHead/acturalPaid")]


def test_waybill_of_another_order() -> None:
    rules = _rules(bill={"orderNo": "T99", "logisticsNo": "YT99"})
    assert ("C02.keys", "Logistics/LogisticsHead/orderNo") in rules
    assert ("C02.keys", "Logistics/LogisticsHead/logisticsNo") in rules


def test_list_line_quantity_differs_from_the_order() -> None:
    i, o, p, w = _set()
    data = i.model_dump()
    data["inventory"]["inventoryList"][0]["qty"] = "3"
    data["inventory"]["inventoryList"][0]["totalPrice"] = "597.00"
    changed = CEB621Message.model_validate(data)
    found = compare(changed.inventory, o.order, p.payment, w.logistics)
    assert [(f.rule, f.path) for f in found] == [
        ("C02.lines", "Inventory/InventoryList[gnum=1]/qty"),
        ("C02.lines", "Inventory/InventoryList[gnum=1]/totalPrice"),
    ]
    assert "qty 3 differs from 2 on the order" in found[0].message
