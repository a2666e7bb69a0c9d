"""``cbec export summarise|stats`` and ``cbec warehouse stock|ledger|shelf`` from a terminal."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from cbec.cli import app, main
from tests.export.conftest import (
    AGENT,
    CARRIER,
    PLATFORM,
    Send,
    departure,
    export_list,
    export_order,
    shipped,
)

runner = CliRunner()


def test_summarise_and_stats_from_the_terminal(send: Send, store_env: None) -> None:
    send(
        *shipped(1, 2, 3),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),
        (AGENT, export_list(2, mode="9810", country="304")),
        (AGENT, export_list(3, mode="9810")),
        (CARRIER, departure([1, 2])),
    )
    late = runner.invoke(app, ["export", "summarise", "--month", "2026-10", "--on", "2026-11-20"])
    assert late.exit_code == 0, late.output
    assert "2 lists (2 lines) -> 1 summaries, 2 declarations" in late.output
    assert "LATE" in late.output
    assert "1 released list(s) of 2026-10 left out: their goods have not left yet" in late.output
    stats = runner.invoke(app, ["export", "stats", "--month", "2026-10"])
    assert stats.exit_code == 0, stats.output
    rows = [line for line in stats.output.splitlines() if "9610" in line or "9810" in line]
    assert len(rows) == 2
    bad = runner.invoke(app, ["export", "summarise", "--month", "2026-13"])
    assert bad.exit_code == 1
    assert "error: month: '2026-13' is not a month of the form YYYY-MM [export.month]" in bad.output


def test_warehouse_commands_name_a_missing_account(store_env: None, db: object) -> None:
    result = runner.invoke(app, ["warehouse", "stock", "T0000W000000"])
    assert result.exit_code == 1
    assert "no bonded account T0000W000000" in result.output
    shelf = runner.invoke(app, ["warehouse", "shelf", "--days", "0"])
    assert shelf.exit_code == 0
    assert "0 item(s)" in shelf.output


@pytest.mark.parametrize(
    ("variable", "value", "command", "bound"),
    [
        (
            "CBEC_EXPORT_SUMMARY_DEADLINE_DAY",
            "31",
            ["export", "summarise", "--month", "2026-10"],
            28,
        ),
        ("CBEC_WAREHOUSE_SHELF_DAYS", "99999999", ["warehouse", "shelf"], 36500),
    ],
)
def test_a_setting_out_of_bounds_is_named_not_a_traceback(
    store_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    command: list[str],
    bound: int,
) -> None:
    # a deadline day of 31 crashed the run (no 31 November); a shelf time of 99999999 days
    # overflowed the date
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(sys, "argv", ["cbec", *command])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert (
        f"error: {variable}: Input should be less than or equal to {bound} [less_than_equal]"
        in capsys.readouterr().err
    )
