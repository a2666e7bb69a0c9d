"""``cbec messages xsd | validate | convert``, run through Typer's test runner.

The commands are mounted on a small app of their own: the full ``cbec.cli`` pulls in every
package, and this suite should not depend on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import xmlschema
from typer.testing import CliRunner, Result

from cbec.messages.codec import from_json, from_xml
from cbec.messages.commands import app as messages_app
from cbec.messages.models import MESSAGE_TYPES

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"
ORDER = XML_DIR / "ceb311_order.xml"
SAMPLES = [
    XML_DIR / name
    for name in (
        "ceb311_order.xml",
        "ceb311_order_default_ns.xml",
        "ceb311_order_signed.xml",
        "ceb411_payment.xml",
        "ceb511_waybill.xml",
        "ceb621_inventory.xml",
        "ceb621_inventory_1210.xml",
        "ceb623_cancel.xml",
        "ceb625_refund.xml",
    )
]

cli = typer.Typer(pretty_exceptions_enable=False)
cli.add_typer(messages_app, name="messages")
runner = CliRunner()


def run(*args: str | Path) -> Result:
    result = runner.invoke(cli, ["messages", *map(str, args)])
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def test_no_arguments_shows_help() -> None:
    result = run()
    for command in ("xsd", "validate", "convert"):
        assert command in result.output


def test_xsd_writes_every_schema(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = run("xsd", out)
    assert result.exit_code == 0
    listed = result.stdout.splitlines()
    assert listed == [str(out / f"{t}.xsd") for t in MESSAGE_TYPES]
    for line in listed:
        assert xmlschema.XMLSchema(line).elements


def test_xsd_into_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("xsd", blocker / "sub")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: OUT: a folder that can be written (")
    assert result.stderr.endswith(": Not a directory) [writable]\n")


def test_validate_ok() -> None:
    result = run("validate", *SAMPLES)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(SAMPLES)
    for path, line in zip(SAMPLES, lines, strict=True):
        assert line.startswith(f"{path}: OK (")


def test_validate_reads_json(tmp_path: Path) -> None:
    converted = run("convert", ORDER, "--to", "json")
    assert converted.exit_code == 0
    path = tmp_path / "order.json"
    path.write_text(converted.stdout, encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{path}: OK (CEB311, json,")


def test_validate_reports_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        ORDER.read_bytes()
        .replace(b"<ceb:orderNo>T20261111000001</ceb:orderNo>", b"")
        .replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>1.1234567</ceb:price>")
    )
    result = run("validate", ORDER, bad)
    assert result.exit_code == 1
    assert f"{ORDER}: OK" in result.stdout
    assert result.stderr.splitlines() == [
        f"{bad}: CEB311 does not conform",
        "  CEB311Message/Order/OrderHead/orderNo: Field required [required]",
        "  CEB311Message/Order/OrderList[1]/price: at most 5 decimal places [fractionDigits=5]",
        "1 of 2 file(s) invalid",
    ]


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "[xml.no-dtd]"),
        (b"<unclosed>", "[xml.well-formed]"),
        (b"", "[xml.well-formed]"),
        (b"[1]", "[json.envelope]"),
        (b'{"CEB999Message": {}}', "[message.type]"),
    ],
)
def test_validate_refuses_bad_input_cleanly(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    result = run("validate", path)
    assert result.exit_code == 1
    assert rule in result.stderr
    assert "root:" not in result.output


def test_validate_refuses_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    result = run("validate", missing)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{missing}: cannot read: No such file or directory",
        "1 of 1 file(s) invalid",
    ]


def test_validate_refuses_a_huge_file_by_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    result = run("validate", huge)
    assert result.exit_code == 1
    assert f"{huge}: message is 52428800 bytes; the limit is 4194304" in result.stderr
    assert "[maxBytes=4194304]" in result.stderr
    small_limit = run("validate", "--max-bytes", "100", ORDER)
    assert small_limit.exit_code == 1
    assert "[maxBytes=100]" in small_limit.stderr


def test_convert_xml_to_json_and_back(tmp_path: Path) -> None:
    for sample in SAMPLES:
        as_json = run("convert", sample)
        assert as_json.exit_code == 0
        document = json.loads(as_json.stdout)
        assert list(document) == [f"{from_xml(sample.read_bytes()).MESSAGE_TYPE}Message"]
        assert from_json(as_json.stdout) == from_xml(sample.read_bytes())
        path = tmp_path / f"{sample.stem}.json"
        path.write_text(as_json.stdout, encoding="utf-8")
        as_xml = run("convert", path)
        assert as_xml.exit_code == 0
        assert as_xml.stdout.startswith("<?xml")
        assert from_xml(as_xml.stdout.encode("utf-8")) == from_xml(sample.read_bytes())


def test_convert_to_the_same_form_normalises() -> None:
    result = run("convert", XML_DIR / "ceb311_order_default_ns.xml", "--to", "xml")
    assert result.exit_code == 0
    assert "<ceb:CEB311Message" in result.stdout
    assert "<ceb:note" not in result.stdout


def test_convert_keeps_money_as_text() -> None:
    result = run("convert", ORDER, "--to", "json")
    order = json.loads(result.stdout)["CEB311Message"]["order"]
    assert order["orderHead"]["acturalPaid"] == "434.22"
    assert order["orderList"][0]["price"] == "199.00"


def test_convert_refuses_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"CEB311Message": {"guid": "x"}}', encoding="utf-8")
    result = run("convert", bad, "--to", "xml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{bad}: CEB311 does not conform\n")
    assert "CEB311Message/Order: Field required [required]" in result.stderr


def test_convert_refuses_an_unknown_form() -> None:
    result = run("convert", ORDER, "--to", "yaml")
    assert result.exit_code == 2
    assert "yaml" in result.output
