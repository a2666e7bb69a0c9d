"""``cbec worker`` (one queue worker) and ``cbec queue send|status``."""

from __future__ import annotations

import asyncio
import json
import signal
import zipfile
from pathlib import Path

import typer
from nats.js.errors import NotFoundError

from cbec import assembly
from cbec.config import Settings, get_settings
from cbec.intake.commands import locate
from cbec.privacy import configure_logging
from cbec.queue import broker
from cbec.queue.handling import Handler
from cbec.queue.names import Names
from cbec.queue.sender import send
from cbec.queue.worker import Worker
from cbec.store import open_store

queue_app = typer.Typer(help="Queue intake over NATS JetStream.", no_args_is_help=True)

_URL = typer.Option(None, "--url", help="NATS server (default CBEC_QUEUE_URL).")
_PREFIX = typer.Option(None, help="Subject prefix (default CBEC_QUEUE_PREFIX).")
_STREAM = typer.Option(None, help="Inbound stream (default CBEC_QUEUE_STREAM).")
_RECEIPTS = typer.Option(None, help="Receipts stream (default CBEC_QUEUE_RECEIPTS_STREAM).")
_CONSUMER = typer.Option(None, help="The group's durable consumer (CBEC_QUEUE_CONSUMER).")


def _names(
    settings: Settings,
    prefix: str | None,
    stream: str | None,
    receipts: str | None,
    consumer: str | None,
) -> Names:
    try:
        return Names(
            prefix or settings.queue_prefix,
            stream or settings.queue_stream,
            receipts or settings.queue_receipts_stream,
            consumer or settings.queue_consumer,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def worker(
    url: str | None = _URL,
    prefix: str | None = _PREFIX,
    stream: str | None = _STREAM,
    receipts_stream: str | None = _RECEIPTS,
    consumer: str | None = _CONSUMER,
    batch: int = typer.Option(0, help="Messages fetched at once (default CBEC_QUEUE_BATCH)."),
    ack_wait: float = typer.Option(
        0, help="Seconds before an unacknowledged message goes to another worker."
    ),
    until_idle: float = typer.Option(
        0, help="Stop once nothing has arrived for this many seconds (0: run until SIGTERM)."
    ),
) -> None:
    """Run one queue worker: messages from the inbound stream go through intake (and
    clearance) on CBEC_DATABASE_URL; each is acknowledged after its transaction commits and
    answered on <prefix>.receipts.<copCode>. Start several for a worker group."""
    settings = get_settings()
    configure_logging(settings.log_level)
    names = _names(settings, prefix, stream, receipts_stream, consumer)
    factory = open_store(settings.database_url)
    assembly.configure(settings)
    assembly.install_hooks()
    handler = Handler(
        factory,
        names,
        assembly.intake_listeners(settings),
        max_bytes=settings.max_message_bytes,
    )
    runner = Worker(
        handler,
        names,
        url=url or settings.queue_url,
        batch=batch or settings.queue_batch,
        ack_wait=ack_wait or settings.queue_ack_wait_seconds,
        max_attempts=settings.queue_max_attempts,
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runner.stop.set)
        await runner.run(until_idle or None)

    try:
        asyncio.run(main())
    except broker.Unreachable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    s = runner.stats
    typer.echo(
        f"worker: {s.fetched} fetched ({s.redelivered} delivered again), "
        f"{s.acknowledged} acknowledged, {s.retried} to retry, "
        f"{s.dead_lettered} dead-lettered in {s.seconds:.1f} s",
        err=True,
    )


@queue_app.command("send")
def send_command(
    path: Path = typer.Argument(..., help="A message file, a folder of them, or a zip."),
    key: str | None = typer.Option(
        None, envvar="CBEC_API_KEY", help="The sender's API key (cbec_<id>_<secret>)."
    ),
    keys: Path | None = typer.Option(
        None, help="A JSON file {customsCode: apiKey} (cbec registry import --keys-out)."
    ),
    code: str | None = typer.Option(
        None, help="Publish every message as this sender's (default: each one's copCode)."
    ),
    url: str | None = _URL,
    prefix: str | None = _PREFIX,
    stream: str | None = _STREAM,
    receipts_stream: str | None = _RECEIPTS,
) -> None:
    """Publish a file, folder or zip of messages (name order) to the inbound stream, each
    to <prefix>.in.<copCode> with its sender's key; receipts come back on
    <prefix>.receipts.<copCode> (and GET /api/v1/receipts)."""
    settings = get_settings()
    names = _names(settings, prefix, stream, receipts_stream, None)
    if (key is None) == (keys is None):
        raise typer.BadParameter("give exactly one of --key and --keys")
    table: dict[str, str] = json.loads(keys.read_text(encoding="utf-8")) if keys else {}

    def key_for(who: str) -> str | None:
        return key if key is not None else table.get(who)

    try:
        locators = locate(path)
    except typer.BadParameter as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    items = []
    for locator in locators:  # read as ingest does (at most max_bytes + 1 of any file)
        name, file, member = locator
        if member:
            with zipfile.ZipFile(file) as archive, archive.open(member) as handle:
                items.append((name, handle.read(settings.max_message_bytes + 1)))
        else:
            with open(file, "rb") as handle:
                items.append((name, handle.read(settings.max_message_bytes + 1)))
    try:
        sent = asyncio.run(send(url or settings.queue_url, names, items, key_for, code=code))
    except broker.Unreachable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for name, why in sent.skipped.items():
        typer.echo(f"skipped {name}: {why}", err=True)
    seqs = sorted(sent.sequences.values())
    span = f" (stream sequences {seqs[0]}..{seqs[-1]})" if seqs else ""
    again = f", {len(sent.duplicates)} of them already there" if sent.duplicates else ""
    typer.echo(
        f"published {len(sent.sequences)} of {len(items)} messages to {names.stream}{span}{again}"
    )
    if sent.skipped:
        raise typer.Exit(1)


@queue_app.command("status")
def status_command(
    url: str | None = _URL,
    stream: str | None = _STREAM,
    consumer: str | None = _CONSUMER,
) -> None:
    """Messages waiting in the inbound stream, and the worker group's progress."""
    settings = get_settings()
    names = _names(settings, None, stream, None, consumer)

    async def main() -> dict[str, object]:
        nc = await broker.connect(url or settings.queue_url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(names.stream)
            out: dict[str, object] = {"stream": names.stream, "messages": info.state.messages}
            try:
                c = await js.consumer_info(names.stream, names.consumer)
            except NotFoundError:
                return out
            out.update(
                consumer=names.consumer,
                pending=c.num_pending,
                ackPending=c.num_ack_pending,
                redelivered=c.num_redelivered,
                waiting=c.num_waiting,
            )
            return out
        finally:
            await nc.drain()

    try:
        typer.echo(json.dumps(asyncio.run(main())))
    except broker.Unreachable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except NotFoundError:
        typer.echo(f"error: no stream {names.stream}", err=True)
        raise typer.Exit(1) from None
