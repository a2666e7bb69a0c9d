"""``cbec tax ...``: monthly tax statements per guarantee, payments, overdue statements.

``cbec tax statements --month YYYY-MM`` is the scheduled job (no sign-in; it only sums what
clearance billed). Recording a payment signs in an officer (reviewer or administrator).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cbec.audit.service import Actor
from cbec.bounds import BIGINT_MAX
from cbec.clearance import statements
from cbec.clearance.statement_schemas import PaymentIn, StatementOut
from cbec.commandline import fail, sign_in, unit_of_work
from cbec.config import get_settings
from cbec.errors import BadRequest, CbecError, FieldError
from cbec.officers.roles import Role
from cbec.portrait.schemas import parse

app = typer.Typer(
    help="Tax statements: the month's tax per guarantee, payments, overdue.",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MonthOpt = Annotated[str | None, typer.Option("--month", help="YYYY-MM")]


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name) from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _table(rows: list[StatementOut], title: str) -> Table:
    table = Table(
        "id", "guarantee", "month", "bills", "tax", "due", "paid", "owed", "state", "days late",
        title=title,
    )  # fmt: skip
    for r in rows:
        table.add_row(
            str(r.id),
            r.guarantor_code,
            r.period,
            str(r.bills),
            f"{r.total:,.2f}",
            str(r.due_on),
            f"{r.paid:,.2f}" + (f" ({r.paid_on})" if r.paid_on else ""),
            f"{r.outstanding:,.2f}",
            r.state,
            str(r.days_late or ""),
        )
    return table


@app.command("statements")
def statements_command(
    month: Annotated[str, typer.Option("--month", help="The month to state, YYYY-MM.")],
    due_days: Annotated[
        int | None,
        typer.Option(
            "--due-days", min=0, max=365, help="Days after the month ends (CBEC_TAX_DUE_DAYS)."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """State a month that has ended: the tax of its released lists summed per guarantee,
    with the due date (the scheduled job; running it again states only new bills)."""
    days = get_settings().tax_due_days if due_days is None else due_days
    with unit_of_work() as session:
        made = statements.make(session, month, by=Actor.system("tax.statements"), due_days=days)
        on = statements.today()
        rows = [
            StatementOut.of(r, statements.standing(r.total, r.paid, r.due_on, r.paid_on, on))
            for r in [*made.created, *made.extended]
        ]
    if as_json:
        _print_json([r.model_dump(by_alias=True, mode="json") for r in rows])
        return
    Console().print(_table(rows, f"{made.period}: due {made.due_on}"))
    typer.echo(
        f"{made.period}: {len(made.created)} statement(s) made, {len(made.extended)} extended, "
        f"{made.bills} tax bill(s) summarised, due {made.due_on}"
    )


@app.command("list")
def list_command(
    guarantor: Annotated[str | None, typer.Option("--guarantor", help="A customs code.")] = None,
    month: MonthOpt = None,
    state: Annotated[
        str | None, typer.Option("--state", help="paid | paid_late | open | overdue")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Where they stand on (YYYY-MM-DD).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Statements with where each stands (``--state overdue``: owed past the due date)."""
    with unit_of_work() as session:
        found = statements.statements(
            session,
            guarantor=guarantor,
            period=statements.period_of(month) if month else None,
            state=state,
            on=_day(on, "--on"),
        )
        rows = [StatementOut.of(r, s) for r, s in found]
    if as_json:
        _print_json([r.model_dump(by_alias=True, mode="json") for r in rows])
        return
    Console().print(_table(rows, "tax statements"))
    owed = sum((r.outstanding for r in rows if r.state == statements.OVERDUE), Decimal(0))
    overdue = sum(1 for r in rows if r.state == statements.OVERDUE)
    typer.echo(f"{len(rows)} statement(s); {overdue} overdue, {owed:,.2f} CNY owed past due")


@app.command("show")
def show_command(
    statement_id: Annotated[int, typer.Argument(min=1, max=BIGINT_MAX, help="The statement's id.")],
    as_json: AsJson = False,
) -> None:
    """One statement with its payments."""
    with unit_of_work() as session:
        row = statements.get(session, statement_id)
        found = statements.standing(
            row.total, row.paid, row.due_on, row.paid_on, statements.today()
        )
        out = StatementOut.of(row, found, list(statements.payments_of(session, row.id)))
    if as_json:
        _print_json(out.model_dump(by_alias=True, mode="json"))
        return
    Console().print(_table([out], f"statement {out.id}"))
    for p in out.payments:
        typer.echo(f"  {p.paid_on} {p.amount:,.2f} {p.reference} (recorded by {p.recorded_by})")


@app.command("pay")
def pay_command(
    statement_id: Annotated[int, typer.Argument(min=1, max=BIGINT_MAX, help="The statement's id.")],
    amount: Annotated[str, typer.Option("--amount", help="CNY received, e.g. 1234.50.")],
    officer: Annotated[str, typer.Option("--officer", help="Your officer username.")],
    paid_on: Annotated[
        str | None, typer.Option("--on", help="Paid on (YYYY-MM-DD; today).")
    ] = None,
    reference: Annotated[str, typer.Option("--reference", help="The transfer's reference.")] = "",
    note: Annotated[str, typer.Option("--note", help="A note for the audit log.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Record a payment received against a statement (all or part of what is owed)."""
    try:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise BadRequest(
                "invalid payment", fields=[FieldError("amount", "decimal", f"{amount!r}")]
            ) from None
        data = parse(
            PaymentIn,
            {
                "amount": value,
                "paidOn": paid_on or statements.today().isoformat(),
                "reference": reference,
                "note": note,
            },
        )
    except CbecError as exc:
        raise fail(exc) from None
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.REVIEWER, Role.ADMINISTRATOR)
        statements.record_payment(
            session,
            statement_id,
            amount=data.amount,
            paid_on=data.paid_on,
            reference=data.reference,
            note=data.note,
            by=by,
        )
        row = statements.get(session, statement_id)
        found = statements.standing(
            row.total, row.paid, row.due_on, row.paid_on, statements.today()
        )
        typer.echo(
            f"statement {statement_id} ({row.guarantor_code} {row.period}): paid "
            f"{row.paid:,.2f} of {row.total:,.2f}, {found.state}"
            + (f" ({found.days_late} days late)" if found.days_late else "")
        )
