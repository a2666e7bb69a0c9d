"""The output: same seed and options give the same bytes; the command writes the layout."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cbec.cli import app
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from tests.sim.reading import folder_digest

SMALL = Options(orders=300, seed=5)


def _written(
    out: Path, options: Options = SMALL, *, as_zip: bool = False, workers: int | None = None
) -> Path:
    write(generate(options), out, as_zip=as_zip, workers=workers)
    return out


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = folder_digest(_written(tmp_path / "a"))
    assert first == folder_digest(_written(tmp_path / "b"))


def test_two_writer_processes_write_the_same_bytes(tmp_path: Path) -> None:
    one = folder_digest(_written(tmp_path / "one", workers=1))
    assert one == folder_digest(_written(tmp_path / "two", workers=2))


def test_another_seed_or_option_changes_the_day(tmp_path: Path) -> None:
    base = folder_digest(_written(tmp_path / "base"))
    assert base != folder_digest(_written(tmp_path / "seed", Options(orders=300, seed=6)))
    assert base != folder_digest(
        _written(tmp_path / "share", Options(orders=300, seed=5, bonded_share=0.9))
    )


def test_zip_holds_the_same_messages_and_is_reproducible(tmp_path: Path) -> None:
    folder = _written(tmp_path / "folder")
    zipped = _written(tmp_path / "zip", as_zip=True)
    again = _written(tmp_path / "again", as_zip=True, workers=2)
    assert (zipped / "messages.zip").read_bytes() == (again / "messages.zip").read_bytes()
    assert not (zipped / "messages").exists()
    with zipfile.ZipFile(zipped / "messages.zip") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == sorted(names)
        for name in names:
            assert archive.read(name) == (folder / "messages" / name).read_bytes()
    assert (zipped / "labels.json").read_bytes() == (folder / "labels.json").read_bytes()


def test_the_options_shape_the_day() -> None:
    day = generate(Options(orders=400, seed=2, bonded_share=0.0, fraud_rate=0.0))
    assert {o.trade_mode for o in day.orders} == {"9610"}
    assert not any(o.patterns for o in day.orders)
    assert len(day.orders) == 400
    with pytest.raises(ValueError, match="fraud-rate"):
        Options(fraud_rate=1.5)


def test_refuses_to_mix_with_an_earlier_run(tmp_path: Path) -> None:
    _written(tmp_path)
    with pytest.raises(FileExistsError):
        _written(tmp_path)


def test_the_command_writes_the_layout(tmp_path: Path) -> None:
    out = tmp_path / "day"
    result = CliRunner().invoke(
        app, ["sim", "--orders", "50", "--seed", "3", "--out", str(out), "--date", "2026-06-18"]
    )
    assert result.exit_code == 0, result.output
    assert "CEB621" in result.output
    assert "identity_pool" in result.output
    names = sorted(p.name for p in (out / "messages").iterdir())
    assert len(names) >= 200
    assert names[0].startswith("0000001_")
    assert b"<ceb:declTime>20260618</ceb:declTime>" in b"".join(
        (out / "messages" / n).read_bytes() for n in names if "_CEB621_" in n
    )
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    assert labels["seed"] == 3
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    assert registry["format"] == "cbec-registry/1"


def test_the_command_zips_and_checks_its_options(tmp_path: Path) -> None:
    runner = CliRunner()
    zipped = runner.invoke(app, ["sim", "--orders", "50", "--out", str(tmp_path), "--zip"])
    assert zipped.exit_code == 0, zipped.output
    assert (tmp_path / "messages.zip").is_file()
    again = runner.invoke(app, ["sim", "--orders", "50", "--out", str(tmp_path), "--zip"])
    assert again.exit_code == 2
    bad_date = runner.invoke(app, ["sim", "--out", str(tmp_path / "x"), "--date", "11/11"])
    assert bad_date.exit_code == 2
    bad_share = runner.invoke(app, ["sim", "--out", str(tmp_path / "y"), "--bonded-share", "2"])
    assert bad_share.exit_code == 2
