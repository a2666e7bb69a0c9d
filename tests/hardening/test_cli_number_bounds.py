"""Whole numbers past what the store (or a date) can hold, given to a ``cbec`` command, are
refused as a usage error naming the option or argument and its bound (exit code 2, as every
other out-of-range option), before anything runs: never an OverflowError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from cbec.cli import app

OVER_BIG = str(BIGINT_MAX + 1)
OVER_INT = str(INTEGER_MAX + 1)


pytestmark = pytest.mark.usefixtures("store_env")


@pytest.mark.parametrize(
    ("args", "name", "bound"),
    [
        (["tax", "show", OVER_BIG], "statement_id", BIGINT_MAX),
        (["receipts", "dead-letters", "--after", OVER_BIG], "--after", BIGINT_MAX),
        (["receipts", "list", "4401960001", "--after", OVER_BIG], "--after", BIGINT_MAX),
        (["risk", "rules", "show", OVER_INT], "rule_set_id", INTEGER_MAX),
        (["risk", "rules", "hits", "--rule-set", OVER_INT], "--rule-set", INTEGER_MAX),
        (["risk", "cases", "show", OVER_INT], "case_id", INTEGER_MAX),
        (["portrait", "rating", OVER_INT], "rating_id", INTEGER_MAX),
        (["network", "show", OVER_BIG], "network_id", BIGINT_MAX),
        (["clearance", "queue", "--status", "40000"], "--status", 32767),
        (["clearance", "sweep", "--older-than", "999999999999999"], "--older-than", 3153600000),
        (["warehouse", "shelf", "--days", "99999999999"], "--days", 36500),
        (["portrait", "show", "4401960001", "--days", "99999999999"], "--days", 3660),
        (["serve", "--port", "70000"], "--port", 65535),
    ],
)
def test_a_number_past_its_bound_is_a_usage_error_naming_it(
    args: list[str], name: str, bound: int
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"Invalid value for '{name}'" in result.output, result.output
    assert str(bound) in result.output, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["tax", "statements", "--month", "9999-12"],
        ["tax", "statements", "--month", "0000-01"],
        ["export", "summarise", "--month", "9999-12"],
        ["export", "stats", "--month", "9999-12"],
    ],
)
def test_a_month_at_the_edge_of_the_calendar_is_one_error_line(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        f"error: month: '{args[-1]}' is not a month from 1900-01 to 2999-12 "
        "[range=1900-01..2999-12]"
    ]


def test_sim_exports_refuses_a_month_it_cannot_simulate(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sim-exports", "--out", str(tmp_path), "--month", "9999-12"])
    assert result.exit_code == 2, result.output
    assert "--month" in result.output
    assert "1900-01 to 2999-12" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "name", "day"),
    [
        (["pii", "purge", "--before", "0001-01-01"], "--before", "0001-01-01"),
        (["pii", "purge", "--before", "0001-01-01", "--force"], "--before", "0001-01-01"),
        (["audit", "log", "--since", "9999-12-31T23:59:59-12:00"], "--since", "9999-12-31"),
        (["portrait", "rate", "--to", "0001-01-01T00:00:00+08:00"], "--to", "0001-01-01"),
    ],
)
def test_a_day_at_the_edge_of_the_calendar_is_one_error_line(
    args: list[str], name: str, day: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert name in result.output, result.output
    assert f"{day} is not a day from 1900-01-01 to 2999-12-31" in result.output, result.output
