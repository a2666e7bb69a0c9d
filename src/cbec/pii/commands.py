"""``cbec pii ...``: which keys seal the stored personal data, re-sealing it under the
current key, and erasing what the retention period no longer allows."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cbec.commandline import fail, unit_of_work
from cbec.config import get_settings
from cbec.errors import BadRequest, CbecError, FieldError
from cbec.pii import service
from cbec.privacy import current_key_id
from cbec.store import open_store

app = typer.Typer(
    help="Personal data at rest: keys (census, rotation) and retention (purge).",
    no_args_is_help=True,
)
console = Console()
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("keys")
def keys_command(as_json: AsJson = False) -> None:
    """How many stored values each key sealed, per column (the current key is starred)."""
    with unit_of_work() as session:
        census = service.key_census(session)
    current = current_key_id()
    if as_json:
        print(json.dumps({"current": current, "columns": census}))
        return
    table = Table("column", "values per key id", title=f"current key {current}")
    for column, tally in census.items():
        shown = ", ".join(f"{k}{'*' if k == current else ''}: {n:,}" for k, n in tally.items())
        table.add_row(column, shown or "-")
    console.print(table)


@app.command("rotate")
def rotate_command(
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = service.BATCH,
    as_json: AsJson = False,
) -> None:
    """Seal again under the current key (CBEC_PII_KEY) what older keys (CBEC_PII_OLD_KEYS)
    sealed; afterwards the old keys can be removed."""
    factory = open_store(get_settings().database_url)
    try:
        counts = service.rotate(factory, batch=batch)
    except CbecError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps({"current": current_key_id(), "resealed": counts}))
        return
    for column, n in counts.items():
        typer.echo(f"{column}: {n:,} re-sealed")
    typer.echo(f"everything is sealed under key {current_key_id()}")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            BadRequest(
                "not a date",
                fields=[FieldError("--before", "date.iso", f"{value!r} is not YYYY-MM-DD")],
            )
        ) from None


@app.command("purge")
def purge_command(
    before: Annotated[
        str, typer.Option("--before", help="Erase what was finished before this day (YYYY-MM-DD).")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Allow a date within the retention period.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why, for the audit log.")] = "retention period over",
    as_json: AsJson = False,
) -> None:
    """Erase the personal data of lists, messages, dead letters, disputes and notices
    finished before --before (names, ID numbers, phones, addresses); decisions, taxes,
    receipts and counts stay. Refuses a date within CBEC_PII_RETENTION_DAYS unless --force."""
    day = _date(before)
    settings = get_settings()
    try:
        service.check_before(day, settings.pii_retention_days, force=force)
        report = service.purge(open_store(settings.database_url), day, reason=reason)
    except CbecError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    for what, n in report.as_dict().items():
        typer.echo(f"{what}: {n}")
