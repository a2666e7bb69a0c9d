"""``cbec bench ...``: benchmarks that print figures (never timed tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from cbec.bench import export as export_runs
from cbec.bench import network as network_runs
from cbec.bench import risk as risk_runs
from cbec.bench.clearance import latency, throughput
from cbec.bench.ingest import Rate, ingest_rate, load_day, parse_validate, raw_parse
from cbec.risk.commands import print_quality

app = typer.Typer(help="Benchmarks: print throughput figures.", no_args_is_help=True)
console = Console()

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_answers(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except OperationalError:
        return False
    return True


def _generate(out: Path, orders: int, seed: int) -> None:
    console.print(f"generating a day of {orders:,} orders (seed {seed}) in {out} ...")
    subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "cbec.cli",
            "sim",
            "--orders",
            str(orders),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@app.command("ingest")
def ingest_bench(
    orders: int = typer.Option(20_000, help="Orders in the generated day (x4+ messages)."),
    seed: int = typer.Option(1, help="Seed of the generated day."),
    day: Path | None = typer.Option(
        None, "--dir", help="Use a day already written by `cbec sim` instead of generating one."
    ),
    batch_size: int = typer.Option(1000, help="Messages per transaction."),
    workers: int = typer.Option(
        1, help="Parsing processes beside the writer in the parallel runs (0: none)."
    ),
    postgres_url: str = typer.Option(
        DEFAULT_POSTGRES, help="PostgreSQL server to measure on (a cbec_bench database is made)."
    ),
    sqlite_only: bool = typer.Option(False, help="Skip PostgreSQL."),
) -> None:
    """Messages/s for parse + validate + persist on SQLite and PostgreSQL, next to the raw
    lxml parse rate of the same files (the floor) measured in the same run."""
    with tempfile.TemporaryDirectory(prefix="cbec-bench-") as scratch:
        folder = day or Path(scratch) / "day"
        if day is None:
            _generate(folder, orders, seed)
        registry, items = load_day(folder)
        console.print(f"{len(items):,} messages loaded into memory; {os.cpu_count()} cores")
        rates: list[Rate] = [raw_parse(items), parse_validate(items, batch_size)]
        sqlite_url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        rates.append(
            ingest_rate(
                "SQLite, one process", sqlite_url, registry, items, batch_size=batch_size, workers=0
            )
        )
        if workers > 0:
            rates.append(
                ingest_rate(
                    f"SQLite, {workers} parsing process(es) + the writer",
                    sqlite_url,
                    registry,
                    items,
                    batch_size=batch_size,
                    workers=workers,
                )
            )
        if not sqlite_only:
            if _postgres_answers(postgres_url):
                rates.append(
                    ingest_rate(
                        f"PostgreSQL, {workers} parsing process(es) + the writer",
                        postgres_url,
                        registry,
                        items,
                        batch_size=batch_size,
                        workers=workers,
                    )
                )
            else:
                console.print(f"[yellow]PostgreSQL at {postgres_url} does not answer: skipped[/]")
    floor = rates[0].per_second
    table = Table(title="cbec bench ingest (parse + validate + persist)")
    for column, justify in (
        ("configuration", "left"),
        ("messages", "right"),
        ("seconds", "right"),
        ("msg/s", "right"),
        ("of raw parse", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rate in rates:
        table.add_row(
            rate.name,
            f"{rate.messages:,}",
            f"{rate.seconds:.2f}",
            f"{rate.per_second:,.0f}",
            f"{rate.per_second / floor:.0%}",
        )
    console.print(table)
    for rate in rates[2:]:
        if rate.accepted == 0:
            console.print(f"[red]{rate.name}: nothing was accepted[/]")
            raise typer.Exit(1)


@app.command("clearance")
def clearance_bench(
    orders: int = typer.Option(10_000, help="Orders in the generated day."),
    seed: int = typer.Option(1, help="Seed of the generated day."),
    day: Path | None = typer.Option(None, "--dir", help="Use a day already written by cbec sim."),
    batch_size: int = typer.Option(500, help="Messages per transaction (throughput run)."),
    workers: int = typer.Option(1, help="Parsing processes beside the writer (0: none)."),
    latency_messages: int = typer.Option(
        4000, help="Messages sent one at a time for the latency run (from the day's start)."
    ),
    postgres_url: str = typer.Option(DEFAULT_POSTGRES, help="PostgreSQL server to measure on."),
    sqlite_only: bool = typer.Option(False, help="Skip PostgreSQL."),
) -> None:
    """Declarations/s through intake and clearance end to end, and p50/p99 from a list's
    last document to its decision receipt, on SQLite and PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="cbec-bench-") as scratch:
        folder = day or Path(scratch) / "day"
        if day is None:
            _generate(folder, orders, seed)
        registry, items = load_day(folder)
        console.print(f"{len(items):,} messages loaded into memory; {os.cpu_count()} cores")
        stores = [("SQLite", f"sqlite:///{Path(scratch) / 'bench.db'}")]
        if not sqlite_only:
            if _postgres_answers(postgres_url):
                stores.append(("PostgreSQL", postgres_url))
            else:
                console.print(f"[yellow]PostgreSQL at {postgres_url} does not answer: skipped[/]")
        rates = []
        delays = []
        for label, url in stores:
            rates.append(
                throughput(
                    f"{label}, batches of {batch_size}, {workers} parsing process(es) + writer",
                    url,
                    registry,
                    items,
                    batch_size=batch_size,
                    workers=workers,
                )
            )
            delays.append(
                latency(f"{label}, one message per commit", url, registry, items[:latency_messages])
            )
    table = Table(title="cbec bench clearance: throughput (intake + clearance, end to end)")
    for column in ("configuration", "messages", "lists decided", "seconds", "lists/s", "by status"):
        table.add_column(
            column, justify="left" if column in ("configuration", "by status") else "right"
        )
    for r in rates:
        table.add_row(
            r.name,
            f"{r.messages:,}",
            f"{r.declarations:,}",
            f"{r.seconds:.1f}",
            f"{r.per_second:,.0f}",
            " ".join(f"{s}:{n}" for s, n in sorted(r.statuses.items())),
        )
    console.print(table)
    lat = Table(title="latency: last document in -> decision receipt committed")
    for column in ("configuration", "decisions", "p50 ms", "p99 ms", "max ms"):
        lat.add_column(column, justify="left" if column == "configuration" else "right")
    for d in delays:
        lat.add_row(
            d.name, f"{d.samples:,}", f"{d.p50_ms:.1f}", f"{d.p99_ms:.1f}", f"{d.max_ms:.1f}"
        )
    console.print(lat)
    if any(r.declarations == 0 for r in rates):
        console.print("[red]no list was decided[/]")
        raise typer.Exit(1)


@app.command("risk")
def risk_bench(
    orders: int = typer.Option(5_000, help="Orders in the generated day."),
    seed: int = typer.Option(1, help="Seed of the generated day."),
    day: Path | None = typer.Option(None, "--dir", help="Use a day already written by cbec sim."),
    latency_messages: int = typer.Option(
        4000, help="Messages sent one at a time for the per-commit runs (from the day's start)."
    ),
    postgres_url: str = typer.Option(DEFAULT_POSTGRES, help="PostgreSQL server to measure on."),
    sqlite_only: bool = typer.Option(False, help="Skip PostgreSQL."),
) -> None:
    """What risk control (features, published and shadow rules, control instructions)
    adds to clearance per declaration: p50/p99 of the time in the risk verdict, and the
    decision latency with and without it."""
    with tempfile.TemporaryDirectory(prefix="cbec-bench-") as scratch:
        folder = day or Path(scratch) / "day"
        if day is None:
            _generate(folder, orders, seed)
        registry, items = load_day(folder)
        labels_file = folder / "labels.json"
        labels = json.loads(labels_file.read_text("utf-8")) if labels_file.exists() else None
        console.print(f"{len(items):,} messages loaded into memory; {os.cpu_count()} cores")
        stores = [("SQLite", f"sqlite:///{Path(scratch) / 'bench.db'}")]
        if not sqlite_only:
            if _postgres_answers(postgres_url):
                stores.append(("PostgreSQL", postgres_url))
            else:
                console.print(f"[yellow]PostgreSQL at {postgres_url} does not answer: skipped[/]")
        runs = []
        first = items[:latency_messages]
        for label, url in stores:
            runs.append(
                risk_runs.batches(
                    f"{label}, whole day, batches of 500", url, registry, items, labels
                )
            )
            runs.append(
                risk_runs.one_at_a_time(
                    f"{label}, one message per commit", url, registry, first, risk=True
                )
            )
            runs.append(
                risk_runs.one_at_a_time(
                    f"{label}, one message per commit, no risk control",
                    url,
                    registry,
                    first,
                    risk=False,
                )
            )
    table = Table(title="cbec bench risk: time added to each decision by the risk verdict")
    for column in ("configuration", "lists", "p50 ms", "p99 ms", "max ms", "cpu p50/p99 ms",
                   "batch read / write ms/list", "decision p50/p99 ms", "live hits", "shadow hits",
                   "seconds"):  # fmt: skip
        table.add_column(column, justify="left" if column == "configuration" else "right")
    for r in runs:
        table.add_row(
            r.name,
            f"{r.added.samples:,}" if r.added.samples else "-",
            f"{r.added.p50_ms:.3f}" if r.added.samples else "-",
            f"{r.added.p99_ms:.3f}" if r.added.samples else "-",
            f"{r.added.max_ms:.1f}" if r.added.samples else "-",
            f"{r.added_cpu.p50_ms:.3f} / {r.added_cpu.p99_ms:.3f}" if r.added.samples else "-",
            f"{r.read_ahead_ms:.3f} / {r.write_ms:.3f}" if r.read_ahead_ms else "-",
            f"{r.latency.p50_ms:.1f} / {r.latency.p99_ms:.1f}" if r.latency else "-",
            f"{r.live_hits:,}",
            f"{r.shadow_hits:,}",
            f"{r.seconds:.1f}",
        )
    console.print(table)
    for r in runs:
        if r.follow_up_ms:
            console.print(
                f"{r.name}: cases opened for case clues after the verdicts "
                f"{r.follow_up_ms:.3f} ms a verdict on average (not in the columns above)"
            )
    console.print(
        "target: the risk verdict adds under 2 ms per declaration at p99 (one message per "
        "commit: the verdict and the writing of its records; in batches, each verdict reads "
        "from what its batch read at once and its records are written with the batch's: "
        "that read and those writes, shared out, are beside it)"
    )
    for r in runs:
        if r.quality is not None:
            console.print(f"[bold]{r.name}[/]: the day's injected fraud (labels.json)")
            print_quality(r.quality)


@app.command("http")
def http_bench(
    orders: int = typer.Option(1_000, help="Orders in the generated day."),
    seed: int = typer.Option(1, help="Seed of the generated day."),
    day: Path | None = typer.Option(None, "--dir", help="Use a day already written by cbec sim."),
    messages: int = typer.Option(3000, help="Messages posted (from the day's start)."),
    concurrency: int = typer.Option(8, help="Client threads posting at once."),
    max_inflight: int = typer.Option(
        32, help="CBEC_MAX_INFLIGHT_MESSAGES of the server (503 past it)."
    ),
    postgres_url: str = typer.Option(DEFAULT_POSTGRES, help="PostgreSQL server to measure on."),
    sqlite_only: bool = typer.Option(False, help="Skip PostgreSQL."),
    api_workers: list[int] = typer.Option(
        [1], "--api-workers", help="API worker processes (cbec serve --workers); repeat to compare."
    ),
    postgres_only: bool = typer.Option(False, help="Skip SQLite."),
) -> None:
    """A bounded loopback load test of POST /api/v1/messages against a live cbec serve:
    messages/s sustained, p50/p99 latency, statuses, and that the store holds every message
    answered as new exactly once."""
    from cbec.bench.http import load

    with tempfile.TemporaryDirectory(prefix="cbec-bench-") as scratch:
        folder = day or Path(scratch) / "day"
        if day is None:
            _generate(folder, orders, seed)
        registry, items = load_day(folder)
        items = items[:messages]
        console.print(
            f"{len(items):,} messages, {concurrency} client threads, {os.cpu_count()} cores"
        )
        stores = [] if postgres_only else [("SQLite", f"sqlite:///{Path(scratch) / 'bench.db'}")]
        if not sqlite_only:
            if _postgres_answers(postgres_url):
                stores.append(("PostgreSQL", postgres_url))
            else:
                console.print(f"[yellow]PostgreSQL at {postgres_url} does not answer: skipped[/]")
        results = [
            load(
                label,
                url,
                registry,
                items,
                concurrency=concurrency,
                max_inflight=max_inflight,
                log=Path(scratch) / "server.log",
                api_workers=n,
            )
            for label, url in stores
            for n in api_workers
        ]
    table = Table(title="cbec bench http: POST /api/v1/messages over loopback")
    for column in ("store", "API workers", "messages", "seconds", "msg/s", "p50 ms", "p99 ms",
                   "statuses", "503 retried", "failures", "new = stored", "doubled"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("store", "statuses") else "right")
    for r in results:
        table.add_row(
            r.name,
            str(r.api_workers),
            f"{r.messages:,}",
            f"{r.seconds:.1f}",
            f"{r.per_second:,.0f}",
            f"{r.p50:.1f}",
            f"{r.percentile(0.99):.1f}",
            " ".join(f"{s}:{n}" for s, n in sorted(r.statuses.items())),
            f"{r.retries:,}",
            f"{r.failures}",
            f"{r.new:,} = {r.stored:,}"
            if r.new == r.stored
            else f"[red]{r.new:,} != {r.stored:,}[/]",
            str(r.doubled),
        )
    console.print(table)
    for r in results:  # one line each, for logs and notes
        typer.echo(
            f"{r.name}, {r.api_workers} API worker(s): {r.messages} messages in "
            f"{r.seconds:.1f} s = {r.per_second:.0f} msg/s, "
            f"p50 {r.p50:.1f} ms, p99 {r.percentile(0.99):.1f} ms, statuses {dict(r.statuses)}, "
            f"{r.retries} retried after 503, {r.failures} failures, {r.new} new, "
            f"{r.stored} stored, {r.doubled} doubled"
        )
    if any(r.failures or r.new != r.stored or r.doubled for r in results):
        raise typer.Exit(1)


@app.command("network")
def network(
    lists: int = typer.Option(1_000_000, min=1000, help="Lists to build the graph of."),
    seed: int = typer.Option(1, help="Random seed of the generated lists."),
) -> None:
    """Build the identity graph of LISTS generated lists (through the live code path), run
    the detectors and find the networks; print each stage's time (target: graph and
    networks of one million lists under 2 minutes) and the planted rings found."""
    result = network_runs.run(lists, seed)
    table = Table("stage", "seconds", title=f"identity graph of {result.lists:,} lists")
    table.add_row("make the lists (not counted)", f"{result.make_seconds:.1f}")
    table.add_row("build the graph (per-list code path)", f"{result.build_seconds:.1f}")
    table.add_row("graph to frames", f"{result.frames_seconds:.1f}")
    table.add_row("detectors", f"{result.detect_seconds:.1f}")
    table.add_row("networks (components + Leiden + scores)", f"{result.discover_seconds:.1f}")
    table.add_row("total (target < 120)", f"{result.total_seconds:.1f}")
    console.print(table)
    console.print(
        f"{result.nodes:,} nodes, {result.edges:,} edges; {result.flags:,} flags; "
        f"{result.networks} networks past the threshold; planted: {result.rings} rings, "
        f"{result.ring_members} members, found with recall {result.recall:.3f} at precision "
        f"{result.precision:.3f}"
    )


@app.command("export")
def export_command(
    lists: int = typer.Option(1_000_000, "--lists", min=1, help="Export lists in the month."),
    store_lists: int = typer.Option(
        0,
        "--store-lists",
        min=0,
        help="Also run the whole `cbec export summarise` on a fresh SQLite store of this many "
        "lists (read, group, write declarations and links); 0 skips it.",
    ),
    database: str | None = typer.Option(
        None, "--database", help="Store URL for --store-lists (default a temporary SQLite file)."
    ),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """Summarise a month of export lists into declarations (set-based, polars) and print
    the time; the target is one million lists in under a minute."""
    from cbec.config import get_settings

    key = get_settings().export_summary_key
    figures = export_runs.run(lists, key, seed)
    table = Table(
        "lists",
        "lines",
        "declarations",
        "declaration lines",
        "links",
        "make s",
        "summarise s",
        title="export summary (in memory)",
    )
    table.add_row(
        f"{figures.lists:,}",
        f"{figures.lines:,}",
        f"{figures.declarations:,}",
        f"{figures.declaration_lines:,}",
        f"{figures.links:,}",
        f"{figures.make_seconds:.2f}",
        f"{figures.summarise_seconds:.2f}",
    )
    console.print(table)
    console.print(
        f"{figures.lists:,} lists summarised in {figures.summarise_seconds:.2f} s (key {key})"
    )
    if store_lists:
        with tempfile.TemporaryDirectory() as folder:
            url = database or f"sqlite:///{Path(folder) / 'bench.db'}"
            stored = export_runs.through_store(store_lists, url, key, seed)
        console.print(
            f"through the store ({url.split(':')[0]}): {stored.lists:,} lists, "
            f"{stored.lines:,} lines written in {stored.load_seconds:.1f} s; "
            f"`export summarise` read, grouped and wrote {stored.declarations:,} "
            f"declarations in {stored.summarise_seconds:.2f} s"
        )


@app.command("queue")
def queue_bench(
    orders: int = typer.Option(300, help="Orders in the generated day."),
    seed: int = typer.Option(1, help="Seed of the generated day."),
    day: Path | None = typer.Option(None, "--dir", help="Use a day already written by cbec sim."),
    messages: int = typer.Option(1200, help="Messages published (from the day's start)."),
    workers: list[int] = typer.Option([1, 2], "--workers", help="Worker processes; repeatable."),
    batch: int = typer.Option(20, help="Messages a worker fetches at once."),
    postgres_url: str = typer.Option(DEFAULT_POSTGRES, help="PostgreSQL server to measure on."),
    nats_url: str = typer.Option("nats://127.0.0.1:4222", help="NATS server with JetStream."),
) -> None:
    """A bounded loopback run of queue intake on PostgreSQL: the day published to JetStream,
    then processed by 1, 2, ... `cbec worker` processes; messages/s from the first
    acknowledgement to an empty queue, and that each message is stored once."""
    from cbec.bench.queue import run

    if not _postgres_answers(postgres_url):
        console.print(f"[red]PostgreSQL at {postgres_url} does not answer[/]")
        raise typer.Exit(1)
    with tempfile.TemporaryDirectory(prefix="cbec-bench-") as scratch:
        folder = day or Path(scratch) / "day"
        if day is None:
            _generate(folder, orders, seed)
        registry, items = load_day(folder)
        items = items[:messages]
        console.print(f"{len(items):,} messages, {os.cpu_count()} cores")
        results = [
            run("PostgreSQL", postgres_url, nats_url, registry, items, workers=n, batch=batch,
                log=Path(scratch) / "workers.log")
            for n in workers
        ]  # fmt: skip
    for r in results:
        typer.echo(
            f"{r.name}, {r.workers} queue worker(s): {r.messages} messages in {r.seconds:.1f} s "
            f"= {r.per_second:.0f} msg/s (published in {r.publish_seconds:.1f} s), "
            f"{r.stored} stored, {r.doubled} doubled"
        )
    if any(r.doubled for r in results):
        raise typer.Exit(1)
