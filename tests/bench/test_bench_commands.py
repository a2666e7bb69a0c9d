"""The benchmarks run end to end on a small day and print their figures (speed targets are
met in benchmarks, never in timed tests: these check what is printed, not how fast)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cbec.bench import commands
from cbec.bench.commands import app
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables one row a line (the module's console is sized when it is made)."""
    monkeypatch.setattr(commands, "console", Console(width=200))


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-day")
    write(generate(Options(orders=80, seed=5)), out, as_zip=False)
    return out


def _row(output: str, name: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith("│") and name in line)
    return [cell.strip() for cell in line.split("│") if cell.strip()]


def test_bench_ingest_prints_each_configuration_against_the_raw_parse(day: Path) -> None:
    result = runner.invoke(
        app,
        ["ingest", "--dir", str(day), "--sqlite-only", "--batch-size", "100"],
    )
    assert result.exit_code == 0, result.output
    messages = len(list((day / "messages").glob("*.xml")))
    for name in ("raw lxml parse", "parse + validate", "SQLite, one process", "1 parsing"):
        cells = _row(result.output, name)
        assert cells[1] == f"{messages:,}"
        assert float(cells[3].replace(",", "")) > 0
        assert re.fullmatch(r"\d+%", cells[4])
    assert _row(result.output, "raw lxml parse")[4] == "100%"


def test_bench_clearance_prints_lists_decided_by_status_and_latency(day: Path) -> None:
    result = runner.invoke(
        app,
        ["clearance", "--dir", str(day), "--sqlite-only", "--workers", "0"],
    )
    assert result.exit_code == 0, result.output
    cells = _row(result.output, "SQLite, batches of 500")
    assert int(cells[2].replace(",", "")) >= 70  # of the day's 80 lists, fraud included
    assert "800:" in cells[5]  # released lists among the statuses
    latency = _row(result.output, "one message per commit")
    assert int(latency[1]) > 0
    assert 0 < float(latency[2]) <= float(latency[3]) <= float(latency[4])
