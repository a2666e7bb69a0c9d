"""``cbec clearance ...``: the officer's queues and actions from a terminal, the sweep of
lists that waited too long, and the tax ledger."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from cbec.bounds import SMALLINT_MAX
from cbec.clearance import queries
from cbec.clearance.service import Clearance, Policy
from cbec.commandline import sign_in, unit_of_work
from cbec.config import Settings, get_settings
from cbec.intake import pipeline
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.privacy import scrub
from cbec.store import open_store, session_scope

app = typer.Typer(
    help="Clearance: queues, officer actions, sweep, tax ledger.", no_args_is_help=True
)


@app.command("queue")
def queue_command(
    status: int = typer.Option(
        300, min=0, max=SMALLINT_MAX, help="300 manual review, 500 inspection, 120 waiting, ..."
    ),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Lists at a status, oldest first (buyer IDs masked)."""
    factory = open_store(get_settings().database_url)
    with session_scope(factory) as session:
        table = Table(title=f"lists at {status}")
        for column in ("invtNo", "order", "ebc", "buyer", "value", "tax", "why"):
            table.add_column(column)
        for d in queries.queue(session, status, limit):
            table.add_row(
                d.invt_no or "-",
                d.order_no,
                d.ebc_code,
                d.buyer,
                str(d.taxable_value or "-"),
                str(d.tax_total or "-"),
                scrub(d.reasons)[:120],
            )
        Console().print(table)


@app.command("show")
def show_command(invt_no: str) -> None:
    """One list: status, findings, tax and decision history."""
    with unit_of_work() as session:
        d = queries.declaration(session, invt_no)
        Console().print(
            f"[bold]{d.invt_no}[/] order {d.order_no} ({d.trade_mode}) buyer {d.buyer}: "
            f"[bold]{d.status} {d.status_text}[/]"
        )
        Console().print(f"value {d.taxable_value}, tax {d.tax_total} (declared {d.declared_tax})")
        for finding in d.findings:
            Console().print(f"  [{finding['rule']}] {finding['path']}: {scrub(finding['message'])}")
        for e in d.events:
            when = f"{e.at:%Y-%m-%d %H:%M:%S}"
            Console().print(
                f"  {when} {e.from_status} -> {e.to_status} by {e.actor}: {scrub(e.reason)}"
            )


@app.command("review")
def review_command(
    invt_no: str,
    officer: str = typer.Option(..., "--officer", help="Your officer username (role reviewer)."),
    approve: bool = typer.Option(..., "--approve/--reject"),
    reason: str = typer.Option(..., help="Why (kept in the audit log)."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """Approve or reject a list in manual review."""
    settings = get_settings()
    with unit_of_work() as session:
        who = sign_in(session, officer, password_stdin, Role.REVIEWER).name
        d = Clearance(session, Policy.from_settings(settings)).review(
            invt_no, approve=approve, officer=who, reason=reason
        )
        Console().print(f"{invt_no}: now {d.status}")


@app.command("inspect")
def inspect_command(
    invt_no: str,
    officer: str = typer.Option(..., "--officer", help="Your officer username (role inspector)."),
    result: str = typer.Option(..., help="conform, discrepancy or seize"),
    details: str = typer.Option(..., help="What was found (kept in the audit log)."),
    detention: int | None = typer.Option(None, help="For a discrepancy: 501, 503, 599 or 700."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """Record an inspection result."""
    settings = get_settings()
    with unit_of_work() as session:
        who = sign_in(session, officer, password_stdin, Role.INSPECTOR).name
        d = Clearance(session, Policy.from_settings(settings)).inspection_result(
            invt_no, result=result, officer=who, details=details, detention=detention
        )
        Console().print(f"{invt_no}: now {d.status}")


@app.command("detention")
def detention_command(
    invt_no: str,
    officer: str = typer.Option(
        ...,
        "--officer",
        help="Your officer username (inspector for 501, investigator for 502/503, "
        "inspector or risk analyst for 599).",
    ),
    release: bool = typer.Option(..., "--release/--return", help="Release (800) or return (700)."),
    reason: str = typer.Option(..., help="Why (kept in the audit log)."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """End a list's detention (501, 502, 503, 599): release it or return it."""
    settings = get_settings()
    with unit_of_work() as session:
        # any role that ends some detention; the service checks this list's department
        who = sign_in(
            session, officer, password_stdin, Role.INSPECTOR, Role.INVESTIGATOR, Role.RISK_ANALYST
        ).name
        d = Clearance(session, Policy.from_settings(settings)).end_detention(
            invt_no,
            action="release" if release else "return",
            officer=who,
            roles=officers.get_by_username(session, who).role_names,
            reason=reason,
        )
        Console().print(f"{invt_no}: now {d.status}")


@app.command("sweep")
def sweep_command(
    older_than: int | None = typer.Option(
        None,
        min=0,
        max=100 * 365 * 24 * 3600,  # a hundred years: past it, no date to count back to
        help="Seconds a list may wait for its documents (default CBEC_AWAIT_DOCUMENTS_SECONDS).",
    ),
) -> None:
    """Reject the lists that have waited too long for their order, payment or waybill,
    each with a receipt naming what is missing."""
    settings = get_settings()
    policy = Policy.from_settings(settings)
    if older_than is not None:
        policy = Policy(policy.rates, policy.seed, timedelta(seconds=older_than))
    factory = open_store(settings.database_url)
    with session_scope(factory) as session:
        rejected = Clearance(session, policy).sweep()
    Console().print(f"{rejected} list(s) rejected for missing documents")


@app.command("recheck")
def recheck_command() -> None:
    """Evaluate again every undecided list (after loading the catalogue, say)."""
    settings = get_settings()
    factory = open_store(settings.database_url)
    with session_scope(factory) as session:
        looked = _deciding(session, settings).recheck()
    Console().print(f"{looked} undecided list(s) evaluated again")


@app.command("status")
def status_command() -> None:
    """How many lists are at each status."""
    factory = open_store(get_settings().database_url)
    with session_scope(factory) as session:
        counts = queries.counts_by_status(session)
    table = Table(title="lists by status")
    table.add_column("status")
    table.add_column("lists", justify="right")
    from cbec.messages.receipts import STATUS_TEXT

    for status, count in sorted(counts.items()):
        table.add_row(f"{status} {STATUS_TEXT.get(status, '')}", f"{count:,}")
    Console().print(table)


@app.command("ledger")
def ledger_command(
    ebc: str | None = typer.Option(None, help="E-commerce enterprise code."),
    period: str | None = typer.Option(None, help="yyyymm"),
) -> None:
    """Tax due per e-commerce enterprise, guarantee and month."""
    with unit_of_work() as session:
        rows = queries.ledger(session, ebc, period)
    table = Table(title="tax ledger")
    for column in (
        "ebc",
        "assureCode",
        "period",
        "bills",
        "customs",
        "VAT",
        "consumption",
        "total",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            r.ebc_code,
            r.assure_code,
            r.period,
            f"{r.bills:,}",
            str(r.customs_tax),
            str(r.value_added_tax),
            str(r.consumption_tax),
            str(r.total),
        )
    Console().print(table)


def _deciding(session: Session, settings: Settings) -> Clearance:
    """Clearance as intake runs it in this process (the assembly registers it with risk
    control's verdicts and the identity graph), so that a list decided from the command
    line is judged as one decided on arrival; plain clearance where none is registered."""
    factory = pipeline.registered("clearance")
    if factory is not None:
        listener = factory(session)
        if isinstance(listener, Clearance):
            return listener
    return Clearance(session, Policy.from_settings(settings))
