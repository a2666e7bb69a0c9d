"""``cbec ingest PATH`` (a file drop: file, folder or zip of messages) and ``cbec receipts``."""

from __future__ import annotations

import json
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cbec.bounds import BIGINT_MAX
from cbec.config import get_settings, tune_gc
from cbec.intake.prepare import Prepared, Rejected, prepare_many
from cbec.intake.service import Intake, Outcome, list_receipts, receipt_message
from cbec.messages import codec
from cbec.privacy import scrub
from cbec.store import open_store, session_scope

console = Console(stderr=True, soft_wrap=True)
receipts_app = typer.Typer(help="Receipts owed to senders, and dead letters.", no_args_is_help=True)

#: A message to read: (name shown and kept as its source, file path, zip member or "").
Locator = tuple[str, str, str]
MESSAGE_SUFFIXES = (".xml", ".json")


def locate(path: Path) -> list[Locator]:
    """Every message under ``path`` (a file, a folder, or a zip), in name order (which is
    arrival order for what ``cbec sim`` writes)."""
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MESSAGE_SUFFIXES
        )
        return [(str(p.relative_to(path)), str(p), "") for p in files]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted(
                i.filename
                for i in archive.infolist()
                if not i.is_dir() and i.filename.lower().endswith(MESSAGE_SUFFIXES)
            )
        return [(name, str(path), name) for name in names]
    if path.is_file():
        return [(path.name, str(path), "")]
    raise typer.BadParameter(f"{path} is not a file, folder or zip", param_hint="PATH")


def load_and_prepare(
    chunk: list[Locator], max_bytes: int, keep_messages: bool = True
) -> list[Prepared | Rejected]:
    """Read and prepare one chunk (also in a worker process, which keeps no messages: see
    :attr:`Prepared.message`). At most ``max_bytes + 1`` bytes of any file are read, so an
    oversized member cannot exhaust memory."""
    items: list[tuple[str, bytes]] = []
    archive: zipfile.ZipFile | None = None
    try:
        for name, file, member in chunk:
            if member:
                if archive is None or archive.filename != file:
                    archive = zipfile.ZipFile(file)
                with archive.open(member) as handle:
                    items.append((name, handle.read(max_bytes + 1)))
            else:
                with open(file, "rb") as handle:
                    items.append((name, handle.read(max_bytes + 1)))
    finally:
        if archive is not None:
            archive.close()
    return prepare_many(items, max_bytes, keep_messages=keep_messages)


def _chunks(items: list[Locator], size: int) -> Iterator[list[Locator]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _prepared_batches(
    locators: list[Locator], batch_size: int, workers: int, max_bytes: int
) -> Iterator[list[Prepared | Rejected]]:
    chunks = list(_chunks(locators, batch_size))
    if workers <= 0 or len(chunks) <= 1:
        for chunk in chunks:
            yield load_and_prepare(chunk, max_bytes)
        return
    # Parsing and validation run in worker processes; this process only writes.
    with get_context("spawn").Pool(workers, initializer=tune_gc) as pool:
        yield from pool.imap(_load_star, [(c, max_bytes) for c in chunks])


def _load_star(args: tuple[list[Locator], int]) -> list[Prepared | Rejected]:
    return load_and_prepare(*args, keep_messages=False)


def ingest(
    path: Path = typer.Argument(..., help="A message file, a folder of them, or a zip."),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON line per message on stdout (type, key, outcome)."
    ),
    batch_size: int = typer.Option(
        0, help="Messages per transaction (default CBEC_INGEST_BATCH_SIZE)."
    ),
    workers: int = typer.Option(
        1, help="Processes that parse and validate beside the one that writes (0: none)."
    ),
) -> None:
    """Ingest a file drop: each message is checked as if its BaseTransfer/copCode had sent it,
    answered with a receipt, and kept (accepted) or dead-lettered (rejected)."""
    settings = get_settings()
    try:
        locators = locate(path)
    except typer.BadParameter as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    if not locators:
        console.print(f"[yellow]no .xml or .json messages under {path}[/]")
        raise typer.Exit(1)
    if workers == 0:
        import os

        workers = os.cpu_count() or 1
    size = batch_size or settings.ingest_batch_size
    factory = open_store(settings.database_url)
    counts: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    progress = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} msg/s"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal and not sys.stderr.isatty(),
    )
    with progress:
        task = progress.add_task("ingest", total=len(locators), rate="-")
        done = 0
        with factory() as session:
            intake = Intake(session)  # one sender cache for the whole run
            for batch in _prepared_batches(locators, size, workers, settings.max_message_bytes):
                outcomes = intake.submit(batch)
                session.commit()
                for outcome in outcomes:
                    counts[(outcome.message_type or "unreadable", _verdict(outcome))] += 1
                    if as_json:
                        sys.stdout.write(json.dumps(_json_line(outcome), ensure_ascii=False) + "\n")
                done += len(batch)
                elapsed = time.perf_counter() - started
                progress.update(task, advance=len(batch), rate=f"{done / elapsed:,.0f}")
    elapsed = time.perf_counter() - started
    _summary(counts, len(locators), elapsed)
    if as_json:
        sys.stdout.flush()


def _verdict(outcome: Outcome) -> str:
    if outcome.duplicate:
        return "duplicate"
    return "accepted" if outcome.accepted else "rejected"


def _json_line(outcome: Outcome) -> dict[str, object]:
    return {
        "source": outcome.source,
        "type": outcome.message_type,
        "key": outcome.business_key,
        "accepted": outcome.accepted,
        "duplicate": outcome.duplicate,
        "receiptType": outcome.receipt_type,
        "returnStatus": outcome.return_status,
        "returnInfo": outcome.return_info,
        "receiptId": outcome.receipt_id,
    }


def _summary(counts: Counter[tuple[str, str]], total: int, elapsed: float) -> None:
    table = Table(
        title=f"ingested {total:,} messages in {elapsed:.1f} s ({total / elapsed:,.0f}/s)"
    )
    table.add_column("type")
    for column in ("accepted", "duplicate", "rejected"):
        table.add_column(column, justify="right")
    for kind in sorted({k for k, _ in counts}):
        table.add_row(
            kind, *(f"{counts[(kind, v)]:,}" for v in ("accepted", "duplicate", "rejected"))
        )
    console.print(table)


@receipts_app.command("list")
def list_command(
    recipient: str = typer.Argument(..., help="The enterprise's customs code."),
    after: int = typer.Option(
        0, min=0, max=BIGINT_MAX, help="Cursor: the place (seq) of the last receipt seen."
    ),
    limit: int = typer.Option(20, min=1, max=1000),
    xml: bool = typer.Option(False, "--xml", help="Print each receipt as CEB XML."),
) -> None:
    """Receipts owed to an enterprise, oldest first."""
    factory = open_store(get_settings().database_url)
    with session_scope(factory) as session:
        rows = list_receipts(session, recipient, after, limit)
        if xml:
            for row in rows:
                typer.echo(codec.to_xml(receipt_message(row), pretty=True).decode("utf-8"))
            return
        table = Table(title=f"receipts for {recipient} after {after}")
        for column in ("id", "type", "for", "key", "status", "info"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                str(r.id),
                r.message_type,
                r.ori_message_type,
                r.business_key,
                str(r.return_status),
                scrub(r.return_info),
            )
        Console().print(table)


@receipts_app.command("dead-letters")
def dead_letters_command(
    limit: int = typer.Option(20, min=1, max=1000),
    after: int = typer.Option(0, min=0, max=BIGINT_MAX, help="Only dead letters with a higher id."),
) -> None:
    """Messages that were not accepted, with the reason (personal data masked)."""
    from cbec.intake.repository import dead_letters

    factory = open_store(get_settings().database_url)
    with session_scope(factory) as session:
        table = Table(title="dead letters")
        for column in ("id", "received", "sender", "type", "stage", "source", "error"):
            table.add_column(column)
        for d in dead_letters(session, limit, after):
            table.add_row(
                str(d.id),
                d.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                d.sender_code or "-",
                d.message_type or "-",
                d.stage,
                d.source,
                scrub(d.error),
            )
        Console().print(table)
