"""``cbec serve`` with a setting cbec cannot use: one line naming the variable and exit code
1, before uvicorn starts (not a traceback, once or from every worker)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from cbec.cli import app, main
from cbec.config import get_settings


@pytest.fixture
def started(store_env: None, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What uvicorn was asked to serve (nothing is served)."""
    runs: list[dict[str, Any]] = []

    def run(app: Any, **options: Any) -> None:
        runs.append(options)
        if not isinstance(app, str):  # one process: the app was built, and its engine
            app.state.engine.dispose()

    monkeypatch.setattr(uvicorn, "run", run)
    return runs


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one", "workers"])
@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "CBEC_EXPORT_SUMMARY_DEADLINE_DAY",
            "31",
            "Input should be less than or equal to 28 [less_than_equal]",
        ),
        (
            "CBEC_LOG_LEVEL",
            "LOUD",
            "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL' [literal_error]",
        ),
        ("CBEC_API_PORT", "99999", "Input should be less than or equal to 65535 [less_than_equal]"),
        (
            "CBEC_DATABASE_URL",
            "postgres://cbec@127.0.0.1/cbec",
            "Value error, not a store URL cbec can open (Can't load plugin: "
            "sqlalchemy.dialects:postgres): sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE [value_error]",
        ),
        (
            "CBEC_CONSUMER_RATE_PER_CLIENT",
            "10 a minute",
            "Value error, '10 a minute' is not a rate like 10/minute or 20/hour (at least 1) "
            "[value_error]",
        ),
    ],
    ids=["deadline-day", "log-level", "port", "store-url", "rate"],
)
def test_a_setting_cbec_cannot_use_is_one_line_and_nothing_is_served(
    started: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    said: str,
    workers: list[str],
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "argv", ["cbec", "serve", *workers])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines() == [f"error: {variable}: {said}"]
    assert started == []


@pytest.fixture
def cbec_logger() -> Iterator[None]:
    """The cbec logger as it was: serving gives it a handler on the runner's stderr,
    closed once the runner is done with it."""
    logger = logging.getLogger("cbec")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_a_log_level_in_small_letters_is_served(
    started: list[dict[str, Any]], cbec_logger: None
) -> None:
    result = CliRunner(env={"CBEC_LOG_LEVEL": "warning"}).invoke(app, ["serve", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert [(run["host"], run["port"]) for run in started] == [("127.0.0.1", 8123)]
