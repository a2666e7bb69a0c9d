"""The four documents of an honest order agree, as the three-document rule demands."""

from __future__ import annotations

from decimal import Decimal

from cbec.sim.goods import CATALOGUE, catalogue_ct, order_taxes
from tests.sim.reading import Written

SKU = {g.sku: g for g in CATALOGUE}


def test_every_order_has_its_four_documents(written: Written) -> None:
    assert len(written.by_order) == 2000
    for order_no, documents in written.by_order.items():
        for message_type in ("CEB311", "CEB411", "CEB511", "CEB621"):
            assert documents[message_type], (order_no, message_type)


def test_unlabelled_orders_agree_across_documents(written: Written) -> None:
    checked = 0
    for order_no in written.unlabelled():
        order = written.last(order_no, "CEB311")
        payment = written.last(order_no, "CEB411")
        waybill = written.last(order_no, "CEB511")
        listing = written.last(order_no, "CEB621")
        assert order.orderNo == payment.orderNo == waybill.orderNo == listing.orderNo
        assert order.ebpCode == payment.ebpCode == listing.ebpCode
        assert order.ebcCode == listing.ebcCode
        assert (waybill.logisticsNo, waybill.logisticsCode) == (
            listing.logisticsNo,
            listing.logisticsCode,
        )
        assert (order.payCode, order.payTransactionId) == (
            payment.payCode,
            payment.payTransactionId,
        )
        buyer = (order.buyerIdType, order.buyerIdNumber, order.buyerName)
        assert buyer == (listing.buyerIdType, listing.buyerIdNumber, listing.buyerName)
        assert buyer == (payment.payerIdType, payment.payerIdNumber, payment.payerName)
        assert order.acturalPaid == (
            order.goodsValue + order.freight + order.taxTotal - order.discount
        )
        assert payment.amountPaid == order.acturalPaid
        assert order.freight == listing.freight == waybill.freight
        assert order.consigneeAddress == listing.consigneeAddress == waybill.consigneeAddress
        order_lines = written.lines(order_no, "CEB311")
        list_lines = written.lines(order_no, "CEB621")
        assert [(x.gnum, x.itemName, x.qty, x.price, x.totalPrice) for x in order_lines] == [
            (x.gnum, x.itemName, x.qty, x.price, x.totalPrice) for x in list_lines
        ]
        assert order.goodsValue == sum(x.totalPrice for x in order_lines)
        checked += 1
    assert checked > 1800


def test_tax_is_the_cbec_composite_tax(written: Written) -> None:
    for order_no in written.by_order:
        order = written.last(order_no, "CEB311")
        lines = written.lines(order_no, "CEB311")
        rates = [(SKU[x.itemNo].vat, catalogue_ct(SKU[x.itemNo], x.price)) for x in lines]
        taxes = order_taxes([x.totalPrice for x in lines], order.freight, rates)
        assert order.taxTotal == sum(taxes), order_no


def test_orders_stay_under_the_per_order_limit(written: Written) -> None:
    for order_no in written.by_order:
        order = written.last(order_no, "CEB311")
        assert order.goodsValue + order.freight <= Decimal(5000), order_no
        assert Decimal(0) <= order.discount <= order.goodsValue
        assert order.acturalPaid > 0


def test_lists_carry_legal_quantities_and_weights(written: Written) -> None:
    for order_no in written.unlabelled():
        listing = written.last(order_no, "CEB621")
        assert listing.grossWeight >= listing.netWeight > 0
        for line in written.lines(order_no, "CEB621"):
            goods = SKU[line.itemNo]
            assert line.gcode == goods.hs
            assert (line.unit1, line.qty1) == (goods.unit1, goods.qty1 * line.qty)
            assert line.totalPrice == line.price * line.qty
