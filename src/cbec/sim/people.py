"""Consumers: names and mobile numbers from Faker's ``zh_CN`` data, resident ID numbers whose
area code and birth date fit the person, and addresses in all 31 provinces.

Faker's own generators cost ~60 µs a call, too slow for a 100,000-order day, so the names
and phone prefixes are drawn from Faker's ``zh_CN`` tables with the simulation's seeded
random generator (same seed, same people, whatever else Faker does).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from faker.providers.person.zh_CN import Provider as ZhPerson
from faker.providers.phone_number.zh_CN import Provider as ZhPhone
from stdnum.cn import ric

from cbec.sim.draw import weighted
from cbec.sim.regions import PROVINCES, District, Province

_SURNAMES: list[str] = list(ZhPerson.last_names)
_SURNAME_WEIGHTS: list[float] = list(accumulate(float(w) for w in ZhPerson.last_names.values()))
_MALE: list[str] = list(ZhPerson.first_names_male)
_FEMALE: list[str] = list(ZhPerson.first_names_female)
_PHONE_PREFIXES: list[str] = [str(p) for p in ZhPhone.phonenumber_prefixes]
_PROVINCE_WEIGHTS: list[float] = list(accumulate(p.weight for p in PROVINCES))

_STREET_WORDS = [
    "人民", "解放", "建设", "中山", "和平", "新华", "文化", "长江", "黄河", "青年", "幸福",
    "朝阳", "滨江", "学府", "科技", "工业", "东风", "胜利", "光明", "团结", "民主", "友谊",
    "迎宾", "体育", "花园", "金融", "环城", "南湖", "西湖", "北京", "上海", "湖滨", "翠苑",
    "锦绣", "世纪", "振兴", "复兴", "育才", "书院", "春晖",
]  # fmt: skip
_STREET_SUFFIXES = ["路", "路", "街", "大道", "东路", "西路", "南路", "北路", "大街"]
_ESTATE_WORDS = [
    "阳光", "幸福", "锦绣", "翠湖", "金色", "碧桂", "华府", "枫林", "海景", "御景", "怡景",
    "书香", "丽水", "紫荆", "天悦", "星河", "雅居", "润园", "君悦", "万象",
]  # fmt: skip
_ESTATE_SUFFIXES = ["小区", "花园", "家园", "公寓", "苑", "名苑", "新村", "华庭"]

#: (first age, last age, weight): cross-border shoppers are mostly 25 to 44.
_AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 66))
_AGE_WEIGHTS = list(accumulate((0.15, 0.40, 0.30, 0.10, 0.05)))


@dataclass(frozen=True, slots=True)
class Person:
    """A consumer (buyer, payer or consignee)."""

    name: str
    male: bool
    id_number: str
    birth: date
    phone: str
    province: Province
    district: District
    street: str

    @property
    def address(self) -> str:
        """Province + city + district + street address."""
        return self.district.label + self.street


def id_check_digit(body: str) -> str:
    """The GB 11643 check digit of the first 17 digits of a resident ID number.

    >>> id_check_digit("11010519491231002")
    'X'
    """
    return str(ric.calc_check_digit(body + "0"))


def make_id_number(area: str, birth: date, sequence: int) -> str:
    """A resident ID number: area + yyyymmdd + 3-digit sequence (odd: male) + check digit."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_digit(body)


def spoil_check_digit(id_number: str) -> str:
    """The same number with a wrong check digit (a forged or mistyped ID)."""
    good = id_number[-1]
    wrong = "0" if good != "0" else "1"
    return id_number[:-1] + wrong


class People:
    """Makes people; every ID number it hands out is unique."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.ids: set[str] = set()
        self._areas: dict[tuple[str, int], tuple[str, ...]] = {}
        self._earliest = {p.code: p.earliest_birth_year for p in PROVINCES}

    def province(self) -> Province:
        return weighted(self.rng, PROVINCES, _PROVINCE_WEIGHTS)

    def name(self, male: bool) -> str:
        surname = weighted(self.rng, _SURNAMES, _SURNAME_WEIGHTS)
        return surname + self.rng.choice(_MALE if male else _FEMALE)

    def phone(self) -> str:
        return self.rng.choice(_PHONE_PREFIXES) + f"{int(self.rng.random() * 10**8):08d}"

    def street(self) -> str:
        rng = self.rng
        road = f"{rng.choice(_STREET_WORDS)}{rng.choice(_STREET_SUFFIXES)}{rng.randint(1, 999)}号"
        if rng.random() < 0.6:
            estate = rng.choice(_ESTATE_WORDS) + rng.choice(_ESTATE_SUFFIXES)
            return (
                f"{road}{estate}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 32)}{rng.randint(1, 8):02d}室"
            )
        return f"{road}{rng.randint(1, 28)}{rng.randint(1, 12):02d}室"

    def birth(self, province: Province) -> date:
        rng = self.rng
        first, last = weighted(rng, _AGE_BANDS, _AGE_WEIGHTS)
        year = self.today.year - first - int(rng.random() * (last - first + 1))
        earliest = self._earliest[province.code]
        if year < earliest:  # Hainan (1988) and Chongqing (1997) codes begin late
            year = min(earliest + int(rng.random() * 10), self.today.year - 18)
        return date(year, 1, 1) + timedelta(days=int(rng.random() * 365))

    def id_number(self, province: Province, birth: date, male: bool) -> str:
        key = (province.code, birth.year)
        areas = self._areas.get(key)
        if areas is None:
            areas = self._areas[key] = tuple(a.code for a in province.id_areas_for(birth.year))
        for _ in range(10_000):
            area = self.rng.choice(areas)
            # the last digit of the sequence is odd for men, even for women
            sequence = int(self.rng.random() * 500) * 2 + int(male)
            number = make_id_number(area, birth, sequence)
            if number not in self.ids:
                self.ids.add(number)
                return number
        raise RuntimeError(f"no ID number left for {province.name} {birth}")

    def person(self, province: Province | None = None, district: District | None = None) -> Person:
        """A new person living in ``province`` (by default one drawn by shopper share)."""
        if province is None:
            province = self.province()
        male = self.rng.random() < 0.45
        birth = self.birth(province)
        return Person(
            name=self.name(male),
            male=male,
            id_number=self.id_number(province, birth, male),
            birth=birth,
            phone=self.phone(),
            province=province,
            district=district or self.rng.choice(province.districts),
            street=self.street(),
        )

    def relative(self, of: Person) -> Person:
        """Someone living at the same address (a consignee other than the buyer)."""
        male = self.rng.random() < 0.5
        birth = self.birth(of.province)
        return Person(
            name=of.name[0] + self.rng.choice(_MALE if male else _FEMALE)
            if self.rng.random() < 0.5
            else self.name(male),
            male=male,
            id_number=self.id_number(of.province, birth, male),
            birth=birth,
            phone=self.phone(),
            province=of.province,
            district=of.district,
            street=of.street,
        )
