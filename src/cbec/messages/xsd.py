"""XSDs generated from the message models (never written by hand).

Each message gets one self-contained schema: the root ``CEBnnnMessage`` element with its
``guid`` and ``version`` attributes, one named complex type per node (``OrderHeadType``),
and, for each leaf, an inline simple type whose facets come from the field's
:class:`~cbec.messages.fields.Xsd` marker, with the field's doc as its documentation.
Sequences follow the order our writer emits (model field order, the business node first),
so everything :func:`cbec.messages.codec.to_xml` writes validates; our reader is more
lenient than the schema in two ways: it accepts elements in any order and takes an empty
optional element for an absent one.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from annotated_types import GroupedMetadata, MinLen
from lxml import etree
from pydantic import BaseModel

from cbec.messages.codec import DS_NS, NS, node_children, xml_name
from cbec.messages.fields import Xsd
from cbec.messages.models import MESSAGE_TYPES, CebMessage

XS_NS = "http://www.w3.org/2001/XMLSchema"
_XS = "{" + XS_NS + "}"
#: Root attributes, not elements.
_ATTRIBUTES = ("guid", "version")


def schema_for(message_type: str) -> bytes:
    """The XSD of one message type (``"CEB311"``) as UTF-8 bytes with a declaration.

    Examples
    --------
    >>> b'name="CEB311Message"' in schema_for("CEB311")
    True
    """
    try:
        model = MESSAGE_TYPES[message_type]
    except KeyError:
        known = ", ".join(MESSAGE_TYPES)
        raise ValueError(f"unknown message type {message_type!r}; known: {known}") from None
    return etree.tostring(
        _build_schema(model), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def write_all(out_dir: Path) -> list[Path]:
    """Write ``CEB311.xsd`` ... ``CEB900.xsd`` into ``out_dir`` (created if need be)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for message_type in MESSAGE_TYPES:
        path = out_dir / f"{message_type}.xsd"
        path.write_bytes(schema_for(message_type))
        written.append(path)
    return written


# --- building --------------------------------------------------------------------------


def _xs(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _XS + tag, attributes)


def _document(parent: etree._Element, text: str) -> None:
    if text:
        _xs(_xs(parent, "annotation"), "documentation").text = text


def _build_schema(model: type[CebMessage]) -> etree._Element:
    schema = etree.Element(
        _XS + "schema",
        {
            "targetNamespace": NS,
            "elementFormDefault": "qualified",
            "attributeFormDefault": "unqualified",
            "version": "1.0",
        },
        nsmap={"xs": XS_NS, "ceb": NS},
    )
    _document(
        schema,
        f"{model.MESSAGE_TYPE}: generated from cbec.messages.models; do not edit by hand.",
    )
    root = _xs(schema, "element", name=f"{model.MESSAGE_TYPE}Message")
    _document(root, _envelope_doc(model))
    root_type = _xs(root, "complexType")
    sequence = _xs(root_type, "sequence")
    for name in _message_order(model):
        if name == "extendMessage":
            _extend_message(sequence)
        elif name == "signature":
            _xs(sequence, "any", namespace=DS_NS, processContents="skip", minOccurs="0")
        else:
            _child_or_leaf(sequence, model, name)
    hints = _hints(model)
    for name in _ATTRIBUTES:
        use = "required" if model.model_fields[name].is_required() else "optional"
        attribute = _xs(root_type, "attribute", name=name, use=use)
        facet = facet_of(hints[name], f"{model.__name__}.{name}")
        _document(attribute, facet.doc)
        _simple_type(attribute, facet)
    for node in _nodes_of(model):
        complex_type = _xs(schema, "complexType", name=_type_name(node))
        _document(complex_type, _own_doc(node))
        node_sequence = _xs(complex_type, "sequence")
        for name in node.model_fields:
            _child_or_leaf(node_sequence, node, name)
    return schema


def _message_order(model: type[CebMessage]) -> list[str]:
    # The writer's order: the business node first, then the envelope parts.
    names = [n for n in model.model_fields if n not in _ATTRIBUTES]
    names.remove(model.BUSINESS)
    return [model.BUSINESS, *names]


def _extend_message(sequence: etree._Element) -> None:
    element = _xs(sequence, "element", name="ExtendMessage", minOccurs="0")
    _document(element, "extension data, any content; kept verbatim")
    content = _xs(element, "complexType", mixed="true")
    _xs(
        _xs(content, "sequence"),
        "any",
        namespace="##any",
        processContents="lax",
        minOccurs="0",
        maxOccurs="unbounded",
    )
    _xs(content, "anyAttribute", namespace="##any", processContents="lax")


def _nodes_of(model: type[BaseModel]) -> list[type[BaseModel]]:
    """Every node class under ``model``, once each, in order of first appearance."""
    found: dict[str, type[BaseModel]] = {}

    def visit(parent: type[BaseModel]) -> None:
        if issubclass(parent, CebMessage):
            names = _message_order(parent)
        else:
            names = list(parent.model_fields)
        children = node_children(parent)
        for name in names:
            if name not in children:
                continue
            node = children[name][0]
            known = found.get(_type_name(node))
            if known is None:
                found[_type_name(node)] = node
                visit(node)
            elif known is not node:
                raise TypeError(f"two node classes are both named {node.__name__}")

    visit(model)
    return list(found.values())


def _child_or_leaf(sequence: etree._Element, model: type[BaseModel], name: str) -> None:
    required = model.model_fields[name].is_required()
    child = node_children(model).get(name)
    if child is not None:
        node, many = child
        element = _xs(sequence, "element", name=xml_name(name), type=f"ceb:{_type_name(node)}")
        if many:
            element.set("minOccurs", str(_min_items(model, name)) if required else "0")
            element.set("maxOccurs", "unbounded")
        elif not required:
            element.set("minOccurs", "0")
        return
    facet = facet_of(_hints(model)[name], f"{model.__name__}.{name}")
    element = _xs(sequence, "element", name=name)
    if not required:
        element.set("minOccurs", "0")
    _document(element, facet.doc)
    _simple_type(element, facet)


def _simple_type(parent: etree._Element, facet: Xsd) -> None:
    restriction = _xs(_xs(parent, "simpleType"), "restriction", base=f"xs:{facet.base}")
    if facet.total_digits is not None:
        _xs(restriction, "totalDigits", value=str(facet.total_digits))
    if facet.fraction_digits is not None:
        _xs(restriction, "fractionDigits", value=str(facet.fraction_digits))
    if facet.max_length is not None:
        _xs(restriction, "maxLength", value=str(facet.max_length))
    if facet.pattern is not None:
        _xs(restriction, "pattern", value=facet.pattern)
    for value in facet.enumeration:
        _xs(restriction, "enumeration", value=value)
    if facet.min_inclusive is not None:
        _xs(restriction, "minInclusive", value=facet.min_inclusive)
    if facet.min_exclusive is not None:
        _xs(restriction, "minExclusive", value=facet.min_exclusive)


# --- model introspection ---------------------------------------------------------------


def _type_name(node: type[BaseModel]) -> str:
    return f"{node.__name__}Type"


def _own_doc(model: type[BaseModel]) -> str:
    doc = model.__dict__.get("__doc__")
    return " ".join(doc.split()) if isinstance(doc, str) else ""


def _envelope_doc(model: type[CebMessage]) -> str:
    # A message class rarely has its own docstring: take the nearest envelope class's.
    for cls in model.__mro__:
        if issubclass(cls, CebMessage) and _own_doc(cls):
            return _own_doc(cls)
    return ""


@cache
def _hints(model: type[BaseModel]) -> dict[str, Any]:
    return typing.get_type_hints(model, include_extras=True)


def _min_items(model: type[BaseModel], name: str) -> int:
    for item in model.model_fields[name].metadata:
        if isinstance(item, MinLen):
            return max(int(item.min_length), 1)
    return 1  # a required list of nodes is 1..n in the specification


def facet_of(hint: Any, where: str = "field") -> Xsd:
    """The Xsd marker of a leaf annotation (as ``typing.get_type_hints(model,
    include_extras=True)`` gives it), looking inside ``X | None``; ``where`` names the
    field in the error raised when there is none."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is not type(None):
                return facet_of(arg, where)
    if origin is typing.Annotated:
        for item in hint.__metadata__:
            found = _find_xsd(item)
            if found is not None:
                return found
    raise TypeError(f"{where} has no Xsd facet; give it a field type from cbec.messages.fields")


def _find_xsd(item: Any) -> Xsd | None:
    if isinstance(item, Xsd):
        return item
    if isinstance(item, GroupedMetadata):
        for inner in item:
            found = _find_xsd(inner)
            if found is not None:
                return found
    return None
