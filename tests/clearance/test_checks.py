"""The buyer-identity check agrees with python-stdnum's validator, including area codes
that were valid only in some years (the cached lookup must keep that rule)."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import ric

from cbec.clearance.checks import resident_id_problem


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
