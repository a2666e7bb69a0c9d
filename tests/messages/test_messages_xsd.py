"""The generated XSDs are valid schemas, accept every sample and everything our writer
emits, and carry the models' facets (a too-long value fails schema validation)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from cbec.messages.codec import from_xml, to_xml
from cbec.messages.models import MESSAGE_TYPES, OrderHead
from cbec.messages.xsd import XS_NS, schema_for, write_all

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
ORDER = (XML_DIR / "ceb311_order.xml").read_bytes()
XS = f"{{{XS_NS}}}"


@cache
def schema(message_type: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(schema_for(message_type).decode("utf-8"))


def is_valid(message_type: str, data: bytes) -> bool:
    return bool(schema(message_type).is_valid(data.decode("utf-8")))


@pytest.mark.parametrize("message_type", list(MESSAGE_TYPES))
def test_every_schema_is_a_valid_xml_schema(message_type: str) -> None:
    loaded = schema(message_type)
    assert loaded.target_namespace == "http://www.chinaport.gov.cn/ceb"
    root = loaded.elements[f"{message_type}Message"]
    assert root.attributes["guid"].use == "required"
    assert root.attributes["version"].use == "optional"


def test_write_all_writes_one_file_per_message_type(tmp_path: Path) -> None:
    paths = write_all(tmp_path / "xsd")
    assert [p.name for p in paths] == [f"{t}.xsd" for t in MESSAGE_TYPES]
    assert {p.name for p in (tmp_path / "xsd").iterdir()} == {f"{t}.xsd" for t in MESSAGE_TYPES}
    assert paths[0].name == "CEB311.xsd"
    assert "CEB900.xsd" in {p.name for p in paths}
    for path in paths:
        assert xmlschema.XMLSchema(str(path)).elements


def test_schemas_are_reproducible() -> None:
    assert schema_for("CEB621") == schema_for("CEB621")


def test_an_unknown_type_has_no_schema() -> None:
    with pytest.raises(ValueError, match="CEB999"):
        schema_for("CEB999")


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_validates(name: str) -> None:
    data = (XML_DIR / name).read_bytes()
    message = from_xml(data)
    schema(message.MESSAGE_TYPE).validate(data.decode("utf-8"))


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_everything_the_writer_emits_validates(name: str, pretty: bool) -> None:
    message = from_xml((XML_DIR / name).read_bytes())
    schema(message.MESSAGE_TYPE).validate(to_xml(message, pretty=pretty).decode("utf-8"))


def test_a_signed_message_with_an_extension_validates() -> None:
    signed = (XML_DIR / "ceb311_order_signed.xml").read_bytes()
    data = signed.replace(
        b"  <ds:Signature",
        b'  <ceb:ExtendMessage a="1">text<any xmlns="urn:x"><b/></any></ceb:ExtendMessage>\n'
        b"  <ds:Signature",
        1,
    )
    assert is_valid("CEB311", data)
    assert is_valid("CEB311", to_xml(from_xml(data)))


@pytest.mark.parametrize(
    ("old", "new", "facet"),
    [
        pytest.param(
            b"<ceb:buyerRegNo>buyer_88231</ceb:buyerRegNo>",
            b"<ceb:buyerRegNo>" + b"b" * 61 + b"</ceb:buyerRegNo>",
            "maxLength",
            id="length",
        ),
        pytest.param(
            b"<ceb:ebpCode>4401960001</ceb:ebpCode>",
            b"<ceb:ebpCode>4401-960001</ceb:ebpCode>",
            "pattern",
            id="pattern",
        ),
        pytest.param(
            b"<ceb:orderType>I</ceb:orderType>",
            b"<ceb:orderType>X</ceb:orderType>",
            "enumeration",
            id="enumeration",
        ),
        pytest.param(
            b"<ceb:price>199.00</ceb:price>",
            b"<ceb:price>199.000001</ceb:price>",
            "fractionDigits",
            id="fraction-digits",
        ),
        pytest.param(
            b"<ceb:price>199.00</ceb:price>",
            b"<ceb:price>1234567890123456789.5</ceb:price>",
            "totalDigits",
            id="total-digits",
        ),
        pytest.param(
            b"<ceb:freight>0</ceb:freight>",
            b"<ceb:freight>-1</ceb:freight>",
            "minInclusive",
            id="min-inclusive",
        ),
        pytest.param(
            b"<ceb:price>199.00</ceb:price>",
            b"<ceb:price>0</ceb:price>",
            "minExclusive",
            id="min-exclusive",
        ),
        pytest.param(
            b"<ceb:appTime>20261111093015</ceb:appTime>",
            b"<ceb:appTime>2026-11-11</ceb:appTime>",
            "pattern",
            id="timestamp",
        ),
        pytest.param(
            b"<ceb:orderNo>T20261111000001</ceb:orderNo>", b"", "minOccurs", id="required"
        ),
        pytest.param(
            b"<ceb:note/>", b"<ceb:remark>x</ceb:remark>", "unknown element", id="unknown-element"
        ),
        pytest.param(
            b'guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" ', b"", "guid", id="missing-guid"
        ),
    ],
)
def test_a_facet_violation_fails_schema_validation(old: bytes, new: bytes, facet: str) -> None:
    assert ORDER.count(old) == 1
    bad = ORDER.replace(old, new)
    assert not is_valid("CEB311", bad), facet
    assert is_valid("CEB311", ORDER)


def test_the_length_facet_comes_from_the_model() -> None:
    generated = etree.fromstring(schema_for("CEB311"))
    (head_type,) = generated.findall(f"{XS}complexType[@name='OrderHeadType']")
    (element,) = head_type.findall(f"{XS}sequence/{XS}element[@name='buyerRegNo']")
    max_length = element.find(f".//{XS}maxLength")
    assert max_length is not None
    assert max_length.get("value") == "60"
    doc = element.findtext(f"{XS}annotation/{XS}documentation")
    assert doc == "buyer's account on the platform"
    names = [e.get("name") for e in head_type.findall(f"{XS}sequence/{XS}element")]
    assert names == list(OrderHead.model_fields)
    optional = {
        e.get("name")
        for e in head_type.findall(f"{XS}sequence/{XS}element")
        if e.get("minOccurs") == "0"
    }
    assert optional == {n for n, f in OrderHead.model_fields.items() if not f.is_required()}


def test_lists_are_unbounded_and_verbatim_parts_open() -> None:
    generated = etree.fromstring(schema_for("CEB311"))
    (line,) = generated.findall(f".//{XS}element[@name='OrderList']")
    assert (line.get("minOccurs"), line.get("maxOccurs")) == ("1", "unbounded")
    root_sequence = generated.find(f"{XS}element/{XS}complexType/{XS}sequence")
    assert root_sequence is not None
    names = [e.get("name") for e in root_sequence.findall(f"{XS}element")]
    assert names == ["Order", "BaseTransfer", "BaseSubscribe", "ExtendMessage"]
    (signature,) = root_sequence.findall(f"{XS}any")
    assert signature.attrib == {
        "namespace": "http://www.w3.org/2000/09/xmldsig#",
        "processContents": "skip",
        "minOccurs": "0",
    }
    (extension,) = generated.findall(f".//{XS}element[@name='ExtendMessage']//{XS}any")
    assert extension.get("processContents") == "lax"


def test_receipt_schemas_have_no_transfer_node() -> None:
    generated = etree.fromstring(schema_for("CEB312"))
    root_sequence = generated.find(f"{XS}element/{XS}complexType/{XS}sequence")
    assert root_sequence is not None
    assert [e.get("name") for e in root_sequence] == ["OrderReturn"]


def test_a_foreign_element_in_place_of_the_signature_fails() -> None:
    signed = (XML_DIR / "ceb311_order_signed.xml").read_bytes()
    bad = signed.replace(b"http://www.w3.org/2000/09/xmldsig#", b"urn:not-dsig")
    assert not is_valid("CEB311", bad)
