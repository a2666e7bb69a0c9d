"""Consignee addresses in one normal form, so that the ways people write one address meet.

People write the same address with or without the province, with or without the ``省`` and
``市`` suffixes, with spaces or commas between the parts, with full-width digits, with ``#``
for ``号``. The normal form is the county-level district (its 6-digit code, from the order's
``consigneeDistrict`` when given) and the street part after the district's name, with all of
that noise taken out. Without a district code, the street part starts after the first
county-level suffix (``区``, ``县``, ``旗``), or failing that after the first ``市``.

The district names come from the administrative division table that ``python-stdnum``
ships (``stdnum/cn/loc.dat``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import numdb

#: Separators and punctuation that do not change an address (after NFKC).
_NOISE = re.compile(r"[\s,.;:'\"()\[\]{}<>/\\|~`!?，。、；：‘’“”（）【】《》·・\-_—－]+")
#: Without a district code: the administrative prefix ends at the first county suffix...
_COUNTY = re.compile(r"^.{1,14}?(?:自治县|自治旗|区|县|旗)")
#: ... or failing that at the first city suffix.
_CITY = re.compile(r"^.{1,10}?市")
_PROVINCE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
)


@dataclass(frozen=True, slots=True)
class Place:
    """A county-level district: its code and names (``province`` with its suffix)."""

    code: str
    province: str
    county: str


@dataclass(frozen=True, slots=True)
class NormalAddress:
    #: 6-digit district code, or "" when it is not known
    district: str
    #: the street part, without noise
    street: str

    @property
    def key(self) -> str:
        """What two spellings of one address have in common.

        >>> NormalAddress("440106", "体育西路88号").key
        '440106|体育西路88号'
        """
        return f"{self.district or '?'}|{self.street}"


@lru_cache(maxsize=8192)
def place(code: str) -> Place | None:
    """The district ``code`` names (its current name), or None when it is not one.

    >>> place("440106")
    Place(code='440106', province='广东省', county='天河区')
    >>> place("999999") is None
    True
    """
    if len(code) != 6 or not code.isdigit():
        return None
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "province" not in info or "county" not in info:
        return None
    current = info["county"].split(",")[-1]
    if current.startswith("["):
        current = current.split("]", 1)[1]
    return Place(code, info["province"], current)


def clean(text: str) -> str:
    """NFKC (full-width to half-width), noise removed, ``#`` read as ``号``.

    >>> clean(" 广东省 广州市，天河区 体育西路８８＃ ")
    '广东省广州市天河区体育西路88号'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _NOISE.sub("", text)
    return text.replace("#", "号")


def _stem(name: str) -> str:
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def normalise(address: str, district: str | None = None) -> NormalAddress:
    """The normal form of ``address`` in ``district`` (a 6-digit code, when known).

    >>> a = normalise("广东省广州市天河区体育西路88号3栋", "440106")
    >>> a == normalise("广东 广州 天河区 体育西路８８号３栋", "440106")
    True
    >>> a == normalise("广州市天河区体育西路88#3栋", "440106")
    True
    >>> a.key
    '440106|体育西路88号3栋'
    >>> normalise("广州市天河区体育西路88号").key
    '?|体育西路88号'
    """
    text = clean(address)
    found = place(district) if district else None
    if found is not None:
        county = found.county
        at = text.find(county)
        if at < 0 and len(county) > 2:  # 天河 for 天河区
            at = text.find(county[:-1])
            county = county[:-1] if at >= 0 else county
        if at >= 0:
            return NormalAddress(found.code, text[at + len(county) :])
        province = _stem(found.province)
        if text.startswith(province):
            text = text[len(province) :].removeprefix(found.province[len(province) :])
        return NormalAddress(found.code, _strip_prefix(text))
    return NormalAddress("", _strip_prefix(text))


@lru_cache(maxsize=1 << 16)
def key_of(address: str, district: str | None = None) -> str:
    """``normalise(address, district).key``, cached (buyers come back).

    >>> key_of("广东广州天河区体育西路８８号", "440106")
    '440106|体育西路88号'
    >>> key_of("广州市天河区体育西路88#", "440106")
    '440106|体育西路88号'
    """
    return normalise(address, district or None).key


def _strip_prefix(text: str) -> str:
    for pattern in (_COUNTY, _CITY):
        match = pattern.match(text)
        if match is not None and match.end() < len(text):
            return text[match.end() :]
    return text


def masked(address: str, district: str | None = None) -> str:
    """The district and no more, for screens that do not need the street.

    >>> masked("广东省广州市天河区体育西路88号", "440106")
    '广东省天河区 ****'
    """
    found = place(district) if district else None
    if found is None:
        return clean(address)[:6] + " ****"
    return f"{found.province}{found.county} ****"
