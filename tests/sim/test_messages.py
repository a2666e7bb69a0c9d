"""The message files: names in arrival order, valid messages, senders, arrival patterns."""

from __future__ import annotations

import re
from collections import Counter

from cbec.messages.codec import to_xml
from cbec.registry.roles import sendable
from cbec.sim.fastxml import fast_xml, model_of
from cbec.sim.simulation import render_event
from tests.sim.reading import Written, head, seconds

NAME = re.compile(r"^(\d{7})_(CEB\d{3})_([0-9A-Za-z_-]+)\.xml$")


def test_names_give_the_arrival_order(written: Written) -> None:
    for seq, (name, message) in enumerate(zip(written.names, written.messages, strict=True), 1):
        match = NAME.match(name)
        assert match, name
        assert int(match[1]) == seq
        assert match[2] == message.MESSAGE_TYPE
        assert match[3] == head(message).orderNo


def test_fast_writer_is_byte_identical_to_the_codec(written: Written) -> None:
    for event, data in zip(written.day.events, written.raw, strict=True):
        message_type, content = render_event(written.day, event)
        exact = to_xml(model_of(message_type, content), pretty=event.pretty)
        assert data == exact
        if not event.pretty:
            assert fast_xml(message_type, content) == exact


def test_senders_vary_in_form(written: Written) -> None:
    pretty = sum(b"\n  <ceb:" in data for data in written.raw)
    assert 0 < pretty < len(written.raw) * 0.1
    legacy = sum(b' version="v1.0">' in data for data in written.raw)  # read as 1.0
    assert 0 < legacy < len(written.raw) * 0.1
    assert all(m.version == "1.0" for m in written.messages)


def test_every_sender_is_filed_with_a_role_that_may_send_it(written: Written) -> None:
    filed = written.enterprises
    for message in written.messages:
        sender = message.baseTransfer.copCode
        assert sender in filed, sender
        assert message.MESSAGE_TYPE in sendable(filed[sender]["roles"]), (sender, message)
        assert message.baseTransfer.copName == filed[sender]["name"]


def test_senders_are_the_expected_parties(written: Written) -> None:
    for message in written.messages:
        sender = message.baseTransfer.copCode
        node = head(message)
        match message.MESSAGE_TYPE:
            case "CEB311":
                assert sender in (node.ebpCode, node.ebcCode)
            case "CEB411":
                assert sender == node.payCode
            case "CEB511":
                assert sender == node.logisticsCode
            case _:
                assert sender == node.agentCode


def test_both_trade_modes_and_bonded_lists_name_their_zone(written: Written) -> None:
    modes: Counter[str] = Counter()
    for order_no in written.by_order:
        listing = written.last(order_no, "CEB621")
        modes[listing.tradeMode] += 1
        lines = written.lines(order_no, "CEB621")
        if listing.tradeMode == "1210":
            assert listing.areaCode
            assert listing.areaName
            assert listing.emsNo
            assert all(line.itemRecordNo for line in lines)
            assert "area" in written.enterprises[listing.areaCode]["roles"]
        else:
            assert listing.areaCode is None
            assert listing.emsNo is None
            assert all(line.itemRecordNo is None for line in lines)
            assert listing.billNo
            assert listing.trafNo
        assert listing.declTime == "20261111"
        assert len(listing.customsCode) == 4
    assert modes["1210"] > 500
    assert modes["9610"] > 900


def test_documents_of_an_order_arrive_within_minutes_in_any_order(written: Written) -> None:
    four = ("CEB311", "CEB411", "CEB511", "CEB621")
    first: Counter[str] = Counter()
    for order_no, documents in written.by_order.items():
        times = [seconds(head(documents[t][0]).appTime) for t in four]
        assert max(times) - min(times) <= 20 * 60, order_no
        first[min(four, key=lambda t: written.position(documents[t][0]))] += 1
    assert set(first) == set(four)  # any of them may come first


def test_some_messages_are_redelivered_byte_for_byte(written: Written) -> None:
    seen: dict[bytes, int] = {}
    again = 0
    for index, data in enumerate(written.raw):
        if data in seen:
            again += 1
            assert index > seen[data]
        else:
            seen[data] = index
    assert 0.004 * len(written.raw) < again < 0.02 * len(written.raw)


def test_modified_orders_change_before_the_list(written: Written) -> None:
    modified = 0
    for order_no, documents in written.by_order.items():
        versions = [head(m) for m in documents["CEB311"]]
        kinds = {v.appType for v in versions}
        if "2" not in kinds:
            continue
        modified += 1
        first = next(v for v in versions if v.appType == "1")
        changed = next(v for v in versions if v.appType == "2")
        assert first.consigneeAddress != changed.consigneeAddress
        assert first.guid != changed.guid
        changed_at = written.position(
            next(m for m in documents["CEB311"] if head(m).appType == "2")
        )
        assert changed_at < written.position(documents["CEB621"][0])
        assert written.last(order_no, "CEB621").consigneeAddress == changed.consigneeAddress
    assert modified >= 10


def test_some_lists_are_cancelled_or_returned_after_they_arrive(written: Written) -> None:
    cancelled = returned = 0
    for documents in written.by_order.values():
        listed_at = written.position(documents["CEB621"][0])
        for message_type in ("CEB623", "CEB625"):
            for message in documents.get(message_type, []):
                assert written.position(message) > listed_at
                assert head(message).copNo == written.last(head(message).orderNo, "CEB621").copNo
        cancelled += bool(documents.get("CEB623"))
        returned += bool(documents.get("CEB625"))
    assert cancelled >= 5
    assert returned >= 3


def test_guids_and_list_numbers_are_unique(written: Written) -> None:
    firsts = [m for documents in written.by_order.values() for ms in documents.values() for m in ms]
    assert len({m.guid for m in firsts}) == len(firsts)
    assert all(head(m).guid == m.guid for m in firsts)
    cop_numbers = [written.last(o, "CEB621").copNo for o in written.by_order]
    assert len(set(cop_numbers)) == len(cop_numbers)
