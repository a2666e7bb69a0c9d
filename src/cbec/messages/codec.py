"""Reading and writing CEB messages as XML and as JSON, through the typed models.

The XML parser is hardened: no DTDs (a DOCTYPE is refused outright, which stops XXE and
entity-expansion bombs), no entity resolution, no network, no huge-tree mode, and a size
limit checked before a byte is parsed. Both the prefixed (``<ceb:CEB311Message>``) and the
default-namespace forms are read. Every problem is reported as a :class:`FieldError` with
a path such as ``CEB311Message/Order/OrderList[2]/price`` and the rule it broke.
``ds:Signature`` and ``ExtendMessage`` are kept whole, as their inclusive C14N text.
"""

from __future__ import annotations

import json
import re
import threading
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from cbec.errors import FieldError, PayloadTooLarge, ValidationFailed
from cbec.messages.fields import XML_TEXT
from cbec.messages.models import MESSAGE_TYPES, CebMessage, Node

NS = "http://www.chinaport.gov.cn/ceb"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
_NS_PREFIX = "{" + NS + "}"
_NS_LEN = len(_NS_PREFIX)
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class MessageRejected(ValidationFailed):
    """A message that cannot be read or does not satisfy its model.

    ``message_type`` and ``guid`` are filled in as far as they could be read, so that the
    rejection receipt can refer to the message.
    """

    def __init__(
        self,
        detail: str,
        *,
        fields: list[FieldError],
        message_type: str | None = None,
        guid: str | None = None,
    ) -> None:
        super().__init__(detail, fields=fields)
        self.message_type = message_type
        self.guid = guid


# --- model introspection ---------------------------------------------------------------


@cache
def node_children(model: type[BaseModel]) -> dict[str, tuple[type[BaseModel], bool]]:
    """Attribute name -> (node class, is a list) for the child nodes of ``model``."""
    children: dict[str, tuple[type[BaseModel], bool]] = {}
    for name, info in model.model_fields.items():
        node, many = _node_type(info.annotation)
        if node is not None:
            children[name] = (node, many)
    return children


def _node_type(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _node_type(arg)
    if origin is list:
        inner, _ = _node_type(typing.get_args(annotation)[0])
        return inner, True
    if isinstance(annotation, type) and issubclass(annotation, Node):
        return annotation, False
    return None, False


def xml_name(attribute: str) -> str:
    """``orderHead`` -> ``OrderHead`` (child nodes); leaves keep their spelling."""
    return attribute[0].upper() + attribute[1:]


def json_name(element: str) -> str:
    """``OrderHead`` -> ``orderHead``."""
    return element[0].lower() + element[1:]


# --- errors ----------------------------------------------------------------------------


def _rule(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    rules = {
        "missing": "required",
        "extra_forbidden": "unknown-element",
        "string_too_long": f"maxLength={ctx.get('max_length')}",
        "string_too_short": f"minLength={ctx.get('min_length')}",
        "string_pattern_mismatch": f"pattern={ctx.get('pattern')}",
        "decimal_max_places": f"fractionDigits={ctx.get('decimal_places')}",
        "decimal_max_digits": f"totalDigits={ctx.get('max_digits')}",
        "decimal_whole_digits": f"totalDigits={ctx.get('whole_digits')}",
        "greater_than": f"minExclusive={ctx.get('gt')}",
        "greater_than_equal": f"minInclusive={ctx.get('ge')}",
        "list_type": "repeated-node",
        "model_type": "node",
        "model_attributes_type": "node",
        "dict_type": "node",
        "string_type": "text",
        "decimal_parsing": "decimal",
        "decimal_type": "decimal",
        "too_short": "minOccurs=1",
    }
    return str(rules.get(kind, kind))


def path_of(message_type: str, loc: tuple[int | str, ...]) -> str:
    """Pydantic location -> ``CEB311Message/Order/OrderList[2]/price``."""
    model: type[BaseModel] | None = MESSAGE_TYPES[message_type]
    parts = [f"{message_type}Message"]
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]"
            continue
        if model is None:
            parts.append(item)
            continue
        child = node_children(model).get(item)
        if child is not None:
            parts.append(xml_name(item))
            model = child[0]
        elif item in ("guid", "version") and model is MESSAGE_TYPES[message_type]:
            parts.append("@" + item)
        else:
            parts.append(item)
            model = None
    return "/".join(parts)


_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def errors_of(message_type: str, exc: ValidationError) -> list[FieldError]:
    """Each pydantic error as a FieldError with an XML path and a rule."""
    found = []
    for e in exc.errors(include_url=False):
        rule, message = _rule(e), e["msg"]
        if (
            e["type"] == "string_pattern_mismatch"
            and (e.get("ctx") or {}).get("pattern") == XML_TEXT
        ):
            bad = _NOT_XML_CHAR.search(str(e.get("input", "")))
            code = f"U+{ord(bad.group()):04X}" if bad else "a character"
            rule, message = "xml_char", f"contains {code}, a character XML cannot carry"
        found.append(FieldError(path_of(message_type, tuple(e["loc"])), rule, message))
    return found


# --- XML reading -----------------------------------------------------------------------

_local = threading.local()


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _reject(rule: str, message: str, path: str = "(document)", **kw: Any) -> MessageRejected:
    return MessageRejected(message, fields=[FieldError(path, rule, message)], **kw)


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse a body over the limit before parsing it."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"message is {len(data)} bytes; the limit is {max_bytes}",
            fields=[FieldError("(document)", f"maxBytes={max_bytes}", "message too large")],
        )


def parse_tree(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse bytes into an element tree, refusing DTDs, oversize and malformed input."""
    check_size(data, max_bytes)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _reject("xml.no-dtd", "a DOCTYPE or ENTITY declaration is not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "(document)"
        raise _reject("xml.well-formed", f"not well-formed XML: {exc.msg}", where) from None
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise _reject("xml.well-formed", f"not readable as XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise _reject("xml.no-dtd", "a DOCTYPE declaration is not allowed")
    return root


def message_type_of(root: etree._Element) -> str:
    """``{ns}CEB311Message`` -> ``CEB311``; refuses other namespaces and unknown types."""
    tag = root.tag
    if not isinstance(tag, str) or not tag.startswith(_NS_PREFIX):
        qname = etree.QName(root)
        raise _reject(
            "xml.namespace",
            f"root element must be in namespace {NS}, found {qname.namespace or 'none'}",
            qname.localname,
        )
    local = tag[_NS_LEN:]
    message_type = local.removesuffix("Message")
    if not local.endswith("Message") or message_type not in MESSAGE_TYPES:
        raise _reject("message.type", f"unknown message type {local}", local)
    return message_type


@cache
def _element_table(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel] | None, bool]]:
    """Element local name -> (attribute, node class or None for a leaf, is a list)."""
    table: dict[str, tuple[str, type[BaseModel] | None, bool]] = {}
    children = node_children(model)
    for name in model.model_fields:
        if name in children:
            node, many = children[name]
            table[xml_name(name)] = (name, node, many)
        elif name == "extendMessage":
            table[xml_name(name)] = (name, None, False)
        elif name == "signature" or (issubclass(model, CebMessage) and name in ("guid", "version")):
            continue  # ds:Signature, and the root's attributes, are not ceb elements
        else:
            table[name] = (name, None, False)
    return table


@cache
def _leaf_tags(model: type[BaseModel]) -> dict[str, str]:
    """Qualified tag (``{ns}orderNo``) -> attribute, for the plain text fields of ``model``."""
    return {
        _NS_PREFIX + local: name
        for local, (name, node, _many) in _element_table(model).items()
        if node is None and name != "extendMessage"
    }


def _element_dict(
    element: etree._Element, model: type[BaseModel], message_type: str, path: str
) -> dict[str, Any]:
    leaves = _leaf_tags(model)
    out: dict[str, Any] = {}
    text = element.text
    if text and not text.isspace():
        raise _stray(element, path, message_type)
    for child in element:
        tail = child.tail
        if tail and not tail.isspace():
            raise _stray(element, path, message_type)
        # The fast path (most elements): a known text field, seen once, with no children.
        name = leaves.get(child.tag)
        if name is not None and name not in out and not len(child):
            text = child.text
            if text:  # an empty element is the same as an absent one
                out[name] = text
            continue
        _child(child, out, model, message_type, path)
    return out


def _stray(element: etree._Element, path: str, message_type: str) -> MessageRejected:
    # XSD: an element of elements (complex content) holds no text of its own.
    local = etree.QName(element).localname
    return _reject(
        "text",
        f"{local} holds elements, not text",
        path,
        message_type=message_type,
    )


def _child(
    child: etree._Element,
    out: dict[str, Any],
    model: type[BaseModel],
    message_type: str,
    path: str,
) -> None:
    """Every other element: nodes and lists of nodes, the Signature, ExtendMessage, foreign
    or unknown elements, repeats, and the rejections they lead to."""
    table = _element_table(model)
    tag = child.tag
    if not isinstance(tag, str):
        return
    if not tag.startswith(_NS_PREFIX):
        qname = etree.QName(child)
        if (
            qname.namespace == DS_NS
            and qname.localname == "Signature"
            and ("signature" in model.model_fields)
        ):
            _once(out, "signature", qname.localname, path, message_type)
            out["signature"] = _verbatim(child)
            return
        raise _reject(
            "xml.namespace",
            f"element {qname.localname} must be in namespace {NS}",
            f"{path}/{qname.localname}",
            message_type=message_type,
        )
    local = tag[_NS_LEN:]
    entry = table.get(local)
    if entry is None:
        if local in model.model_fields:  # e.g. <orderHead> or <ceb:signature>
            raise _reject(
                "unknown-element",
                f"unknown element {local}",
                f"{path}/{local}",
                message_type=message_type,
            )
        # Unknown: hand it to the model, which names it as an extra element.
        out[local] = child.text or ""
        return
    name, node, many = entry
    if name == "extendMessage":
        _once(out, name, local, path, message_type)
        out[name] = _verbatim(child)
        return
    if node is not None:
        if many:
            items = out.setdefault(name, [])
            items.append(
                _element_dict(child, node, message_type, f"{path}/{local}[{len(items) + 1}]")
            )
            return
        if name in out:
            raise _reject(
                "maxOccurs=1",
                f"{local} appears more than once",
                f"{path}/{local}",
                message_type=message_type,
            )
        out[name] = _element_dict(child, node, message_type, f"{path}/{local}")
        return
    if len(child):
        raise _reject(
            "text",
            f"{local} must hold text, not elements",
            f"{path}/{local}",
            message_type=message_type,
        )
    if name in out:
        raise _reject(
            "maxOccurs=1",
            f"{local} appears more than once",
            f"{path}/{local}",
            message_type=message_type,
        )
    text = child.text
    if text:  # an empty element is the same as an absent one
        out[name] = text


def _verbatim(element: etree._Element) -> str:
    # Inclusive C14N, the form XML-DSig verifies: it keeps the namespaces in scope and,
    # unlike tostring(), does not depend on where they were declared or on the tail, so a
    # round trip through our writer gives back the same text.
    return etree.tostring(element, method="c14n").decode("utf-8")


def _once(out: dict[str, Any], name: str, local: str, path: str, message_type: str) -> None:
    if name in out:
        raise _reject(
            "maxOccurs=1",
            f"{local} appears more than once",
            f"{path}/{local}",
            message_type=message_type,
        )


def from_xml(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CebMessage:
    """Parse and validate one CEB message from XML bytes."""
    root = parse_tree(data, max_bytes)
    return from_element(root)


def from_element(root: etree._Element) -> CebMessage:
    """Validate an already parsed message element."""
    message_type = message_type_of(root)
    model = MESSAGE_TYPES[message_type]
    guid = root.get("guid")
    content = _element_dict(root, model, message_type, f"{message_type}Message")
    for attribute in ("guid", "version"):
        value = root.get(attribute)
        if value is not None:
            content[attribute] = value
    version = content.get("version")
    if version is not None and version.lower().startswith("v"):
        content["version"] = version[1:]
    try:
        return model.model_validate(content)
    except ValidationError as exc:
        raise MessageRejected(
            f"{message_type} does not conform",
            fields=errors_of(message_type, exc),
            message_type=message_type,
            guid=guid,
        ) from None


# --- XML writing -----------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _fragment(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"), _parser())


@cache
def _write_order(model: type[BaseModel]) -> tuple[str, ...]:
    names = list(model.model_fields)
    business = getattr(model, "BUSINESS", None)
    if business in names:  # the business node comes first, then BaseTransfer, ...
        names.remove(business)
        names.insert(0, business)
    return tuple(names)


def _write(parent: etree._Element, node: BaseModel) -> None:
    children = node_children(type(node))
    for name in _write_order(type(node)):
        value = getattr(node, name)
        if value is None:
            continue
        if name in ("signature", "extendMessage"):
            parent.append(_fragment(value))
            continue
        if name in children:
            items = value if isinstance(value, list) else [value]
            for item in items:
                _write(etree.SubElement(parent, _NS_PREFIX + xml_name(name)), item)
            continue
        if name in ("guid", "version") and isinstance(node, CebMessage):
            continue
        etree.SubElement(parent, _NS_PREFIX + name).text = _text(value)


def to_element(message: CebMessage) -> etree._Element:
    """The message as an lxml element (``ceb:`` prefix, or default namespace for receipts)."""
    nsmap = {None: NS} if message.IS_RECEIPT else {"ceb": NS}
    root = etree.Element(
        f"{_NS_PREFIX}{message.MESSAGE_TYPE}Message",
        {"guid": message.guid, "version": message.version},
        nsmap=nsmap,  # type: ignore[arg-type]
    )
    _write(root, message)
    return root


def to_xml(message: CebMessage, *, pretty: bool = False) -> bytes:
    """Serialise a message as UTF-8 XML with a declaration."""
    return etree.tostring(
        to_element(message), xml_declaration=True, encoding="UTF-8", pretty_print=pretty
    )


# --- JSON ------------------------------------------------------------------------------


class _Repeated(dict[str, Any]):
    """A JSON object in which ``key`` was given more than once (the last value is kept)."""

    key: str = ""


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(items)
    if len(found) == len(items):
        return found
    marked = _Repeated(found)
    seen: set[str] = set()
    for key, _ in items:
        if key in seen:
            marked.key = key
            break
        seen.add(key)
    return marked


def load_json(data: bytes | str, **options: Any) -> Any:
    """``json.loads``, except that an object with a key given twice is marked (plain JSON
    keeps the last value without a word): :func:`repeated` finds where. ``options`` go to
    ``json.loads``."""
    return json.loads(data, object_pairs_hook=_pairs, **options)


def repeated(node: Any, loc: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in ``node`` (read by :func:`load_json`) the first key given twice is: the keys
    and list indexes down to it, the key last; None when every key is given once.

    >>> repeated(load_json('{"a": [{"b": 1}, {"c": 1, "c": 2}]}'))
    ('a', 1, 'c')
    >>> repeated(load_json('{"a": 1}')) is None
    True
    """
    if isinstance(node, _Repeated):
        return (*loc, node.key)
    if isinstance(node, dict):
        children: Any = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return None
    for key, child in children:
        found = repeated(child, (*loc, key))
        if found is not None:
            return found
    return None


def repeated_key(document: Any, loc: tuple[str | int, ...]) -> MessageRejected:
    """The rejection of a JSON message ``document`` (``{"CEB311Message": {...}}``) with a
    key given twice at ``loc`` (from :func:`repeated`), as XML refuses an element given
    twice."""
    content = next(iter(document.values()), None) if isinstance(document, dict) else None
    guid = content.get("guid") if isinstance(content, dict) else None
    if not isinstance(guid, str):
        guid = None
    envelope = str(loc[0])
    message_type = envelope.removesuffix("Message")
    if len(loc) == 1 or message_type not in MESSAGE_TYPES:
        path = "/".join(str(part) for part in loc)
        return _reject("maxOccurs=1", f"{loc[-1]} appears more than once", path)
    return _reject(
        "maxOccurs=1",
        f"{loc[-1]} appears more than once",
        path_of(message_type, loc[1:]),
        message_type=message_type,
        guid=guid,
    )


def from_json(data: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES) -> CebMessage:
    """Parse ``{"CEB311Message": {...}}`` (camelCase keys, nodes nested) into a message."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    check_size(raw, max_bytes)
    try:
        document = load_json(raw, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise _reject("json.well-formed", f"not valid JSON: {exc}") from None
    twice = repeated(document)
    if twice is not None:
        raise repeated_key(document, twice)
    if not isinstance(document, dict) or len(document) != 1:
        raise _reject(
            "json.envelope", 'expected one key naming the message, e.g. {"CEB311Message": {...}}'
        )
    ((key, content),) = document.items()
    message_type = key.removesuffix("Message")
    if not key.endswith("Message") or message_type not in MESSAGE_TYPES:
        raise _reject("message.type", f"unknown message type {key}", key)
    if not isinstance(content, dict):
        raise _reject("node", f"{key} must be an object", key, message_type=message_type)
    guid = content.get("guid") if isinstance(content.get("guid"), str) else None
    _decimals_as_text(content)
    try:
        message = MESSAGE_TYPES[message_type].model_validate(_drop_empty(content))
    except ValidationError as exc:
        raise MessageRejected(
            f"{message_type} does not conform",
            fields=errors_of(message_type, exc),
            message_type=message_type,
            guid=guid,
        ) from None
    _check_verbatim_parts(message, max_bytes)
    return message


#: The parts carried verbatim as serialised XML: attribute -> the element each must be.
_VERBATIM = {"extendMessage": f"{_NS_PREFIX}ExtendMessage", "signature": f"{{{DS_NS}}}Signature"}


def _check_verbatim_parts(message: CebMessage, max_bytes: int) -> None:
    # From XML these are cut out of a parsed tree; from JSON they are mere strings, which
    # the writer will parse: refuse here what it could not write (or should not parse).
    for name, tag in _VERBATIM.items():
        value = getattr(message, name, None)
        if value is None:
            continue
        path = f"{message.MESSAGE_TYPE}Message/{xml_name(name)}"
        try:
            element = parse_tree(value.encode("utf-8"), max_bytes)
        except MessageRejected as exc:
            raise _reject(
                exc.fields[0].rule,
                f"{xml_name(name)}: {exc.detail}",
                path,
                message_type=message.MESSAGE_TYPE,
                guid=message.guid,
            ) from None
        if element.tag != tag:
            raise _reject(
                "verbatim-element",
                f"{name} must be one {tag} element, found {element.tag}",
                path,
                message_type=message.MESSAGE_TYPE,
                guid=message.guid,
            )


def _decimals_as_text(value: Any) -> None:
    # JSON numbers were read as Decimal (never float); hand them on as exact text.
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, Decimal):
                value[key] = format(item, "f")
            else:
                _decimals_as_text(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Decimal):
                value[index] = format(item, "f")
            else:
                _decimals_as_text(item)


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v != "" and v is not None}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def to_json_dict(message: CebMessage) -> dict[str, Any]:
    """``{"CEB311Message": {...}}`` with decimals as strings and absent fields left out."""
    return {f"{message.MESSAGE_TYPE}Message": message.model_dump(mode="json", exclude_none=True)}


def to_json(message: CebMessage) -> str:
    return json.dumps(to_json_dict(message), ensure_ascii=False, separators=(",", ":"))


def canonical_json(message: CebMessage) -> str:
    """A formatting-independent serialisation: equal content gives equal text."""
    return message.model_dump_json(exclude_none=True)
