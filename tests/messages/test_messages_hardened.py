"""Hostile or broken input is refused cleanly and quickly: one MessageRejected (or
PayloadTooLarge) naming a path and a rule, never a crash, never a leaked file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cbec.errors import CbecError, PayloadTooLarge
from cbec.messages.codec import DEFAULT_MAX_BYTES, MessageRejected, from_json, from_xml

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
ORDER = (XML_DIR / "ceb311_order.xml").read_bytes()
ROOT_OPEN = b'<ceb:CEB311Message guid="G1" xmlns:ceb="http://www.chinaport.gov.cn/ceb">'
#: Generous: each of these is refused in well under a millisecond.
FAST = 1.0

PASSWD = Path("/etc/passwd")
SECRET_FILE = PASSWD if PASSWD.is_file() else None


@contextmanager
def quickly(limit: float = FAST) -> Iterator[None]:
    start = time.perf_counter()
    yield
    assert time.perf_counter() - start < limit


def refused(
    read: Callable[[bytes], object], data: bytes, kind: type[CbecError] = MessageRejected
) -> CbecError:
    """Feed ``data`` to ``read``; it must raise exactly ``kind`` with a path and a rule."""
    with quickly(), pytest.raises(CbecError) as caught:
        read(data)
    error = caught.value
    assert type(error) is kind
    assert error.fields
    for field in error.fields:
        assert field.path
        assert field.rule
        assert field.message
    return error


def everything_said(error: CbecError) -> str:
    parts = [str(error), error.detail, repr(error.as_dict())]
    parts += [f"{f.path} {f.rule} {f.message}" for f in error.fields]
    return "\n".join(parts)


def rule_of(error: CbecError) -> str:
    return error.fields[0].rule


# --- entities and DTDs -------------------------------------------------------------------

XXE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE ceb:CEB311Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + ROOT_OPEN
    + b"<ceb:Order><ceb:OrderHead><ceb:orderNo>&xxe;</ceb:orderNo></ceb:OrderHead></ceb:Order>"
    b"</ceb:CEB311Message>"
)
XXE_PARAMETER = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE r [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>\n'
    + ROOT_OPEN
    + b"</ceb:CEB311Message>"
)


def billion_laughs() -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() for i in range(1, 10)]
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz ['
        + b"".join(entities)
        + b"]>\n"
        + ROOT_OPEN
        + b"<ceb:Order><ceb:OrderHead><ceb:orderNo>&lol9;</ceb:orderNo></ceb:OrderHead>"
        b"</ceb:Order></ceb:CEB311Message>"
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(XXE, id="xxe"),
        pytest.param(XXE_PARAMETER, id="xxe-parameter-entity"),
        pytest.param(XXE.decode().replace("UTF-8", "UTF-16").encode("utf-16"), id="xxe-utf16"),
    ],
)
def test_xxe_never_reads_the_file(data: bytes) -> None:
    error = refused(from_xml, data)
    assert rule_of(error) in {"xml.no-dtd", "xml.well-formed"}
    said = everything_said(error)
    assert "root:" not in said
    if SECRET_FILE is not None:
        for line in SECRET_FILE.read_text(errors="replace").splitlines():
            if len(line) > 8:
                assert line not in said


def test_xinclude_is_not_followed() -> None:
    data = ORDER.replace(
        b"<ceb:gmodel>900g/\xe7\xbd\x90</ceb:gmodel>",
        b'<ceb:gmodel><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        b'href="file:///etc/passwd" parse="text"/></ceb:gmodel>',
    )
    assert b"XInclude" in data
    error = refused(from_xml, data)
    assert "root:" not in everything_said(error)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(billion_laughs(), id="billion-laughs"),
        pytest.param(
            billion_laughs()
            .decode()
            .replace('"1.0"?>', '"1.0" encoding="UTF-16"?>', 1)
            .encode("utf-16"),
            id="billion-laughs-utf16",
        ),
    ],
)
def test_billion_laughs_is_refused_quickly(data: bytes) -> None:
    error = refused(from_xml, data)
    assert rule_of(error) in {"xml.no-dtd", "xml.well-formed"}
    assert "lollollol" not in everything_said(error)


# --- size --------------------------------------------------------------------------------


def test_a_50_mb_message_is_refused_before_parsing() -> None:
    body = ROOT_OPEN + b"<ceb:Order>" + b"<!-- padding -->" * (50 * 1024 * 1024 // 16)
    assert len(body) > 50 * 1024 * 1024
    error = refused(from_xml, body, PayloadTooLarge)
    assert error.fields[0].rule == f"maxBytes={DEFAULT_MAX_BYTES}"
    assert error.status_code == 413
    # so quick that it cannot have looked at the bytes
    with quickly(0.05), pytest.raises(PayloadTooLarge):
        from_xml(body)


def test_a_50_mb_json_message_is_refused_before_parsing() -> None:
    body = b'{"CEB311Message": {"guid": "' + b"x" * (50 * 1024 * 1024) + b'"}}'
    refused(from_json, body, PayloadTooLarge)


def test_the_limit_is_a_setting() -> None:
    with pytest.raises(PayloadTooLarge):
        from_xml(ORDER, max_bytes=len(ORDER) - 1)
    assert from_xml(ORDER, max_bytes=len(ORDER)).guid


def test_deep_nesting_is_refused() -> None:
    data = ROOT_OPEN + b"<ceb:a>" * 100_000 + b"</ceb:a>" * 100_000 + b"</ceb:CEB311Message>"
    refused(from_xml, data)


# --- malformed, namespaces, encodings ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        pytest.param(b"", "xml.well-formed", id="empty"),
        pytest.param(b"   \n\t", "xml.well-formed", id="blank"),
        pytest.param(ORDER[: len(ORDER) // 2], "xml.well-formed", id="truncated"),
        pytest.param(
            ORDER.replace(b"</ceb:orderNo>", b"</ceb:orderno>"), "xml.well-formed", id="mismatched"
        ),
        pytest.param(b"not xml at all", "xml.well-formed", id="not-xml"),
        pytest.param(b'{"CEB311Message": {}}', "xml.well-formed", id="json-sent-as-xml"),
        pytest.param(
            ORDER.replace(b"http://www.chinaport.gov.cn/ceb", b"http://example.com/ceb"),
            "xml.namespace",
            id="wrong-root-namespace",
        ),
        pytest.param(
            ORDER.replace(b"ceb:", b"").replace(
                b' xmlns:ceb="http://www.chinaport.gov.cn/ceb"', b""
            ),
            "xml.namespace",
            id="no-namespace",
        ),
        pytest.param(
            ORDER.replace(
                b"<ceb:itemNo>SKU-001</ceb:itemNo>",
                b'<x:itemNo xmlns:x="urn:example:other">SKU-001</x:itemNo>',
            ),
            "xml.namespace",
            id="foreign-namespace-element",
        ),
        pytest.param(
            ORDER.decode("utf-8").encode("gbk"), "xml.well-formed", id="gbk-declared-utf8"
        ),
        pytest.param(
            ORDER.replace(b'encoding="UTF-8"', b'encoding="GBK"'),
            "xml.well-formed",
            id="utf8-declared-gbk",
        ),
        pytest.param(
            ORDER.replace(b'encoding="UTF-8"', b'encoding="UTF-16"'),
            "xml.well-formed",
            id="utf8-declared-utf16",
        ),
        pytest.param(
            ORDER.replace(b'encoding="UTF-8"', b'encoding="X-NO-SUCH"'),
            "xml.well-formed",
            id="unknown-encoding",
        ),
        pytest.param(
            ORDER.replace(b"CEB311Message", b"CEB999Message"), "message.type", id="unknown-type"
        ),
        pytest.param(
            ORDER.replace(b"CEB311Message", b"Order311"), "message.type", id="not-a-message-root"
        ),
    ],
)
def test_broken_xml_is_refused(data: bytes, rule: str) -> None:
    error = refused(from_xml, data)
    assert rule_of(error) == rule


def test_foreign_element_is_named_by_path() -> None:
    data = ORDER.replace(
        b"<ceb:itemNo>SKU-001</ceb:itemNo>",
        b'<x:itemNo xmlns:x="urn:example:other">SKU-001</x:itemNo>',
    )
    error = refused(from_xml, data)
    assert error.fields[0].path == "CEB311Message/Order/OrderList[1]/itemNo"


def test_gbk_declared_as_gbk_is_read() -> None:
    data = ORDER.decode("utf-8").replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")
    assert from_xml(data) == from_xml(ORDER)


# --- JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        pytest.param(b"", "json.well-formed", id="empty"),
        pytest.param(b"[1, 2]", "json.envelope", id="array"),
        pytest.param(b'"CEB311Message"', "json.envelope", id="string"),
        pytest.param(b"42", "json.envelope", id="number"),
        pytest.param(b"null", "json.envelope", id="null"),
        pytest.param(b"{}", "json.envelope", id="empty-object"),
        pytest.param(b'{"CEB311Message": {}, "CEB411Message": {}}', "json.envelope", id="two"),
        pytest.param(b'{"CEB311Message": [1]}', "node", id="content-not-object"),
        pytest.param(b'{"CEB999Message": {}}', "message.type", id="unknown-type"),
        pytest.param(b'{"CEB311Message": {', "json.well-formed", id="truncated"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "json.well-formed", id="deep-nesting"),
        pytest.param("{}".encode("utf-16")[:3] + b"\xff", "json.well-formed", id="bad-bytes"),
        pytest.param(ORDER, "json.well-formed", id="xml-sent-as-json"),
    ],
)
def test_broken_json_is_refused(data: bytes, rule: str) -> None:
    error = refused(from_json, data)
    assert rule_of(error) == rule
