"""``cbec audit ...``: verify the audit chain and read the log (personal data masked)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cbec.audit import service
from cbec.audit.chain import canonical_json
from cbec.audit.schemas import AuditEntryOut
from cbec.commandline import unit_of_work
from cbec.errors import BadRequest
from cbec.months import check_moment

app = typer.Typer(help="The audit log: verify its hash chain, read it.", no_args_is_help=True)
console = Console()


@app.command("verify")
def verify_command() -> None:
    """Walk the hash chain from the first entry; exit 1 at the first broken link."""
    with unit_of_work() as session:
        result = service.verify(session)
    if result.ok:
        typer.echo(f"audit log intact: {result.checked} entries, head {result.head_hash}")
        return
    typer.echo(
        f"audit log BROKEN at entry {result.broken_id}: {result.problem} "
        f"({result.checked} entries intact before it, last good hash {result.head_hash})",
        err=True,
    )
    raise typer.Exit(1)


def _subject(value: str) -> tuple[str, str]:
    kind, sep, key = value.partition(":")
    if not sep or not kind or not key:
        raise typer.BadParameter(f"expected KIND:KEY (declaration:I0001), got {value!r}")
    return kind, key


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give a UTC offset: 2026-11-27T08:00:00+08:00")
    try:
        return check_moment(moment, "--since")
    except BadRequest as exc:
        raise typer.BadParameter(exc.detail, param_hint="--since") from None


@app.command("log")
def log_command(
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only entries about KIND:KEY.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Only entries by this actor.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action (declaration.approve).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only at or after this ISO time (with offset).")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=service.SEARCH_MAX, help="At most this many.")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show audit entries, newest first, personal data masked."""
    subject_kind, subject_key = _subject(subject) if subject else (None, None)
    since_at = _since(since) if since else None
    with unit_of_work() as session:
        found = [
            AuditEntryOut.of(e)
            for e in service.search(
                session,
                actor=actor,
                action=action,
                since=since_at,
                subject_kind=subject_kind,
                subject_key=subject_key,
                limit=limit,
            )
        ]
    if as_json:
        typer.echo(
            json.dumps([e.model_dump(mode="json") for e in found], ensure_ascii=False, indent=2)
        )
        return
    table = Table()
    for column in ("id", "at (UTC)", "actor", "action", "subject", "reason", "details"):
        table.add_column(column, overflow="fold")
    for e in found:
        cells = (
            str(e.id),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            f"{e.actor_kind}:{e.actor}",
            e.action,
            f"{e.subject_kind}:{e.subject_key}",
            e.reason or "",
            canonical_json(e.details) if e.details else "",
        )
        # Text cells: reasons and details are data, never Rich markup.
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    typer.echo(f"{len(found)} entr{'y' if len(found) == 1 else 'ies'}")
