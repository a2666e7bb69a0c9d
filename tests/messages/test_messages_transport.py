"""The export waybill, arrival report and departure (CEB505 / CEB507 / CEB509) and their
receipts (CEB506 / CEB508 / CEB510): lossless XML and JSON round trips, valid against their
generated XSDs, and bad values named by path and rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema

from cbec.intake.prepare import Prepared, prepare
from cbec.messages import codec
from cbec.messages.models import (
    RECEIPT_FOR,
    CEB505Message,
    CEB507Message,
    CEB509Message,
)
from cbec.messages.receipts import build_receipt
from cbec.messages.xsd import schema_for

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
SAMPLES = {
    "ceb505_export_waybill.xml": CEB505Message,
    "ceb507_arrival.xml": CEB507Message,
    "ceb509_departure.xml": CEB509Message,
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


def test_sample_content_and_intake_keys() -> None:
    waybill = codec.from_xml((XML_DIR / "ceb505_export_waybill.xml").read_bytes())
    assert isinstance(waybill, CEB505Message)
    assert (waybill.logistics.logisticsNo, waybill.logistics.grossWeight) == (
        "EY0000000001",
        Decimal("1.2"),
    )
    arrival = codec.from_xml((XML_DIR / "ceb507_arrival.xml").read_bytes())
    assert isinstance(arrival, CEB507Message)
    assert [x.logisticsNo for x in arrival.arrival.arrivalList] == ["EY0000000001", "EY0000000002"]
    kinds = {}
    for name in SAMPLES:
        prepared = prepare((XML_DIR / name).read_bytes())
        assert isinstance(prepared, Prepared)
        kinds[prepared.message_type] = (prepared.kind, prepared.business_key, prepared.app_status)
    assert kinds == {
        "CEB505": ("export_waybill", "4401960004|EY0000000001", "2"),
        "CEB507": ("export_arrival", "4401960006|4401960004|AR0000000001|1", "2"),
        "CEB509": ("export_departure", "4401960004|4401960004|DP0000000001|1", "2"),
    }
    # the arrival may come from the carrier or the site operator
    prepared = prepare((XML_DIR / "ceb507_arrival.xml").read_bytes())
    assert isinstance(prepared, Prepared)
    assert set(prepared.sender_fields.values()) == {"4401960004", "4401960006"}


def test_bad_values_name_path_and_rule() -> None:
    data = (XML_DIR / "ceb509_departure.xml").read_bytes()
    bad = data.replace(b"<ceb:leaveTime>20261016073000<", b"<ceb:leaveTime>20261316073000<")
    with pytest.raises(codec.MessageRejected) as caught:
        codec.from_xml(bad)
    assert caught.value.fields[0].path == "CEB509Message/Departure/DepartureHead/leaveTime"
    data = (XML_DIR / "ceb507_arrival.xml").read_bytes()
    bad = data.replace(b"<ceb:ieFlag>E<", b"<ceb:ieFlag>I<")
    with pytest.raises(codec.MessageRejected) as caught:
        codec.from_xml(bad)
    assert caught.value.fields[0].path == "CEB507Message/Arrival/ArrivalHead/ieFlag"
    start, end = data.index(b"<ceb:ArrivalList>"), data.rindex(b"</ceb:ArrivalList>")
    empty = data[:start] + data[end + len(b"</ceb:ArrivalList>") :]
    with pytest.raises(codec.MessageRejected) as caught:
        codec.from_xml(empty)
    assert caught.value.fields[0].path.startswith("CEB507Message/Arrival")


@pytest.mark.parametrize(
    ("receipt", "keys"),
    [
        ("CEB506", {"guid": "G1", "logisticsCode": "4401960004", "logisticsNo": "EY1"}),
        (
            "CEB508",
            {
                "guid": "G2",
                "operatorCode": "4401960006",
                "logisticsCode": "4401960004",
                "copNo": "AR1",
                "billNo": "MAWB1",
                "msgSeqNo": "1",
            },
        ),
        ("CEB510", {"guid": "G3", "logisticsCode": "4401960004", "copNo": "DP1"}),
    ],
)
def test_receipts_round_trip(receipt: str, keys: dict[str, str]) -> None:
    message = build_receipt(
        receipt, keys=keys, status=120, info="ok", at=datetime(2026, 10, 15, tzinfo=UTC)
    )
    xml = codec.to_xml(message)
    assert f"<{receipt}Message".encode() in xml  # a receipt: default namespace
    assert codec.from_xml(xml) == message
    assert codec.from_json(codec.to_json(message)) == message
    schema = xmlschema.XMLSchema(schema_for(receipt).decode("utf-8"))
    assert schema.is_valid(xml.decode("utf-8"))
    assert message.business.model_dump(exclude_none=True).items() >= keys.items()


def test_each_is_answered_by_its_receipt() -> None:
    assert [RECEIPT_FOR[t] for t in ("CEB505", "CEB507", "CEB509")] == [
        "CEB506",
        "CEB508",
        "CEB510",
    ]
