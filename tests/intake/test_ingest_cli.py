"""``cbec ingest`` over a file drop (folder and zip), and ``cbec receipts``."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.cli import app
from cbec.store.models import DeadLetter, Document
from tests.intake.conftest import inventory, order, payment, waybill

runner = CliRunner()


def _drop(folder: Path) -> list[tuple[str, bytes]]:
    unknown = order(
        guid="DDDDDDDD-2222-3333-4444-555555555555", ebpCode="9999999999", ebcCode="9999999999"
    ).replace(b"<ceb:copCode>4401960001</ceb:copCode>", b"<ceb:copCode>9999999999</ceb:copCode>")
    files = [
        ("0000001_CEB311_T1.xml", order()),
        ("0000002_CEB411_T1.xml", payment()),
        ("0000003_CEB511_T1.xml", waybill()),
        ("0000004_CEB621_T1.xml", inventory()),
        ("0000005_CEB311_broken.xml", b"<ceb:CEB311Message><unclosed>"),
        ("0000006_CEB311_T1.xml", order()),  # re-delivered
        ("0000007_CEB311_unknown.xml", unknown),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / name).write_bytes(data)
    return files


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_ingest_folder_json_lines(
    tmp_path: Path, filed: dict[str, str], db: sessionmaker[Session], store_env: None
) -> None:
    _drop(tmp_path / "drop")
    result = runner.invoke(app, ["ingest", str(tmp_path / "drop"), "--json"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert [line["source"] for line in lines] == sorted(str(line["source"]) for line in lines)
    by_source = {line["source"]: line for line in lines}
    assert by_source["0000001_CEB311_T1.xml"]["returnStatus"] == 120
    assert by_source["0000004_CEB621_T1.xml"]["receiptType"] == "CEB622"
    broken = by_source["0000005_CEB311_broken.xml"]
    assert broken["accepted"] is False
    assert broken["receiptType"] == "CEB900"
    assert "xml.well-formed" in str(broken["returnInfo"])
    assert by_source["0000006_CEB311_T1.xml"]["duplicate"] is True
    assert (
        by_source["0000006_CEB311_T1.xml"]["receiptId"]
        == by_source["0000001_CEB311_T1.xml"]["receiptId"]
    )
    unknown = by_source["0000007_CEB311_unknown.xml"]
    assert unknown["accepted"] is False
    assert "not a filed enterprise" in str(unknown["returnInfo"])
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 4
        assert s.scalar(select(func.count()).select_from(DeadLetter)) == 2
    assert "ingested 7 messages" in result.stderr


def test_ingest_zip_and_list_receipts(
    tmp_path: Path,
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "220")  # the dead-letter table is wide
    files = _drop(tmp_path / "drop")
    archive = tmp_path / "drop.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files:
            z.writestr(f"messages/{name}", data)
    result = runner.invoke(app, ["ingest", str(archive), "--json", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == 7
    listing = runner.invoke(app, ["receipts", "list", "4401960005", "--xml"])
    assert listing.exit_code == 0, listing.output
    assert "<InventoryReturn>" in listing.stdout
    assert "<returnStatus>120</returnStatus>" in listing.stdout
    dead = runner.invoke(app, ["receipts", "dead-letters"])
    assert dead.exit_code == 0
    assert "0000005_CEB311_broken.xml" in dead.stdout


def test_ingest_of_nothing_is_a_clear_error(tmp_path: Path, store_env: None) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "is not a file, folder or zip" in result.stderr
