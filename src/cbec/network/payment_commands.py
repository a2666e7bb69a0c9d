"""``cbec network payments ...``: the payment-company report, flags for the companies
above the threshold, and verification requests for one company's suspicious transactions.

Flagging changes the risk database: it signs in an officer holding the risk analyst role
(``--officer``, password prompted or read with ``--password-stdin``) and is written to the
audit log against them. The report reads only; an export is written to the audit log.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cbec.audit.service import Actor
from cbec.commandline import fail, sign_in, unit_of_work, writable_file, writing
from cbec.errors import BadRequest, FieldError
from cbec.network import payments
from cbec.network.payment_schemas import PaymentReportOut
from cbec.officers.roles import Role

app = typer.Typer(
    help="Joint management with payment companies: report, flags, verification requests.",
    no_args_is_help=True,
)
console = Console()

EarlyMinutes = Annotated[
    int,
    typer.Option(
        "--early-minutes", min=0, help="Paid more than this before the order counts as early."
    ),
]
LateHours = Annotated[
    int, typer.Option("--late-hours", min=1, help="Paid more than this after the order: late.")
]
RecentDays = Annotated[
    int, typer.Option("--recent-days", min=1, help="Filed within this many days: recent.")
]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="YYYY-MM-DD that dates 'recent' (default: latest payment)."),
]


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            BadRequest(
                f"{value!r} is not a date",
                fields=[FieldError("--as-of", "date", "a date YYYY-MM-DD")],
            )
        ) from None


@app.command("report")
def report_command(
    early_minutes: EarlyMinutes = 60,
    late_hours: LateHours = 72,
    recent_days: RecentDays = 180,
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Companies shown in the table.")] = 20,
    flag: Annotated[
        bool, typer.Option("--flag", help="Flag the companies at or above --threshold.")
    ] = False,
    threshold: Annotated[
        float, typer.Option(min=0, max=100, help="Score from which --flag flags.")
    ] = 50.0,
    officer: Annotated[
        str | None, typer.Option("--officer", help="Risk analyst signing the flags.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Rank the payment companies: concentration on one platform, platforms served,
    recent filing, flagged or unverified partners, buyer not payer, payment timing and
    amounts; scored 0..100 and explained."""
    thresholds = payments.Thresholds(early_minutes, late_hours, recent_days, threshold)
    day = _as_of(as_of)
    with unit_of_work() as session:
        if flag and officer is None:
            raise fail(
                BadRequest(
                    "flagging needs an officer",
                    fields=[FieldError("--officer", "required", "a risk analyst's username")],
                )
            )
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST) if officer else None
        out = payments.report(session, thresholds, as_of=day)
        flagged = payments.flag(session, by, thresholds, as_of=day) if by and flag else None
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
    else:
        _table(out, limit)
    if flagged is not None:
        for f in flagged.flagged:
            console.print(f"flagged {f.code} (score {f.score:.1f}) as risk flag {f.flag_id}")
        if not flagged.flagged:
            console.print(f"no payment company scores {threshold} or more: nothing flagged")


def _table(out: PaymentReportOut, limit: int) -> None:
    table = Table(title=f"Payment companies as of {out.as_of}, highest score first")
    for column in ("#", "code", "name", "score", "payments", "platforms", "top share"):
        table.add_column(column, justify="left" if column in ("code", "name") else "right")
    for i, c in enumerate(out.companies[:limit], start=1):
        table.add_row(
            str(i),
            c.code,
            c.name,
            f"{c.score:.1f}",
            f"{c.payments:,}",
            str(c.platforms),
            f"{c.top_platform_share:.0%}",
        )
    console.print(table)
    for i, c in enumerate(out.companies[: min(limit, 5)], start=1):
        console.print(f"[bold]{i}. {c.code}[/] {c.name}: score {c.score:.1f}")
        for line in c.explanations or ["nothing stands out"]:
            console.print(f"   - {line}", highlight=False)


@app.command("export")
def export_command(
    code: Annotated[str, typer.Argument(help="The payment company's customs code.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    early_minutes: EarlyMinutes = 60,
    late_hours: LateHours = 72,
    recent_days: RecentDays = 180,
    as_of: AsOf = None,
) -> None:
    """Write verification requests for one payment company's suspicious transactions
    (transaction and order numbers, amounts, times, reasons; payer ID numbers cut to
    their last 4 characters, names to the surname) for the competent authority."""
    if fmt not in payments.FORMATS:
        raise fail(
            BadRequest(
                f"unknown format {fmt!r}",
                fields=[FieldError("--format", "one_of", "csv or json")],
            )
        )
    writable_file(out, "--out")
    thresholds = payments.Thresholds(early_minutes, late_hours, recent_days)
    day = _as_of(as_of)
    with unit_of_work() as session:
        export = payments.verification_requests(
            session, code, Actor.system("cli"), thresholds, as_of=day
        )
        text = payments.render(export, fmt)
        with writing(out, "--out"):
            out.write_text(text, encoding="utf-8")
    console.print(
        f"{len(export.requests):,} verification requests for {export.pay_code} "
        f"(score {export.score:.1f}) -> {out}"
    )
