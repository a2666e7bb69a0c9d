"""Every output path of the ``cbec`` command (files and folders it writes) that cannot be
written is refused before any work is done, in one line naming the option and the rule
``writable``, with exit code 1: never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cbec.cli import app

runner = CliRunner()


def cbec(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def refused(result: Any, option: str, what: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {option}: a {what} that can be written ("), (
        result.stderr
    )
    assert result.stderr.endswith(" [writable]\n")
    assert "Traceback" not in result.output


FILES = [
    ("--out", ["risk", "features", "--out", "{missing}/f.csv"]),
    ("--out", ["network", "components", "--out", "{missing}/c.parquet"]),
    ("--svg", ["network", "show", "1", "--svg", "{missing}/x.svg"]),
    ("--out", ["network", "payments", "export", "4401960001", "--out", "{missing}/r.csv"]),
    ("--out", ["risk", "features", "--out", "{folder}.csv"]),
]


@pytest.mark.parametrize(("option", "args"), FILES, ids=[" ".join(a[:2]) for _, a in FILES])
def test_an_output_file_that_cannot_be_written_is_one_line(
    option: str, args: list[str], store_env: None, tmp_path: Path
) -> None:
    (tmp_path / "folder.csv").mkdir()
    filled = [a.format(missing=tmp_path / "no" / "such", folder=tmp_path / "folder") for a in args]
    refused(cbec(*filled), option, "file")


FOLDERS = [
    ("--out", ["export-data", "--out", "{file}"]),
    ("--out", ["export-data", "--out", "{file}/sub"]),
    ("--out", ["sim", "--orders", "5", "--seed", "1", "--out", "{file}"]),
    ("--out", ["sim-exports", "--lists", "5", "--out", "{file}"]),
    ("OUT", ["messages", "xsd", "{file}/sub"]),
    (
        "--models-dir",
        [
            "risk",
            "train",
            "--data",
            "x.csv",
            "--mapping",
            "kcs",
            "--name",
            "m",
            "--models-dir",
            "{file}",
        ],
    ),
    ("--models-dir", ["risk", "benchmark", "kcs", "--save", "m", "--models-dir", "{file}"]),
]


@pytest.mark.parametrize(("option", "args"), FOLDERS, ids=[" ".join(a[:2]) for _, a in FOLDERS])
def test_an_output_folder_that_cannot_be_written_is_one_line(
    option: str, args: list[str], store_env: None, tmp_path: Path
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder", encoding="utf-8")
    refused(cbec(*[a.format(file=blocker) for a in args]), option, "folder")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_the_check_leaves_no_file_behind_nor_changes_one(store_env: None, tmp_path: Path) -> None:
    picture = tmp_path / "x.svg"
    missing = cbec("network", "show", "999", "--svg", picture)
    assert missing.exit_code == 1
    assert missing.stderr == "error: network 999 does not exist\n"
    assert not picture.exists()
    picture.write_text("kept", encoding="utf-8")
    assert cbec("network", "show", "999", "--svg", picture).exit_code == 1
    assert picture.read_text(encoding="utf-8") == "kept"


def test_a_writable_output_is_written(store_env: None, tmp_path: Path) -> None:
    out = tmp_path / "new" / "tables"
    written = cbec("export-data", "--out", out, "--table", "risk_flags")
    assert written.exit_code == 0, written.output
    assert (out / "risk_flags.parquet").exists()
