"""Consumers: resident ID numbers that fit the person, addresses in all 31 provinces."""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric

from cbec.sim.people import People, id_check_digit, make_id_number, spoil_check_digit
from cbec.sim.regions import PROVINCES
from tests.sim.reading import Written, head


def test_check_digit_matches_gb_11643() -> None:
    assert id_check_digit("11010519491231002") == "X"
    number = make_id_number("110105", date(1949, 12, 31), 2)
    assert number == "11010519491231002X"
    assert not ric.is_valid(spoil_check_digit(number))


def test_people_have_valid_ids_of_their_province_birth_and_sex() -> None:
    people = People(random.Random(3), date(2026, 11, 11))
    for _ in range(3000):
        person = people.person()
        assert ric.is_valid(person.id_number), person
        assert person.id_number[:2] == person.province.code
        assert ric.get_birth_date(person.id_number) == person.birth
        assert int(person.id_number[16]) % 2 == (1 if person.male else 0)
        assert 18 <= 2026 - person.birth.year <= 66
        assert person.address.startswith(person.province.name)
        assert person.district.code[:2] == person.province.code
        assert person.phone.isdigit()
        assert len(person.phone) == 11


def test_every_province_can_issue_ids_for_its_adults() -> None:
    for province in PROVINCES:
        for year in range(max(1960, province.earliest_birth_year), 2009):
            assert province.id_areas_for(year), (province.name, year)


def test_thirty_one_provinces_shop_in_a_day(written: Written) -> None:
    districts = {
        written.last(order_no, "CEB311").consigneeDistrict for order_no in written.unlabelled()
    }
    assert {d[:2] for d in districts} == {p.code for p in PROVINCES}
    assert len(PROVINCES) == 31


def test_every_id_in_the_traffic_is_valid_unless_labelled(written: Written) -> None:
    invalid = {i for i, tags in written.labels["identities"].items() if "invalid_id" in tags}
    seen = set()
    for message in written.messages:
        for field in ("buyerIdNumber", "payerIdNumber"):
            number = getattr(head(message), field, None)
            if number is None:
                continue
            seen.add(number)
            assert ric.is_valid(number) or number in invalid, number
    assert invalid
    assert invalid <= seen


def test_honest_buyers_live_in_the_province_of_their_id(written: Written) -> None:
    for order_no in written.unlabelled():
        order = written.last(order_no, "CEB311")
        assert order.buyerIdNumber[:2] == order.consigneeDistrict[:2]
        assert order.consigneeAddress.startswith(
            next(p.name for p in PROVINCES if p.code == order.buyerIdNumber[:2])
        )
