"""``cbec warehouse stock|ledger|shelf`` on a booked entry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cbec.cli import app
from cbec.config import get_settings
from tests.warehouse.conftest import AREA, EMS, MILK, MILK_BAR, Send, entry

runner = CliRunner()


@pytest.fixture
def store_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_stock_ledger_and_shelf(send: Send, store_env: None) -> None:
    send((AREA, entry("E001", [(MILK, "12", MILK_BAR)], entry_time="20250301080000")))
    stock = runner.invoke(app, ["warehouse", "stock", EMS])
    assert stock.exit_code == 0, stock.output
    row = next(line for line in stock.output.splitlines() if MILK_BAR in line)
    assert MILK_BAR in row
    assert "12" in row.split("│")[5]
    ledger = runner.invoke(app, ["warehouse", "ledger", MILK_BAR])
    assert ledger.exit_code == 0, ledger.output
    assert "inbound" in ledger.output
    assert "E001" in ledger.output
    shelf = runner.invoke(app, ["warehouse", "shelf", "--days", "200"])
    assert MILK in shelf.output
    assert "1 item(s)" in shelf.output
