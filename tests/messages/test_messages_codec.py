"""Round trips through the codec lose nothing: XML and JSON, both namespace forms, the
signature and extension kept verbatim, money kept as exact decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from cbec.messages.codec import (
    DS_NS,
    NS,
    MessageRejected,
    from_json,
    from_xml,
    to_json,
    to_json_dict,
    to_xml,
)
from cbec.messages.models import (
    CEB311Message,
    CEB312Message,
    CEB411Message,
    CEB511Message,
    CEB621Message,
    CEB623Message,
    CEB625Message,
    CebMessage,
    OrderReturn,
)

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
SAMPLES = [
    "ceb311_order.xml",
    "ceb311_order_default_ns.xml",
    "ceb311_order_signed.xml",
    "ceb411_payment.xml",
    "ceb511_waybill.xml",
    "ceb621_inventory.xml",
    "ceb621_inventory_1210.xml",
    "ceb623_cancel.xml",
    "ceb625_refund.xml",
]
VERBATIM = ({DS_NS}, {f"{{{NS}}}ExtendMessage"})


def read(name: str) -> bytes:
    return (XML_DIR / name).read_bytes()


def leaf_texts(data: bytes) -> dict[str, str]:
    """``Order/OrderList[2]/price`` -> text, for every non-empty leaf outside the parts
    kept verbatim (whose fidelity is tested on its own)."""
    root = etree.fromstring(data)
    found: dict[str, str] = {}

    def walk(element: etree._Element, path: str) -> None:
        seen: dict[str, int] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.namespace == DS_NS or child.tag == f"{{{NS}}}ExtendMessage":
                continue
            seen[qname.localname] = seen.get(qname.localname, 0) + 1
            here = f"{path}/{qname.localname}[{seen[qname.localname]}]"
            if len(child):
                walk(child, here)
            elif child.text:
                found[here] = child.text

    walk(root, etree.QName(root).localname)
    return found


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_xml_round_trip_is_lossless(name: str, pretty: bool) -> None:
    original = read(name)
    message = from_xml(original)
    written = to_xml(message, pretty=pretty)
    again = from_xml(written)
    assert again == message
    assert leaf_texts(written) == leaf_texts(original)
    # and the second trip is byte-stable
    assert to_xml(again, pretty=pretty) == written


@pytest.mark.parametrize("name", SAMPLES)
def test_json_round_trip_is_lossless(name: str) -> None:
    message = from_xml(read(name))
    text = to_json(message)
    assert from_json(text) == message
    assert from_json(text.encode("utf-8")) == message
    # and JSON -> XML -> model gives the same message again
    assert from_xml(to_xml(from_json(text))) == message


def test_samples_have_the_right_types() -> None:
    types = {name: type(from_xml(read(name))) for name in SAMPLES}
    assert types["ceb311_order.xml"] is CEB311Message
    assert types["ceb411_payment.xml"] is CEB411Message
    assert types["ceb511_waybill.xml"] is CEB511Message
    assert types["ceb621_inventory.xml"] is CEB621Message
    assert types["ceb621_inventory_1210.xml"] is CEB621Message
    assert types["ceb623_cancel.xml"] is CEB623Message
    assert types["ceb625_refund.xml"] is CEB625Message


def test_samples_agree_with_the_order() -> None:
    order = from_xml(read("ceb311_order.xml"))
    assert isinstance(order, CEB311Message)
    head = order.order.orderHead
    payment = from_xml(read("ceb411_payment.xml"))
    waybill = from_xml(read("ceb511_waybill.xml"))
    assert isinstance(payment, CEB411Message)
    assert isinstance(waybill, CEB511Message)
    pay = payment.payment.paymentHead
    assert (pay.orderNo, pay.ebpCode, pay.payCode) == (head.orderNo, head.ebpCode, head.payCode)
    assert pay.payTransactionId == head.payTransactionId
    assert (pay.payerName, pay.payerIdNumber) == (head.buyerName, head.buyerIdNumber)
    assert pay.amountPaid == head.acturalPaid == Decimal("434.22")
    assert head.acturalPaid == head.goodsValue + head.freight + head.taxTotal - head.discount
    assert waybill.logistics.logisticsHead.orderNo == head.orderNo
    for name in ("ceb621_inventory.xml", "ceb621_inventory_1210.xml"):
        inventory = from_xml(read(name))
        assert isinstance(inventory, CEB621Message)
        invt = inventory.inventory.inventoryHead
        assert (invt.orderNo, invt.ebpCode, invt.ebcCode) == (
            head.orderNo,
            head.ebpCode,
            head.ebcCode,
        )
        assert invt.logisticsNo == waybill.logistics.logisticsHead.logisticsNo
        assert invt.logisticsCode == waybill.logistics.logisticsHead.logisticsCode
        assert (invt.buyerName, invt.buyerIdNumber) == (head.buyerName, head.buyerIdNumber)
        assert invt.agentCode == "4401960005"
        lines = inventory.inventory.inventoryList
        assert sum(line.totalPrice for line in lines) == head.goodsValue
        assert all(line.gcode == "1901101010" for line in lines)
    direct = from_xml(read("ceb621_inventory.xml"))
    bonded = from_xml(read("ceb621_inventory_1210.xml"))
    assert isinstance(direct, CEB621Message)
    assert isinstance(bonded, CEB621Message)
    assert direct.inventory.inventoryHead.tradeMode == "9610"
    assert len(direct.inventory.inventoryList) == 2
    assert bonded.inventory.inventoryHead.tradeMode == "1210"
    assert all(line.itemRecordNo for line in bonded.inventory.inventoryList)


def test_prefixed_and_default_namespace_forms_give_the_same_model() -> None:
    prefixed = from_xml(read("ceb311_order.xml"))
    default = from_xml(read("ceb311_order_default_ns.xml"))
    assert b"<ceb:" not in read("ceb311_order_default_ns.xml")
    assert default == prefixed


def test_version_v1_0_is_read() -> None:
    signed = read("ceb311_order_signed.xml")
    assert b'version="v1.0"' in signed
    message = from_xml(signed)
    assert message.version == "1.0"
    assert b'version="1.0"' in to_xml(message)


def _signature_c14n(data: bytes) -> bytes:
    root = etree.fromstring(data)
    (signature,) = root.findall(f"{{{DS_NS}}}Signature")
    return etree.tostring(signature, method="c14n")


def test_signature_is_kept_verbatim_through_a_round_trip() -> None:
    original = read("ceb311_order_signed.xml")
    message = from_xml(original)
    assert isinstance(message, CEB311Message)
    assert message.signature is not None
    assert "<ds:SignatureValue>MEUCIQDv2Q0r6d3n8Yk1b7Hj2m9Qe4" in message.signature
    written = to_xml(message)
    assert _signature_c14n(written) == _signature_c14n(original)
    assert from_xml(written) == message
    # the signature is written after BaseTransfer, as the last child
    assert etree.QName(etree.fromstring(written)[-1]).localname == "Signature"
    # and it survives a JSON trip
    assert from_json(to_json(message)) == message


def test_extend_message_is_kept_verbatim(order_xml: bytes) -> None:
    extension = (
        b'<ceb:ExtendMessage kind="x"><name>ext</name>free text<v:value xmlns:v="urn:v" a="1">'
        b"42</v:value></ceb:ExtendMessage>"
    )
    data = order_xml.replace(b"</ceb:BaseTransfer>", b"</ceb:BaseTransfer>\n  " + extension, 1)
    message = from_xml(data)
    assert isinstance(message, CEB311Message)
    assert message.extendMessage is not None
    written = to_xml(message)
    again = from_xml(written)
    assert again == message
    root = etree.fromstring(written)
    (element,) = root.findall(f"{{{NS}}}ExtendMessage")
    assert element.get("kind") == "x"
    assert element.findtext("name") == "ext"
    assert element.findtext("{urn:v}value") == "42"
    assert "free text" in etree.tostring(element, encoding="unicode")


def test_elements_in_any_order_are_read(order_xml: bytes) -> None:
    root = etree.fromstring(order_xml)
    root[:] = list(reversed(root))  # BaseTransfer before Order
    head = root.find(f"{{{NS}}}Order/{{{NS}}}OrderHead")
    assert head is not None
    head[:] = list(reversed(head))
    assert from_xml(etree.tostring(root)) == from_xml(order_xml)


def test_an_empty_optional_element_is_absent(order_xml: bytes) -> None:
    assert b"<ceb:note/>" in order_xml
    message = from_xml(order_xml)
    assert isinstance(message, CEB311Message)
    assert message.order.orderHead.note is None
    assert b"note" not in to_xml(message)


# --- money ----------------------------------------------------------------------------


def test_decimal_text_stays_exact(order_xml: bytes) -> None:
    data = order_xml.replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>0.10</ceb:price>")
    message = from_xml(data)
    assert isinstance(message, CEB311Message)
    price = message.order.orderList[0].price
    assert type(price) is Decimal
    assert str(price) == "0.10"
    assert b"<ceb:price>0.10</ceb:price>" in to_xml(message)
    assert to_json_dict(message)["CEB311Message"]["order"]["orderList"][0]["price"] == "0.10"
    freight = message.order.orderHead.freight
    assert type(freight) is Decimal
    assert b"<ceb:freight>0</ceb:freight>" in to_xml(message)


@pytest.mark.parametrize(
    ("number", "expected"),
    [("0.1", "0.1"), ("0.10", "0.10"), ("199", "199"), ("12345678901234.12345", None)],
)
def test_a_json_number_arrives_as_an_exact_decimal(
    order_xml: bytes, number: str, expected: str | None
) -> None:
    text = to_json(from_xml(order_xml))
    assert '"price":"199.00"' in text
    text = text.replace('"price":"199.00"', f'"price":{number}')
    assert json.loads(text, parse_float=Decimal)["CEB311Message"]["order"]["orderList"][0][
        "price"
    ] == Decimal(number)
    message = from_json(text)
    assert isinstance(message, CEB311Message)
    price = message.order.orderList[0].price
    assert type(price) is Decimal
    assert price == Decimal(number)
    assert str(price) == (expected or number)
    if number == "0.1":
        assert price != Decimal(float(number))  # what a float would have given
    assert f"<ceb:price>{expected or number}</ceb:price>".encode() in to_xml(message)


def test_a_json_float_is_never_used(order_xml: bytes) -> None:
    message = from_json(to_json(from_xml(order_xml)))
    values = message.model_dump()
    floats: list[object] = []

    def walk(value: object) -> None:
        if isinstance(value, float):
            floats.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(values)
    assert floats == []


# --- receipts -------------------------------------------------------------------------


def receipt() -> CEB312Message:
    return CEB312Message(
        guid="A1B2C3D4-0000-4000-8000-000000000001",
        orderReturn=OrderReturn(
            guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94",
            ebpCode="4401960001",
            ebcCode="4401960002",
            orderNo="T20261111000001",
            returnStatus="120",
            returnTime="20261111093016123",
            returnInfo="新增申报成功[4CDE1CFD-EDED-46B1-946C-B8022E42FC94]",
        ),
    )


def test_receipts_are_written_in_the_default_namespace() -> None:
    written = to_xml(receipt())
    root = etree.fromstring(written)
    assert root.nsmap == {None: NS}
    assert b"<CEB312Message" in written
    assert b"<OrderReturn>" in written
    assert from_xml(written) == receipt()


def test_declarations_are_written_with_the_ceb_prefix(order_xml: bytes) -> None:
    written = to_xml(from_xml(order_xml))
    assert written.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<ceb:CEB311Message")
    assert etree.fromstring(written).nsmap == {"ceb": NS}


def test_a_message_of_every_sample_is_a_ceb_message() -> None:
    for name in SAMPLES:
        assert isinstance(from_xml(read(name)), CebMessage)


def test_rejected_message_keeps_type_and_guid(order_xml: bytes) -> None:
    data = order_xml.replace(b"<ceb:orderNo>T20261111000001</ceb:orderNo>", b"")
    with pytest.raises(MessageRejected) as caught:
        from_xml(data)
    assert caught.value.message_type == "CEB311"
    assert caught.value.guid == "4CDE1CFD-EDED-46B1-946C-B8022E42FC94"
