"""``cbec sim``: write a synthetic day of traffic with its ground truth."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cbec.commandline import writable_folder, writing
from cbec.errors import BadRequest
from cbec.months import parse_month
from cbec.sim import bonded, exports
from cbec.sim.fraud import PATTERNS
from cbec.sim.output import Summary, write
from cbec.sim.simulation import Options, generate

console = Console()


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def sim(
    out: Path = typer.Option(..., "--out", help="Directory to write into (created if missing)."),
    orders: int = typer.Option(1000, "--orders", min=1, help="Number of orders in the day."),
    seed: int = typer.Option(1, "--seed", help="Random seed: same seed, same bytes."),
    day: str = typer.Option("2026-11-11", "--date", help="The simulated day, YYYY-MM-DD."),
    bonded_share: float = typer.Option(
        0.4, "--bonded-share", min=0.0, max=1.0, help="Share of bonded (1210) orders vs 9610."
    ),
    fraud_rate: float = typer.Option(
        0.05, "--fraud-rate", min=0.0, max=1.0, help="Share of orders made by fraud patterns."
    ),
    as_zip: bool = typer.Option(
        False, "--zip", help="Write the messages into DIR/messages.zip instead of DIR/messages/."
    ),
    bonded_stock: bool = typer.Option(
        False,
        "--bonded-stock",
        help="Also write DIR/bonded/ (CEB711 entries stocking the day's 1210 goods; ingest "
        "them first) and DIR/stocktake.json (items whose count will be short).",
    ),
    sign: bool = typer.Option(
        False,
        "--sign",
        help="Give every enterprise a key (filed in registry.json, policy enforce) and sign "
        "every message with its sender's key (XML-DSig; mostly SM2-SM3).",
    ),
) -> None:
    """Simulate a day of cross-border e-commerce imports: registry.json, the CEB messages
    (one file each, named in arrival order) and labels.json (the ground truth)."""
    options = Options(
        orders=orders, seed=seed, day=_day(day), bonded_share=bonded_share, fraud_rate=fraud_rate
    )
    writable_folder(out, "--out")
    started = time.perf_counter()
    generated = generate(options)
    with writing(out, "--out", "folder"):
        try:
            summary = write(generated, out, as_zip=as_zip, sign=sign)
        except FileExistsError as error:
            raise typer.BadParameter(str(error), param_hint="--out") from None
    _report(summary, options, time.perf_counter() - started)
    if bonded_stock:
        stock = bonded.bonded_stock(generated)
        with writing(out, "--out", "folder"):
            folder = bonded.write(stock, out)
        console.print(
            f"bonded     → {folder} ({len(stock.entries)} CEB711 entries, "
            f"{sum(stock.entered.values()):,} units of {len(stock.entered)} items; ingest first)"
        )
        console.print(f"stocktake  → {out / 'stocktake.json'} ({len(stock.planted)} planted)")


def _report(summary: Summary, options: Options, seconds: float) -> None:
    console.print(
        f"[bold]{summary.orders:,}[/] orders on {options.day:%Y-%m-%d} (seed {options.seed}), "
        f"{sum(summary.messages.values()):,} messages in {seconds:.1f} s"
    )
    messages = Table("message type", "count", title="Messages")
    for kind, count in sorted(summary.messages.items()):
        messages.add_row(kind, f"{count:,}")
    for event, count in sorted(summary.events.items()):
        messages.add_row(f"[dim]of which {event}[/]", f"{count:,}")
    modes = Table("trade mode", "orders", title="Trade modes")
    for mode, count in sorted(summary.trade_modes.items()):
        modes.add_row(mode, f"{count:,}")
    patterns = Table("fraud pattern", "orders", title="Fraud patterns (labels.json)")
    for pattern in PATTERNS:
        patterns.add_row(pattern, f"{summary.patterns.get(pattern, 0):,}")
    console.print(messages, modes, patterns)
    console.print(f"messages   → {summary.files}")
    console.print(f"registry   → {summary.registry} ({summary.enterprises} enterprises)")
    console.print(f"labels     → {summary.labels}")
    console.print(f"catalogues → {summary.catalogues} (product catalogues filed)")
    console.print(f"tax        → {summary.tax} (how each guarantee pays its statement)")
    if summary.signing_keys is not None:
        console.print(f"signing keys → {summary.signing_keys} (synthetic, private halves)")


def sim_exports(
    out: Path = typer.Option(..., "--out", help="Directory to write into (created if missing)."),
    month: str = typer.Option("2026-10", "--month", help="The simulated month, YYYY-MM."),
    lists: int = typer.Option(1000, "--lists", min=1, help="Number of export lists."),
    seed: int = typer.Option(1, "--seed", help="Random seed: same seed, same bytes."),
) -> None:
    """Simulate a month of exports (9610, 9710, 9810): registry.json, the CEB303 orders,
    CEB505 waybills, CEB603 lists, CEB507 arrival reports, CEB509 departures and CEB701
    applications (messages/), and exports-truth.json."""
    try:
        parse_month(month, "--month")
    except BadRequest as exc:
        raise typer.BadParameter(exc.detail, param_hint="--month") from None
    writable_folder(out, "--out")
    started = time.perf_counter()
    generated = exports.generate_month(exports.Options(month=month, lists=lists, seed=seed))
    with writing(out, "--out", "folder"):
        try:
            folder = exports.write_month(generated, out)
        except FileExistsError:
            raise typer.BadParameter(f"{out / 'messages'} exists", param_hint="--out") from None
    console.print(
        f"[bold]{lists:,}[/] export lists in {month} (seed {seed}), "
        f"{len(generated.messages):,} messages in {time.perf_counter() - started:.1f} s"
    )
    console.print(
        f"trade modes {dict(sorted(generated.modes.items()))}, "
        f"flags {dict(sorted(generated.flags.items()))}"
    )
    console.print(f"messages   → {folder}")
    console.print(
        f"truth      → {out / 'exports-truth.json'} "
        f"({len(generated.rejected)} planted to be rejected, "
        f"{len(generated.no_arrival)} without an arrival report, "
        f"{len(generated.not_exited)} released but not gone)"
    )
