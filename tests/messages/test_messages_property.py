"""Property tests: any message whose fields keep within their facets survives
model -> XML -> model (and JSON) unchanged, and what the writer emits satisfies the XSD.

The strategies are driven by the same :class:`~cbec.messages.fields.Xsd` markers the
schemas are generated from, so a new field or a changed facet is covered without edits.
"""

from __future__ import annotations

import re
import typing
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from cbec.messages.codec import from_json, from_xml, node_children, to_json, to_xml
from cbec.messages.models import MESSAGE_TYPES, CEB311Message, CebMessage, Order
from cbec.messages.xsd import facet_of, schema_for

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
_TIMESTAMP = re.compile(r"\[0-9\]\{(8|14|17)\}")
_FORMATS = {8: "%Y%m%d", 14: "%Y%m%d%H%M%S", 17: "%Y%m%d%H%M%S%f"}

# Any character XML 1.0 can carry (tabs, line breaks and CR included), not only the easy ones.
XML_TEXT_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\ufffe\uffff",
    include_characters="\t\n\r",
)
PROFILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def text_of(max_length: int) -> st.SearchStrategy[str]:
    short = st.text(XML_TEXT_CHARS, min_size=1, max_size=min(max_length, 24))
    full = XML_TEXT_CHARS.map(lambda c: c * max_length)  # exactly at the limit
    return st.one_of(short, full)


def decimal_of(total: int, places: int, positive: bool) -> st.SearchStrategy[Decimal]:
    @st.composite
    def build(draw: st.DrawFn) -> Decimal:
        scale = draw(st.integers(0, places))
        whole = draw(st.sampled_from([1, 3, total - places]))
        digits = draw(st.integers(1 if positive else 0, 10 ** (whole + scale) - 1))
        return Decimal(digits).scaleb(-scale)

    return build()


def timestamp_of(length: int) -> st.SearchStrategy[str]:
    moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31))
    return moments.map(lambda m: m.strftime(_FORMATS[length])[:length])


def leaf(hint: Any, where: str) -> st.SearchStrategy[Any]:
    facet = facet_of(hint, where)
    if facet.base == "decimal":
        assert facet.total_digits is not None
        assert facet.fraction_digits is not None
        return decimal_of(facet.total_digits, facet.fraction_digits, facet.min_exclusive == "0")
    if facet.enumeration:
        return st.sampled_from(facet.enumeration)
    if facet.pattern is not None:
        stamp = _TIMESTAMP.fullmatch(facet.pattern)
        if stamp is not None:
            return timestamp_of(int(stamp.group(1)))
        return st.from_regex(f"^{facet.pattern}$", fullmatch=True)
    assert facet.max_length is not None
    return text_of(facet.max_length)


@cache
def node_of(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Field values for ``model``: every leaf within its facet, optional ones sometimes
    absent, 1..3 items for list nodes."""
    hints = typing.get_type_hints(model, include_extras=True)
    children = node_children(model)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        if name in children:
            node, many = children[name]
            value = st.lists(node_of(node), min_size=1, max_size=3) if many else node_of(node)
        else:
            value = leaf(hints[name], f"{model.__name__}.{name}")
        fields[name] = value if info.is_required() else st.none() | value
    return st.fixed_dictionaries(fields)


@cache
def verbatim_parts() -> tuple[str, str]:
    signed = (XML_DIR / "ceb311_order_signed.xml").read_bytes()
    message = from_xml(
        signed.replace(
            b"  <ds:Signature",
            b'  <ceb:ExtendMessage a="1">x<y xmlns="urn:y">z</y></ceb:ExtendMessage>\n'
            b"  <ds:Signature",
        )
    )
    assert isinstance(message, CEB311Message)
    assert message.extendMessage is not None
    assert message.signature is not None
    return message.extendMessage, message.signature


@cache
def message_of(model: type[CebMessage]) -> st.SearchStrategy[CebMessage]:
    hints = typing.get_type_hints(model, include_extras=True)
    children = node_children(model)
    extension, signature = verbatim_parts()
    fields: dict[str, st.SearchStrategy[Any]] = {
        "guid": leaf(hints["guid"], "guid"),
        # "v1.0" is read as "1.0" on purpose, so the property holds for versions without v
        "version": st.from_regex(r"^[0-9]\.[0-9]{1,2}$", fullmatch=True),
    }
    for name, info in model.model_fields.items():
        if name in children:
            node = node_of(children[name][0])
            fields[name] = node if info.is_required() else st.none() | node
    if "signature" in model.model_fields:
        fields["extendMessage"] = st.sampled_from([None, extension])
        fields["signature"] = st.sampled_from([None, signature])
    return st.fixed_dictionaries(fields).map(model.model_validate)


any_message = st.sampled_from(list(MESSAGE_TYPES.values())).flatmap(message_of)


@cache
def schema(message_type: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(schema_for(message_type).decode("utf-8"))


@PROFILE
@given(message=message_of(CEB311Message))
def test_an_order_survives_the_xml_round_trip(message: CebMessage) -> None:
    assert isinstance(message, CEB311Message)
    again = from_xml(to_xml(message))
    assert again == message
    assert isinstance(again, CEB311Message)
    assert isinstance(again.order, Order)
    for line, line_again in zip(message.order.orderList, again.order.orderList, strict=True):
        assert str(line_again.price) == str(line.price)  # same digits, same scale


@PROFILE
@given(message=any_message, pretty=st.booleans())
def test_every_message_type_survives_the_xml_round_trip(message: CebMessage, pretty: bool) -> None:
    assert from_xml(to_xml(message, pretty=pretty)) == message


@PROFILE
@given(message=any_message)
def test_every_message_type_survives_the_json_round_trip(message: CebMessage) -> None:
    assert from_json(to_json(message)) == message


@settings(PROFILE, max_examples=30)
@given(message=any_message)
def test_what_the_writer_emits_satisfies_the_xsd(message: CebMessage) -> None:
    schema(message.MESSAGE_TYPE).validate(to_xml(message).decode("utf-8"))


@PROFILE
@given(
    value=decimal_of(19, 5, positive=False),
)
def test_money_keeps_its_digits(value: Decimal) -> None:
    message = from_xml((XML_DIR / "ceb311_order.xml").read_bytes())
    assert isinstance(message, CEB311Message)
    head = message.order.orderHead.model_copy(update={"freight": value})
    changed = message.model_copy(
        update={"order": message.order.model_copy(update={"orderHead": head})}
    )
    again = from_xml(to_xml(changed))
    assert isinstance(again, CEB311Message)
    freight = again.order.orderHead.freight
    assert type(freight) is Decimal
    assert format(freight, "f") == format(value, "f")
