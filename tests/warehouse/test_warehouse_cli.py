"""``cbec warehouse stock|ledger|shelf`` on a booked entry."""

from __future__ import annotations

from typer.testing import CliRunner

from cbec.cli import app
from tests.warehouse.conftest import AREA, EMS, MILK, MILK_BAR, Send, entry

runner = CliRunner()


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
