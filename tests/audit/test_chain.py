"""The hash chain and the masking, as pure functions (no store)."""

from __future__ import annotations

import doctest
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cbec.audit import chain, masking
from cbec.audit.chain import GENESIS, EntryFields, canonical_json, link_hash
from cbec.audit.masking import mask_details

ENTRY = EntryFields(
    at=datetime(2026, 11, 27, 9, 30, 0, 123456, tzinfo=UTC),
    actor_kind="officer",
    actor="li.wei",
    action="declaration.approve",
    subject_kind="declaration",
    subject_key="I440196000120261127000001",
    reason="documents agree",
    details={"returnStatus": 399, "lines": [1, 2]},
)


@pytest.mark.parametrize("module", [chain, masking])
def test_docstring_examples_hold(module: object) -> None:
    failures, _ = doctest.testmod(module, verbose=False)  # type: ignore[arg-type]
    assert failures == 0


def test_the_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    expected = (
        '{"action":"declaration.approve","actor":"li.wei","actorKind":"officer",'
        '"at":"2026-11-27T09:30:00.123456+00:00","details":{"lines":[1,2],"returnStatus":399},'
        '"reason":"documents agree","subjectKey":"I440196000120261127000001",'
        '"subjectKind":"declaration"}'
    )
    assert ENTRY.canonical() == expected
    assert link_hash(GENESIS, ENTRY) == hashlib.sha256((GENESIS + expected).encode()).hexdigest()


def test_the_same_moment_in_another_zone_hashes_the_same() -> None:
    beijing = ENTRY.at.astimezone(timezone(timedelta(hours=8)))
    assert link_hash(GENESIS, replace(ENTRY, at=beijing)) == link_hash(GENESIS, ENTRY)


@pytest.mark.parametrize(
    "change",
    [
        {"at": ENTRY.at + timedelta(microseconds=1)},
        {"actor_kind": "system"},
        {"actor": "li.wej"},
        {"action": "declaration.reject"},
        {"subject_kind": "waybill"},
        {"subject_key": "I440196000120261127000002"},
        {"reason": None},
        {"details": {"returnStatus": 100, "lines": [1, 2]}},
    ],
)
def test_any_change_to_an_entry_changes_its_hash(change: dict[str, object]) -> None:
    assert link_hash(GENESIS, replace(ENTRY, **change)) != link_hash(GENESIS, ENTRY)  # type: ignore[arg-type]


def test_the_hash_depends_on_the_entry_before() -> None:
    assert link_hash("1" * 64, ENTRY) != link_hash(GENESIS, ENTRY)


def test_canonical_json_keeps_money_exact_and_text_readable() -> None:
    assert canonical_json({"tax": Decimal("12.30"), "名": "税"}) == '{"tax":"12.30","名":"税"}'
    with pytest.raises(TypeError, match="object cannot be written"):
        canonical_json({"x": object()})


def test_known_personal_data_is_masked_at_any_depth_and_in_either_spelling() -> None:
    details = {
        "buyerIdNumber": "11010519491231002X",
        "buyer_name": "张三丰",
        "BuyerTelephone": "13812345678",
        "order": {
            "consigneeAddress": "北京市朝阳区建国路88号",
            "payerName": "李四",
            "payerIdNumber": "44010619900101123X",
            "consingee": "王五",
        },
        "lines": [{"itemName": "婴儿奶粉", "qty": 2}],
        "note": "buyer 11010519491231002X called from 13812345678",
        "returnStatus": 300,
    }

    masked = mask_details(details)

    assert masked == {
        "buyerIdNumber": "110*************2X",
        "buyer_name": "张**",
        "BuyerTelephone": "138****5678",
        "order": {
            "consigneeAddress": "北京市朝阳区******",
            "payerName": "李*",
            "payerIdNumber": "440*************3X",
            "consingee": "王*",
        },
        "lines": [{"itemName": "婴儿奶粉", "qty": 2}],
        "note": "buyer 110*************2X called from 138****5678",
        "returnStatus": 300,
    }
    assert details["buyerIdNumber"] == "11010519491231002X"  # the input is left alone


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_details({"buyerIdNumber": "11010519491231002X", "buyerName": "张三丰"})
    assert mask_details(once) == once
