"""``cbec catalog ...``: load, seed and show the catalogue on ``CBEC_DATABASE_URL``.

Each command is one unit of work, committed when it succeeds. Bad input prints one line
per problem (``error: line 3, column vat_rate: ...``) and exits with status 1.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from cbec.catalog import service
from cbec.catalog.schemas import KINDS, LoadSummary
from cbec.catalog.snapshot import GoodsRates
from cbec.catalog.units import unit_name
from cbec.commandline import unit_of_work

app = typer.Typer(
    help="The catalogue: positive list, HS codes and tax rates, policy parameters.",
    no_args_is_help=True,
)

_BEIJING = ZoneInfo("Asia/Shanghai")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: {option} must be a date YYYY-MM-DD, got {value!r}", err=True)
        raise typer.Exit(1) from None


def _plain(value: Decimal | None) -> str:
    """``0.13`` for ``Decimal('0.130000')``; ``5000`` for ``Decimal('5000.00000')``."""
    if value is None:
        return "-"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _percent(rate: Decimal) -> str:
    return _plain(rate * 100) + "%"


def _print_summary(summary: LoadSummary) -> None:
    until = f" to {summary.effective_to}" if summary.effective_to else ""
    typer.echo(
        f"{summary.outcome} {summary.kind} edition {summary.edition!r}: {summary.rows} rows,"
        f" in force from {summary.effective_from}{until}"
    )


@app.command("load")
def load_command(
    file: Annotated[
        Path, typer.Argument(help="The CSV file (header: see catalog/data/README.md).")
    ],
    kind: Annotated[
        str, typer.Option("--kind", help="positive-list, hs-codes or policy.")
    ] = "positive-list",
    edition: Annotated[
        str | None, typer.Option("--edition", help="Edition name (default: the file name).")
    ] = None,
    effective_from: Annotated[
        str | None,
        typer.Option(
            "--effective-from",
            help="First day in force, YYYY-MM-DD (policy files: default the earliest row date).",
        ),
    ] = None,
    effective_to: Annotated[
        str | None, typer.Option("--effective-to", help="Last day in force, if known.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Where the list comes from (announcement).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an edition of the same name.")
    ] = False,
) -> None:
    """Load a full list from CSV as a new edition: every row, or none."""
    if kind not in KINDS:
        typer.echo(f"error: --kind must be one of {', '.join(KINDS)}, got {kind!r}", err=True)
        raise typer.Exit(1)
    start = _date(effective_from, "--effective-from")
    end = _date(effective_to, "--effective-to")
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    with unit_of_work(note=f"nothing was loaded from {file}") as session:
        summary = service.load(
            session,
            kind,
            data,
            edition=edition or file.stem,
            effective_from=start,
            effective_to=end,
            source=source if source is not None else file.name,
            replace=replace,
        )
    _print_summary(summary)


@app.command("seed")
def seed_command() -> None:
    """Load the catalogue shipped with cbec (loading it again changes nothing)."""
    with unit_of_work() as session:
        summaries = service.seed(session)
    for summary in summaries:
        _print_summary(summary)


def _describe_goods(goods: GoodsRates) -> list[str]:
    units = unit_name(goods.legal_unit)
    if goods.second_unit:
        units += f" / {unit_name(goods.second_unit)}"
    consumption = _percent(goods.consumption_rate)
    if goods.consumption_specific is not None:
        consumption += (
            f" + {_plain(goods.consumption_specific)} CNY per"
            f" {unit_name(goods.consumption_specific_unit)}"
        )
    if goods.consumption_threshold is not None:
        consumption += (
            f" (from {_plain(goods.consumption_threshold)} CNY per"
            f" {unit_name(goods.consumption_threshold_unit)})"
        )
    lines = [
        f"{goods.code10}  {goods.name}",
        f"  legal units: {units}",
        f"  VAT {_percent(goods.vat_rate)}, consumption tax {consumption},"
        f" MFN tariff {_percent(goods.tariff_rate)}",
    ]
    if goods.remark:
        lines.append(f"  remark: {goods.remark}")
    return lines


@app.command("show")
def show_command(
    code: Annotated[
        str | None,
        typer.Argument(help="An 8- or 10-digit code; without it, the policy parameters."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Date, YYYY-MM-DD (default: today in Beijing).")
    ] = None,
) -> None:
    """Show what is in force on a date: a code's rates and positive-list line, or the policy."""
    day = _date(on, "--on") or datetime.now(_BEIJING).date()
    with unit_of_work() as session:
        if code is None:
            snap = service.snapshot(session, day)
            report = None
        else:
            report = service.describe(session, code, day)
            snap = None
    if report is None:
        assert snap is not None
        typer.echo(f"in force on {day}:")
        for kind in KINDS:
            ref = snap.editions.get(kind)
            shown = f"{ref.name} (from {ref.effective_from})" if ref else "none loaded"
            typer.echo(f"  {kind}: {shown}")
        for name, value in sorted(snap.params.items()):
            typer.echo(f"  {name} = {_plain(value)}")
        return
    typer.echo(f"{report.code} on {day}:")
    if report.positive is None:
        typer.echo(f"  not on the positive list in force ({_edition(report, 'positive-list')})")
    else:
        line = report.positive
        conditions = [
            text
            for flag, text in (
                (line.bonded_only, "bonded only"),
                (line.direct_only, "direct purchase only"),
            )
            if flag
        ]
        if line.annual_weight_cap_kg is not None:
            conditions.append(f"at most {_plain(line.annual_weight_cap_kg)} kg a person a year")
        typer.echo(
            f"  positive list line {line.tariff_code8} {line.name}"
            f" ({_edition(report, 'positive-list')})"
            + (f": {', '.join(conditions)}" if conditions else "")
        )
        if line.remark:
            typer.echo(f"    remark: {line.remark}")
    if not report.goods:
        typer.echo(f"  no HS code in force ({_edition(report, 'hs-codes')})")
    for goods in report.goods:
        for text in _describe_goods(goods):
            typer.echo(f"  {text}")


def _edition(report: service.CodeReport, kind: str) -> str:
    ref = report.editions.get(kind)
    return f"edition {ref.name!r}" if ref else "no edition loaded"


@app.command("editions")
def editions_command() -> None:
    """List the loaded editions of each kind with their dates."""
    with unit_of_work() as session:
        found = service.editions(session)
    for e in found:
        until = f" to {e.effective_to}" if e.effective_to else ""
        typer.echo(f"{e.kind:13}  {e.effective_from}{until}  {e.rows:5} rows  {e.name}")
    typer.echo(f"{len(found)} edition(s)")
