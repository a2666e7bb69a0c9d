"""``cbec export ...``: the month's summary declarations, the declarations made, and
statistics per trade mode."""

from __future__ import annotations

import json
import time
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from cbec.commandline import unit_of_work
from cbec.config import get_settings
from cbec.export.service import Exports, run_day
from cbec.store.models import utcnow

app = typer.Typer(help="Exports: summary declarations and statistics.", no_args_is_help=True)


def _console() -> Console:
    # made per command: the terminal width is read when a Console is made
    return Console()


def _on(value: str | None) -> date:
    if value is None:
        return run_day(utcnow())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint="--on") from None


@app.command("summarise")
def summarise_command(
    month: str = typer.Option(..., "--month", help="The month summarised, YYYY-MM."),
    key: str | None = typer.Option(
        None, "--key", help="Grouping fields, comma-separated (default CBEC_EXPORT_SUMMARY_KEY)."
    ),
    on: str | None = typer.Option(None, "--on", help="The day of the run (default today)."),
) -> None:
    """Gather the month's closed B-flag export lists (released, goods left) into
    declarations (CEB701/CEB792); released lists whose goods have not left are counted."""
    settings = get_settings()
    with unit_of_work() as session:
        started = time.perf_counter()
        run = Exports(session).summarise(
            month,
            run_on=_on(on),
            key=key or settings.export_summary_key,
            deadline_day=settings.export_summary_deadline_day,
        )
        seconds = time.perf_counter() - started
        table = Table(
            title=f"export declarations of {run.period}" + (" (LATE)" if run.late else "")
        )
        for column in (
            "entryId",
            "ebc",
            "mode",
            "country",
            "port",
            "HS lines",
            "lists",
            "value",
            "late",
        ):
            table.add_column(column)
        for d in run.declarations[:50]:
            table.add_row(
                d.entry_id or "",
                d.ebc_code,
                d.trade_mode,
                d.country,
                d.port_code,
                str(len(json.loads(d.lines))),
                str(d.list_count),
                f"{d.total_price:.2f}",
                "yes" if d.late else "",
            )
        _console().print(table)
        if run.declaration_count > 50:
            _console().print(f"... and {run.declaration_count - 50:,} more")
        _console().print(
            f"{run.lists:,} lists ({run.list_lines:,} lines) -> {len(run.summaries)} summaries, "
            f"{run.declaration_count:,} declarations in {seconds:.2f} s; key {','.join(run.key)}"
            + ("; LATE: after the deadline" if run.late else "")
        )
        if run.not_exited:
            _console().print(
                f"{run.not_exited:,} released list(s) of {run.period} left out: their goods "
                "have not left yet (no departure, CEB509); a later run takes them"
            )


@app.command("stats")
def stats_command(month: str = typer.Option(..., "--month", help="YYYY-MM.")) -> None:
    """Lists and declarations of the month per trade mode (9610, 9710, 9810, 1210 apart)."""
    with unit_of_work() as session:
        table = Table(title=f"exports of {month}")
        for column in (
            "mode",
            "lists",
            "released",
            "exited",
            "rejected",
            "waiting",
            "value released",
            "declarations",
            "lists summarised",
        ):
            table.add_column(column)
        for mode, s in Exports(session).statistics(month).items():
            table.add_row(
                mode,
                f"{s['lists']:,}",
                f"{s['released']:,}",
                f"{s['exited']:,}",
                f"{s['rejected']:,}",
                f"{s['awaiting']:,}",
                f"{s['releasedValue']:.2f}",
                f"{s['declarations']:,}",
                f"{s['listsSummarised']:,}",
            )
        _console().print(table)
