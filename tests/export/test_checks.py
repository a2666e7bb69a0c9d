"""The export list rules, one by one."""

from __future__ import annotations

from cbec.export.checks import check, needs_order
from cbec.messages import codec
from cbec.messages.models import CEB303Message, CEB603Message
from tests.export.conftest import export_list, export_order


def _list(**kw: object) -> CEB603Message:
    message = codec.from_xml(export_list(1, **kw))  # type: ignore[arg-type]
    assert isinstance(message, CEB603Message)
    return message


def _order(**kw: object) -> CEB303Message:
    message = codec.from_xml(export_order(1, **kw))  # type: ignore[arg-type]
    assert isinstance(message, CEB303Message)
    return message


def test_agreeing_list_has_no_findings() -> None:
    assert check(_list().inventory, _order().order) == []


def test_order_of_another_enterprise_or_currency() -> None:
    found = check(_list().inventory, _order(ebcCode="4401960009", currency="502").order)
    assert [(f.path.rsplit("/", 1)[1], f.rule) for f in found] == [
        ("ebcCode", "E02.keys"),
        ("currency", "E02.keys"),
    ]


def test_line_not_on_the_order_or_of_another_value() -> None:
    listed = _list(
        lines=[(1, "6109100021", "T恤", "3", "41.00"), (2, "6109100021", "T恤", "1", "1.00")]
    )
    found = check(listed.inventory, _order().order)
    assert [(f.path, f.rule) for f in found] == [
        ("CEB603Message/Inventory/InventoryList[1]/totalPrice", "E03.lines"),
        ("CEB603Message/Inventory/InventoryList[2]/gnum", "E03.lines"),
    ]


def test_weights_and_bonded_account() -> None:
    found = check(_list(mode="1210", netWeight="2", grossWeight="1").inventory, None)
    assert [f.rule for f in found] == ["E04.weight", "E05.bonded"]
    assert check(_list(mode="1210", emsNo="T5141W000012").inventory, None) == []


def test_which_modes_need_an_order() -> None:
    assert [needs_order(m) for m in ("9610", "9710", "9810", "1210")] == [True, True, False, True]
