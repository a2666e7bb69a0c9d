"""The buyer-identity check agrees with python-stdnum's validator, including area codes
that were valid only in some years (the cached lookup must keep that rule); a bonded list
naming another enterprise's bonded account goes to review."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import ric

from cbec.clearance.checks import check_bonded_account, resident_id_problem
from cbec.clearance.decision import Outcome, Rates, RiskVerdict, decide
from cbec.clearance.findings import Severity
from cbec.messages import codec
from cbec.messages.models import CEB621Message, Inventory
from tests.intake.conftest import inventory


def _number(prefix: str, year: int, serial: int) -> str:
    base = f"{prefix}{year:04d}0615{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


def _stdnum_valid(number: str) -> bool:
    try:
        return ric.is_valid(number)
    except KeyError:  # stdnum 2.2 raises this for an area code that names no county
        return False


@pytest.mark.parametrize(
    ("prefix", "year", "valid"),
    [
        ("440106", 1990, True),  # 天河区, assigned 1985
        ("440106", 1980, False),  # before 天河区 existed
        ("110101", 1950, True),  # 东城区, valid in every year
        ("999999", 1990, False),  # no such place
    ],
)
def test_place_of_birth_is_judged_by_the_birth_year(prefix: str, year: int, valid: bool) -> None:
    number = _number(prefix, year, 123)
    assert (resident_id_problem(number) is None) is valid
    assert _stdnum_valid(number) is valid


def test_agrees_with_stdnum_on_many_numbers() -> None:
    rnd = random.Random(7)
    prefixes = [
        f"{p:02d}{c:02d}{d:02d}"
        for p in range(11, 66)
        for c in (1, 2, 3, 5, 21)
        for d in range(1, 30, 3)
    ]
    numbers = [
        _number(rnd.choice(prefixes), rnd.randint(1930, 2015), rnd.randint(0, 999))
        for _ in range(3000)
    ]
    assert sum(_stdnum_valid(n) for n in numbers) > 150  # the sample holds valid numbers
    for number in numbers:
        assert (resident_id_problem(number) is None) is _stdnum_valid(number), number


def test_bad_check_digit_and_length_are_named() -> None:
    good = _number("440106", 1990, 5)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "checksum" in (resident_id_problem(wrong) or "").lower()
    assert "length" in (resident_id_problem(good[:-2]) or "").lower()


def _bonded(trade_mode: str, ems_no: str | None) -> Inventory:
    listed = codec.from_xml(inventory(tradeMode=trade_mode))
    assert isinstance(listed, CEB621Message)
    listed.inventory.inventoryHead.emsNo = ems_no
    return listed.inventory


@pytest.mark.parametrize(
    ("trade_mode", "ems_no", "owners", "flagged"),
    [
        ("1210", "T5141W000012", {"T5141W000012": "4401960099"}, True),  # another's book
        ("1239", "T5141W000012", {"T5141W000012": "4401960099"}, True),
        ("1210", "T5141W000012", {"T5141W000012": "4401960002"}, False),  # its own
        ("1210", "T5141W000012", {}, False),  # a book cbec does not keep
        ("1210", None, {"T5141W000012": "4401960099"}, False),  # no account named
        ("9610", "T5141W000012", {"T5141W000012": "4401960099"}, False),  # not bonded
    ],
)
def test_a_bonded_list_on_another_enterprises_account_goes_to_review(
    trade_mode: str, ems_no: str | None, owners: dict[str, str], flagged: bool
) -> None:
    found = check_bonded_account(_bonded(trade_mode, ems_no), owners)
    assert [(f.rule, f.path, f.severity) for f in found] == (
        [("C11.account", "Inventory/InventoryHead/emsNo", Severity.REVIEW)] if flagged else []
    )
    decision = decide(found, RiskVerdict(), Rates(review=0.0, inspection=0.0), key="k")
    assert decision.outcome is (Outcome.REVIEW if flagged else Outcome.RELEASE)
