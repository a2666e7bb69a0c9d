"""The bonded-entry and export messages (CEB711, CEB303, CEB603, CEB701 and their
receipts, CEB792): lossless XML and JSON round trips, valid against their generated XSDs,
and bad values named by path and rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema

from cbec.messages import codec
from cbec.messages.models import (
    RECEIPT_FOR,
    CEB303Message,
    CEB603Message,
    CEB701Message,
    CEB711Message,
    CEB792Message,
)
from cbec.messages.receipts import build_receipt
from cbec.messages.xsd import schema_for

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
SAMPLES = {
    "ceb711_bonded_entry.xml": CEB711Message,
    "ceb303_export_order.xml": CEB303Message,
    "ceb603_export_list.xml": CEB603Message,
    "ceb701_summary_apply.xml": CEB701Message,
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_round_trips_and_schema(name: str) -> None:
    data = (XML_DIR / name).read_bytes()
    message = codec.from_xml(data)
    assert isinstance(message, SAMPLES[name])
    assert codec.from_xml(codec.to_xml(message)) == message
    assert codec.from_xml(codec.to_xml(message, pretty=True)) == message
    assert codec.from_json(codec.to_json(message)) == message
    schema = xmlschema.XMLSchema(schema_for(message.MESSAGE_TYPE).decode("utf-8"))
    assert schema.is_valid(data.decode("utf-8"))
    assert schema.is_valid(codec.to_xml(message).decode("utf-8"))


def test_sample_content() -> None:
    entry = codec.from_xml((XML_DIR / "ceb711_bonded_entry.xml").read_bytes())
    assert isinstance(entry, CEB711Message)
    lines = entry.bondedEntry.bondedEntryList
    assert [(x.itemRecordNo, x.qty) for x in lines] == [
        ("T5141W000012-0001", Decimal("120")),
        ("T5141W000012-0002", Decimal("48")),
    ]
    apply = codec.from_xml((XML_DIR / "ceb701_summary_apply.xml").read_bytes())
    assert isinstance(apply, CEB701Message)
    assert apply.summaryApply.summaryApplyHead.summaryFlag == "2"
    assert [x.invtNo for x in apply.summaryApply.summaryApplyList] == ["51412026E000000001"]


def test_every_new_message_is_answered_by_its_receipt() -> None:
    assert [RECEIPT_FOR[t] for t in ("CEB711", "CEB303", "CEB603", "CEB701")] == [
        "CEB712",
        "CEB304",
        "CEB604",
        "CEB702",
    ]


def test_bad_values_name_path_and_rule() -> None:
    data = (XML_DIR / "ceb603_export_list.xml").read_bytes()
    bad = data.replace(b"<ceb:tradeMode>9610<", b"<ceb:tradeMode>9999<").replace(
        b"<ceb:ieFlag>E<", b"<ceb:ieFlag>I<"
    )
    with pytest.raises(codec.MessageRejected) as caught:
        codec.from_xml(bad)
    paths = {f.path for f in caught.value.fields}
    assert "CEB603Message/Inventory/InventoryHead/tradeMode" in paths
    assert "CEB603Message/Inventory/InventoryHead/ieFlag" in paths
    entry = (
        (XML_DIR / "ceb711_bonded_entry.xml").read_bytes().replace(b"<ceb:qty>120<", b"<ceb:qty>0<")
    )
    with pytest.raises(codec.MessageRejected) as caught:
        codec.from_xml(entry)
    assert caught.value.fields[0].path == "CEB711Message/BondedEntry/BondedEntryList[1]/qty"


def test_summary_result_round_trip_and_schema() -> None:
    message = CEB792Message.model_validate(
        {
            "guid": "CEB792-514120261000000001",
            "summaryResult": {
                "summaryResultHead": {
                    "guid": "CEB792-514120261000000001",
                    "customsCode": "5141",
                    "sumNo": "5141202610S0000001",
                    "entryId": "514120261000000001",
                    "decState": "10",
                    "ebcCode": "4401960002",
                    "ownerCode": "4401960002",
                    "declAgentCode": "4401960005",
                    "tradeMode": "9610",
                    "trafMode": "5",
                    "country": "502",
                    "portCode": "5141",
                    "currency": "142",
                    "totalPrice": "360.00",
                    "grossWeight": "3.6",
                    "netWeight": "3",
                    "invtCount": "3",
                    "late": "0",
                    "returnTime": "20261103100000000",
                },
                "summaryResultList": [
                    {
                        "gnum": "1",
                        "gcode": "6109100021",
                        "gname": "棉制针织T恤",
                        "qty": "9",
                        "unit": "011",
                        "totalPrice": "360.00",
                        "currency": "142",
                    }
                ],
                "summaryResultInvt": [
                    {"invtNo": "51412026E000000001", "gnum": "1", "declGnum": "1"}
                ],
            },
        }
    )
    xml = codec.to_xml(message)
    assert b"<CEB792Message" in xml  # a receipt: default namespace
    assert codec.from_xml(xml) == message
    schema = xmlschema.XMLSchema(schema_for("CEB792").decode("utf-8"))
    assert schema.is_valid(xml.decode("utf-8"))


def test_simple_receipts_are_built() -> None:
    from datetime import UTC, datetime

    receipt = build_receipt(
        "CEB604",
        keys={
            "guid": "G1",
            "customsCode": "5141",
            "ebpCode": "A",
            "ebcCode": "B",
            "agentCode": "C",
            "copNo": "X",
        },
        status=800,
        info="released",
        at=datetime(2026, 10, 15, tzinfo=UTC),
    )
    assert codec.from_xml(codec.to_xml(receipt)) == receipt
