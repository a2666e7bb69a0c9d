"""``cbec officers ...``: open and manage officer accounts from the command line.

This is how the first administrator is made. Each command is one unit of work on
``CBEC_DATABASE_URL``, committed when it succeeds; changes are recorded in the audit log
against the system actor ``cli``. Passwords are prompted for (hidden, twice) or read
from the first line of standard input with ``--password-stdin``; never from an argument,
which would show in the process list and the shell history.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cbec.audit.service import Actor
from cbec.commandline import unit_of_work
from cbec.officers import service
from cbec.officers.roles import Role
from cbec.officers.schemas import OfficerOut

app = typer.Typer(help="Officer accounts: add, list, roles, passwords.", no_args_is_help=True)
console = Console()

#: Who account changes made here are recorded against.
CLI = Actor.system("cli")

RoleOption = Annotated[
    list[str],
    typer.Option("--role", help=f"A role (repeat for several): {', '.join(Role)}."),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _describe(out: OfficerOut) -> str:
    state = "active" if out.active else "deactivated"
    return f"{out.username}  {out.name}  [{', '.join(out.roles)}]  {state}"


@app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: RoleOption,
    password_stdin: PasswordStdin = False,
) -> None:
    """Open an officer account (the first administrator is made this way)."""
    password = _password(password_stdin)
    with unit_of_work() as session:
        out = OfficerOut.of(
            service.create_officer(
                session, username=username, name=name, roles=role, password=password, by=CLI
            )
        )
    typer.echo(f"added {_describe(out)}")


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List officer accounts by username."""
    with unit_of_work() as session:
        found = [OfficerOut.of(o) for o in service.list_officers(session)]
    if as_json:
        typer.echo(
            json.dumps([o.model_dump(mode="json") for o in found], ensure_ascii=False, indent=2)
        )
        return
    table = Table()
    for column in ("username", "name", "roles", "status", "created"):
        table.add_column(column)
    for o in found:
        cells = (
            o.username,
            o.name,
            ", ".join(o.roles),
            "active" if o.active else "deactivated",
            f"{o.created_at:%Y-%m-%d %H:%M}",
        )
        # Text cells: names are data, never Rich markup.
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    typer.echo(f"{len(found)} officer(s)")


@app.command("deactivate")
def deactivate_command(
    username: Annotated[str, typer.Argument(help="The officer's username.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (for the audit log).")] = None,
) -> None:
    """Close an officer account: its sessions end and it can no longer log in."""
    with unit_of_work() as session:
        out = OfficerOut.of(service.deactivate(session, username, by=CLI, reason=reason))
    typer.echo(f"deactivated {_describe(out)}")


@app.command("roles")
def roles_command(
    username: Annotated[str, typer.Argument(help="The officer's username.")],
    role: RoleOption,
) -> None:
    """Replace an officer's roles (--role replaces the whole set)."""
    with unit_of_work() as session:
        out = OfficerOut.of(service.set_roles(session, username, role, by=CLI))
    typer.echo(f"roles set: {_describe(out)}")


@app.command("password")
def password_command(
    username: Annotated[str, typer.Argument(help="The officer's username.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Reset an officer's password; every session of the officer ends."""
    password = _password(password_stdin)
    with unit_of_work() as session:
        out = OfficerOut.of(service.change_password(session, username, password, by=CLI))
    typer.echo(f"password reset for {out.username}")
