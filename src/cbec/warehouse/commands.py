"""``cbec warehouse ...``: a bonded account's stock, one item's ledger, goods past their
shelf time. (Counts and on-the-spot instructions come from the officers' handhelds, over
``/api/v1/scan``.)"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cbec.commandline import unit_of_work
from cbec.config import get_settings
from cbec.warehouse.service import Warehouse, shelf_days

app = typer.Typer(help="Bonded warehouses: stock, ledger, shelf time.", no_args_is_help=True)


def _console() -> Console:
    # made per command: the terminal width is read when a Console is made
    return Console()


def _document(document_id: int | None, count_id: int | None) -> str:
    if document_id is not None:
        return f"document {document_id}"
    return f"count {count_id}" if count_id is not None else "-"


def _n(value: object) -> str:
    return f"{value:f}".rstrip("0").rstrip(".") if value is not None else "-"


@app.command("stock")
def stock_command(ems_no: str = typer.Argument(..., help="The bonded account (emsNo).")) -> None:
    """Every item on a bonded account: on hand, pending outbound, free, days on the shelf."""
    with unit_of_work() as session:
        warehouse = Warehouse(session)
        account, goods = warehouse.account_goods(ems_no)
        now = warehouse.clock()
        table = Table(title=f"account {account.ems_no} (zone operator {account.area_code})")
        for column in (
            "itemRecordNo",
            "bar code",
            "goods",
            "HS",
            "on hand",
            "pending out",
            "free",
            "days",
        ):
            table.add_column(column)
        for g in goods:
            days = shelf_days(g.stock_since, now)
            table.add_row(
                g.item_record_no,
                g.bar_code or "-",
                g.gname,
                g.gcode,
                _n(g.on_hand),
                _n(g.reserved),
                _n(g.on_hand - g.reserved),
                "-" if days is None else str(days),
            )
        _console().print(table)


@app.command("ledger")
def ledger_command(
    code: str = typer.Argument(..., help="Bar code or item record number."),
    ems_no: str | None = typer.Option(None, "--ems-no", help="The account, if several hold it."),
) -> None:
    """Every movement of one item, with the document behind it."""
    with unit_of_work() as session:
        goods, account, movements = Warehouse(session).ledger(code, ems_no)
        table = Table(title=f"{account.ems_no} / {goods.item_record_no} {goods.gname}")
        for column in (
            "at",
            "kind",
            "on hand ±",
            "reserved ±",
            "on hand",
            "reserved",
            "document",
            "reference",
            "reason",
        ):
            table.add_column(column)
        for m in movements:
            table.add_row(
                f"{m.at:%Y-%m-%d %H:%M}",
                m.kind,
                _n(m.on_hand_delta),
                _n(m.reserved_delta),
                _n(m.on_hand_after),
                _n(m.reserved_after),
                _document(m.document_id, m.count_id),
                m.reference,
                m.reason[:60],
            )
        _console().print(table)


@app.command("shelf")
def shelf_command(
    days: int | None = typer.Option(
        None,
        min=0,
        max=36500,  # as GET /api/v1/warehouse/...?days= (a hundred years)
        help="Older than this many days (default CBEC_WAREHOUSE_SHELF_DAYS).",
    ),
) -> None:
    """Goods whose oldest stock has been on the shelf longer than ``--days``."""
    limit = days if days is not None else get_settings().warehouse_shelf_days
    with unit_of_work() as session:
        found = Warehouse(session).over_shelf_time(limit)
        table = Table(title=f"goods on the shelf more than {limit} days")
        for column in ("account", "itemRecordNo", "goods", "on hand", "days"):
            table.add_column(column)
        for f in found:
            table.add_row(
                f.account.ems_no,
                f.goods.item_record_no,
                f.goods.gname,
                _n(f.goods.on_hand),
                str(f.shelf_days),
            )
        _console().print(table)
        _console().print(f"{len(found)} item(s)")
