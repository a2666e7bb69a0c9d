"""Field types of the CEB messages, each carrying its XSD facet (one source of truth).

Each marker below goes in ``Annotated[str, Text(60)]`` and expands (as annotated-types'
``GroupedMetadata``) into the pydantic constraints *and* an :class:`Xsd` facet built from the
same arguments, so the validator, the published XSD and the JSON schema cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

#: China Standard Time: CEB times carry no zone and are Beijing time.
CST = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True, slots=True)
class Xsd:
    """How one field is written in the published XSD."""

    base: str  # "string" or "decimal"
    max_length: int | None = None
    pattern: str | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    enumeration: tuple[str, ...] = ()
    min_inclusive: str | None = None
    min_exclusive: str | None = None
    doc: str = ""


class Text(GroupedMetadata):
    """Free text of at most ``max_length`` characters (optionally matching ``pattern``)."""

    def __init__(self, max_length: int, doc: str = "", *, pattern: str | None = None) -> None:
        self.max_length = max_length
        self.pattern = pattern
        self.doc = doc

    def __iter__(self) -> Iterator[Any]:
        # A pattern already limits the characters; free text gets the XML character class,
        # checked by pydantic-core's regex engine (a Python validator cost 20 us a message).
        yield StringConstraints(max_length=self.max_length, pattern=self.pattern or XML_TEXT)
        yield Xsd(
            "string", max_length=self.max_length, pattern=_xsd_pattern(self.pattern), doc=self.doc
        )


class Code(Text):
    """A code of letters and digits: exactly ``length`` long (``exact``) or at most."""

    def __init__(
        self, length: int, doc: str = "", *, exact: bool = False, digits: bool = False
    ) -> None:
        # [0-9], not \d: \d also matches other scripts' digits (e.g. Arabic-Indic).
        chars = "[0-9]" if digits else "[0-9A-Za-z]"
        pattern = f"^{chars}{{{length}}}$" if exact else f"^{chars}{{1,{length}}}$"
        super().__init__(length, doc, pattern=pattern)


class Integer(Text):
    """A positive whole number of at most ``digits`` digits, kept as text (lossless)."""

    def __init__(self, digits: int, doc: str = "") -> None:
        super().__init__(digits, doc, pattern=rf"^[1-9][0-9]{{0,{digits - 1}}}$")


class Choice(GroupedMetadata):
    """One of a fixed set of codes."""

    def __init__(self, *values: str, doc: str = "") -> None:
        self.values = values
        self.doc = doc

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(pattern="^(" + "|".join(re.escape(v) for v in self.values) + ")$")
        yield Xsd("string", enumeration=self.values, doc=self.doc)


def _decimal_parser(digits: int, places: int, positive: bool) -> Callable[[Any], Decimal]:
    whole = digits - places
    # ASCII digits only: Decimal() would silently turn "١٢" into 12, which XSD refuses.
    shape = re.compile(r"^(-?)([0-9]+)(?:\.([0-9]+))?$")

    fast = re.compile(rf"^[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?$")

    def parse(value: Any) -> Decimal:
        # XSD decimals have no exponent, NaN or infinity; a float would lose cents. One
        # regular expression does what pydantic's generic digit counting does, 20x faster.
        if type(value) is str and fast.match(value):  # the common case, checked at once
            number = Decimal(value)
            if positive and not number:
                raise PydanticCustomError("greater_than", "must be above {gt}", {"gt": 0})
            return number
        if isinstance(value, Decimal):
            text = format(value, "f")
        elif isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise PydanticCustomError(
                "decimal_type",
                "a decimal must be given as text, not {kind}",
                {"kind": type(value).__name__},
            )
        match = shape.match(text)
        if match is None:
            raise PydanticCustomError(
                "decimal_parsing", "not a plain decimal number (digits with an optional point)"
            )
        sign, integer, fraction = match.groups()
        if len(integer.lstrip("0")) > whole:
            raise PydanticCustomError(
                "decimal_whole_digits",
                "at most {whole_digits} digits before the point",
                {"whole_digits": whole},
            )
        if fraction and len(fraction) > places:
            raise PydanticCustomError(
                "decimal_max_places",
                "at most {decimal_places} decimal places",
                {"decimal_places": places},
            )
        number = Decimal(text)
        if positive and number <= 0:
            raise PydanticCustomError("greater_than", "must be above {gt}", {"gt": 0})
        if sign and number != 0:
            raise PydanticCustomError(
                "greater_than_equal", "must not be negative (>= {ge})", {"ge": 0}
            )
        return number

    return parse


class Dec(GroupedMetadata):
    """A decimal(digits, places) number, never a float; ``positive`` excludes zero."""

    def __init__(
        self, doc: str = "", *, digits: int = 19, places: int = 5, positive: bool = False
    ) -> None:
        self.digits = digits
        self.places = places
        self.positive = positive
        self.doc = doc

    def __iter__(self) -> Iterator[Any]:
        whole = self.digits - self.places
        yield BeforeValidator(_decimal_parser(self.digits, self.places, self.positive))
        yield WithJsonSchema(
            {
                "type": "string",
                "pattern": rf"^\d{{1,{whole}}}(\.\d{{1,{self.places}}})?$",
                "description": self.doc,
            }
        )
        yield Xsd(
            "decimal",
            total_digits=self.digits,
            fraction_digits=self.places,
            min_inclusive=None if self.positive else "0",
            min_exclusive="0" if self.positive else None,
            doc=self.doc,
        )


#: Text made only of characters XML 1.0 can carry (its Char production); lxml refuses to
#: write the others. In the syntax of pydantic-core's (Rust) regex engine.
XML_TEXT = r"^[\t\n\r\x{20}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]*$"


def _xsd_pattern(pattern: str | None) -> str | None:
    # XSD patterns are implicitly anchored and know no ^ or $.
    if pattern is None:
        return None
    return pattern.removeprefix("^").removesuffix("$")


def _real_time(length: int) -> AfterValidator:
    def check(value: str) -> str:
        # datetime() is 30x faster than strptime and checks the calendar the same way.
        try:
            datetime(
                int(value[0:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[8:10] or 0),
                int(value[10:12] or 0),
                int(value[12:14] or 0),
            )
        except ValueError:
            raise PydanticCustomError(
                "calendar", "not a real date/time in the form {form}", {"form": _FORMS[length]}
            ) from None
        return value

    return AfterValidator(check)


_FORMS = {8: "yyyyMMdd", 14: "yyyyMMddHHmmss", 17: "yyyyMMddHHmmssSSS"}


class Timestamp(GroupedMetadata):
    """A CEB date or time string: ``yyyyMMddHHmmss`` (14), ``yyyyMMdd`` (8), or with ms (17)."""

    def __init__(self, length: int, doc: str = "") -> None:
        self.length = length
        self.doc = doc

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(pattern=rf"^[0-9]{{{self.length}}}$")
        yield _real_time(self.length)
        yield Xsd("string", pattern=rf"[0-9]{{{self.length}}}", doc=self.doc)


def parse_app_time(value: str) -> datetime:
    """``20261127101500`` -> an aware datetime in Beijing time."""
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=CST)


def parse_decl_date(value: str) -> date:
    """``20261127`` -> a date (ValueError if it is not one)."""
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"{value!r} is not a date of the form yyyyMMdd")
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def format_return_time(moment: datetime) -> str:
    """An aware datetime -> ``yyyyMMddHHmmssSSS`` in Beijing time."""
    local = moment.astimezone(CST)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def format_app_time(moment: datetime) -> str:
    """An aware datetime -> ``yyyyMMddHHmmss`` in Beijing time."""
    return moment.astimezone(CST).strftime("%Y%m%d%H%M%S")


def now_cst() -> datetime:
    return datetime.now(UTC).astimezone(CST)
