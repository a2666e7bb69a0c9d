"""A rejected message names each bad field by its XML path and the rule it broke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbec.errors import FieldError
from cbec.messages.codec import MessageRejected, from_json, from_xml, to_json, to_xml
from cbec.messages.models import CEB311Message

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
ORDER = (XML_DIR / "ceb311_order.xml").read_bytes()
INVENTORY = (XML_DIR / "ceb621_inventory.xml").read_bytes()
HEAD = "CEB311Message/Order/OrderHead"
LINE = "CEB311Message/Order/OrderList"


def problems(data: bytes) -> list[FieldError]:
    with pytest.raises(MessageRejected) as caught:
        from_xml(data)
    assert caught.value.fields, "a rejection must name at least one field"
    return caught.value.fields


def edit(old: bytes, new: bytes, data: bytes = ORDER) -> bytes:
    assert data.count(old) == 1, old
    return data.replace(old, new)


def one(fields: list[FieldError]) -> FieldError:
    assert len(fields) == 1, fields
    return fields[0]


def second_line(price: bytes) -> bytes:
    start = ORDER.index(b"<ceb:OrderList>")
    end = ORDER.index(b"</ceb:OrderList>") + len(b"</ceb:OrderList>")
    line = ORDER[start:end].replace(b"<ceb:gnum>1</ceb:gnum>", b"<ceb:gnum>2</ceb:gnum>")
    line = line.replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>" + price + b"</ceb:price>")
    return ORDER[:end] + b"\n    " + line + ORDER[end:]


@pytest.mark.parametrize(
    ("data", "path", "rule"),
    [
        pytest.param(
            edit(b"<ceb:orderNo>T20261111000001</ceb:orderNo>", b""),
            f"{HEAD}/orderNo",
            "required",
            id="missing-required",
        ),
        pytest.param(
            edit(b"<ceb:ebpName>\xe5\x8d\x97", b"<ceb:ebpName>" + ("长" * 100 + "南").encode()),
            f"{HEAD}/ebpName",
            "maxLength=100",
            id="too-long",
        ),
        pytest.param(
            edit(
                b"<ceb:ebpCode>4401960001</ceb:ebpCode>", b"<ceb:ebpCode>4401-960001</ceb:ebpCode>"
            ),
            f"{HEAD}/ebpCode",
            "pattern=^[0-9A-Za-z]{1,18}$",
            id="bad-pattern",
        ),
        pytest.param(
            edit(
                b"<ceb:currency>142</ceb:currency>\n      <ceb:buyerRegNo>",
                b"<ceb:currency>\xd9\xa1\xd9\xa4\xd9\xa2</ceb:currency>\n      <ceb:buyerRegNo>",
            ),
            f"{HEAD}/currency",
            "pattern=^[0-9]{3}$",
            id="non-ascii-digits",
        ),
        pytest.param(
            edit(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>199.000001</ceb:price>"),
            f"{LINE}[1]/price",
            "fractionDigits=5",
            id="too-many-decimal-places",
        ),
        pytest.param(
            edit(
                b"<ceb:taxTotal>36.22</ceb:taxTotal>",
                b"<ceb:taxTotal>123456789012345</ceb:taxTotal>",
            ),
            f"{HEAD}/taxTotal",
            "totalDigits=14",
            id="too-many-whole-digits",
        ),
        pytest.param(
            edit(b"<ceb:freight>0</ceb:freight>", b"<ceb:freight>-5.00</ceb:freight>"),
            f"{HEAD}/freight",
            "minInclusive=0",
            id="negative-amount",
        ),
        pytest.param(
            edit(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>0</ceb:price>"),
            f"{LINE}[1]/price",
            "minExclusive=0",
            id="zero-price",
        ),
        pytest.param(
            edit(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>1.5e2</ceb:price>"),
            f"{LINE}[1]/price",
            "decimal",
            id="exponent",
        ),
        pytest.param(
            edit(b"<ceb:orderType>I</ceb:orderType>", b"<ceb:orderType>X</ceb:orderType>"),
            f"{HEAD}/orderType",
            "pattern=^(I|E)$",
            id="not-in-enumeration",
        ),
        pytest.param(
            edit(b"<ceb:note/>", b"<ceb:remark>hello</ceb:remark>"),
            f"{HEAD}/remark",
            "unknown-element",
            id="unknown-element",
        ),
        pytest.param(
            edit(b"</ceb:Order>", b"</ceb:Order><ceb:Bonus>1</ceb:Bonus>"),
            "CEB311Message/Bonus",
            "unknown-element",
            id="unknown-element-at-root",
        ),
        pytest.param(
            edit(
                b"<ceb:orderNo>T20261111000001</ceb:orderNo>",
                b"<ceb:orderNo>T20261111000001</ceb:orderNo><ceb:orderNo>T2</ceb:orderNo>",
            ),
            f"{HEAD}/orderNo",
            "maxOccurs=1",
            id="repeated-single-element",
        ),
        pytest.param(
            edit(b"</ceb:Order>", b"</ceb:Order><ceb:BaseTransfer/>"),
            "CEB311Message/BaseTransfer",
            "maxOccurs=1",
            id="repeated-single-node",
        ),
        pytest.param(
            edit(
                b"<ceb:appTime>20261111093015</ceb:appTime>",
                b"<ceb:appTime>20261131093015</ceb:appTime>",
            ),
            f"{HEAD}/appTime",
            "calendar",
            id="bad-calendar-time",
        ),
        pytest.param(
            edit(
                b"<ceb:declTime>20261111</ceb:declTime>",
                b"<ceb:declTime>20261131</ceb:declTime>",
                INVENTORY,
            ),
            "CEB621Message/Inventory/InventoryHead/declTime",
            "calendar",
            id="bad-calendar-date",
        ),
        pytest.param(
            second_line(b"-1"),
            f"{LINE}[2]/price",
            "minExclusive=0",
            id="list-index-in-path",
        ),
        pytest.param(
            edit(
                b"<ceb:InventoryList>\n      <ceb:gnum>2</ceb:gnum>",
                b"<ceb:InventoryList>\n      <ceb:gnum>0</ceb:gnum>",
                INVENTORY,
            ),
            "CEB621Message/Inventory/InventoryList[2]/gnum",
            "pattern=^[1-9][0-9]{0,3}$",
            id="list-index-in-path-621",
        ),
        pytest.param(
            edit(b' guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94"', b""),
            "CEB311Message/@guid",
            "required",
            id="missing-guid-attribute",
        ),
        pytest.param(
            edit(b"<ceb:gmodel>900g/", b"<ceb:gmodel><ceb:x/>900g/"),
            f"{LINE}[1]/gmodel",
            "text",
            id="element-inside-a-leaf",
        ),
        pytest.param(
            edit(b"</ceb:OrderHead>", b"</ceb:OrderHead><ceb:orderHead>1</ceb:orderHead>"),
            "CEB311Message/Order/orderHead",
            "unknown-element",
            id="node-name-in-lower-case",
        ),
        pytest.param(
            edit(b"</ceb:BaseTransfer>", b"</ceb:BaseTransfer><ceb:signature>x</ceb:signature>"),
            "CEB311Message/signature",
            "unknown-element",
            id="signature-outside-xmldsig",
        ),
    ],
)
def test_rejection_names_path_and_rule(data: bytes, path: str, rule: str) -> None:
    error = one(problems(data))
    assert (error.path, error.rule) == (path, rule)
    assert error.message
    assert str(error) == f"{path}: {error.message} [{rule}]"


def test_every_problem_is_reported_at_once() -> None:
    data = edit(b"<ceb:orderNo>T20261111000001</ceb:orderNo>", b"")
    data = data.replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>-1</ceb:price>")
    data = data.replace(b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>CNY</ceb:currency>")
    found = {(e.path, e.rule) for e in problems(data)}
    assert found == {
        (f"{HEAD}/orderNo", "required"),
        (f"{HEAD}/currency", "pattern=^[0-9]{3}$"),
        (f"{LINE}[1]/price", "minExclusive=0"),
        (f"{LINE}[1]/currency", "pattern=^[0-9]{3}$"),
    }


def test_an_order_without_lines_is_refused() -> None:
    start = ORDER.index(b"<ceb:OrderList>")
    end = ORDER.index(b"</ceb:OrderList>") + len(b"</ceb:OrderList>")
    error = one(problems(ORDER[:start] + ORDER[end:]))
    assert (error.path, error.rule) == (f"{LINE}", "required")
    document = json.loads(to_json(from_xml(ORDER)))
    document["CEB311Message"]["order"]["orderList"] = []
    with pytest.raises(MessageRejected) as caught:
        from_json(json.dumps(document))
    assert [(e.path, e.rule) for e in caught.value.fields] == [(LINE, "minOccurs=1")]


def json_problems(document: dict[str, object]) -> list[FieldError]:
    with pytest.raises(MessageRejected) as caught:
        from_json(json.dumps(document, ensure_ascii=False))
    return caught.value.fields


def order_document() -> dict[str, dict[str, object]]:
    document: dict[str, dict[str, object]] = json.loads(to_json(from_xml(ORDER)))
    return document


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        (b"<ceb:Order>", b"<ceb:Order>stray text", "CEB311Message/Order"),
        (b"</ceb:OrderHead>", b"</ceb:OrderHead> stray ", "CEB311Message/Order"),
        (b"<ceb:Order>", b"x<ceb:Order>", "CEB311Message"),
    ],
)
def test_text_between_the_elements_of_an_element_is_refused(
    old: bytes, new: bytes, path: str
) -> None:
    assert old in ORDER
    found = problems(ORDER.replace(old, new, 1))
    assert [(e.path, e.rule) for e in found] == [(path, "text")]
    assert found[0].message.endswith("holds elements, not text")


def test_json_errors_use_the_same_paths() -> None:
    document = order_document()
    order = document["CEB311Message"]["order"]
    assert isinstance(order, dict)
    order["orderList"].append(dict(order["orderList"][0], price="1.123456"))
    order["orderHead"]["bonus"] = "1"
    found = {(e.path, e.rule) for e in json_problems(document)}
    assert found == {(f"{LINE}[2]/price", "fractionDigits=5"), (f"{HEAD}/bonus", "unknown-element")}


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('"orderNo":', '"orderNo":"X1","orderNo":', f"{HEAD}/orderNo"),
        ('"gnum":2,', '"gnum":2,"price":"1",', f"{LINE}[2]/price"),
        ('{"CEB311Message":', '{"CEB311Message":{},"CEB311Message":', "CEB311Message"),
    ],
)
def test_a_json_key_given_twice_is_refused_as_xml_refuses_an_element_twice(
    old: str, new: str, path: str
) -> None:
    document = order_document()
    order = document["CEB311Message"]["order"]
    assert isinstance(order, dict)
    order["orderList"].append(dict(order["orderList"][0], gnum=2))
    text = json.dumps(document, separators=(",", ":"))
    assert old in text
    with pytest.raises(MessageRejected) as caught:
        from_json(text.replace(old, new, 1))
    assert [(e.path, e.rule) for e in caught.value.fields] == [(path, "maxOccurs=1")]


def test_a_json_float_for_text_is_refused() -> None:
    document = order_document()
    order = document["CEB311Message"]["order"]
    assert isinstance(order, dict)
    order["orderHead"]["currency"] = 142
    error = one(json_problems(document))
    assert (error.path, error.rule) == (f"{HEAD}/currency", "text")


def test_a_character_xml_cannot_carry_is_refused() -> None:
    document = order_document()
    order = document["CEB311Message"]["order"]
    assert isinstance(order, dict)
    order["orderHead"]["buyerName"] = "张\x00伟"
    error = one(json_problems(document))
    assert (error.path, error.rule) == (f"{HEAD}/buyerName", "xml_char")
    assert "U+0000" in error.message


@pytest.mark.parametrize(
    ("part", "value", "rule"),
    [
        ("signature", "not xml", "xml.well-formed"),
        ("signature", '<x:Other xmlns:x="urn:x"/>', "verbatim-element"),
        ("extendMessage", "<ExtendMessage/>", "verbatim-element"),
        (
            "extendMessage",
            '<!DOCTYPE a [<!ENTITY e "x">]><ceb:ExtendMessage '
            'xmlns:ceb="http://www.chinaport.gov.cn/ceb">&e;</ceb:ExtendMessage>',
            "xml.no-dtd",
        ),
    ],
)
def test_json_verbatim_parts_must_be_the_right_element(part: str, value: str, rule: str) -> None:
    document = order_document()
    document["CEB311Message"][part] = value
    error = one(json_problems(document))
    name = part[0].upper() + part[1:]
    assert (error.path, error.rule) == (f"CEB311Message/{name}", rule)


def test_a_json_extend_message_is_written_as_is() -> None:
    document = order_document()
    document["CEB311Message"]["extendMessage"] = (
        '<ceb:ExtendMessage xmlns:ceb="http://www.chinaport.gov.cn/ceb"><k>v</k></ceb:ExtendMessage>'
    )
    message = from_json(json.dumps(document))
    assert isinstance(message, CEB311Message)
    assert b"<k>v</k></ceb:ExtendMessage>" in to_xml(message)
