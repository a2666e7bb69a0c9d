"""What every ``cbec`` command shares: a unit of work on the configured store, bad input
turned into a one-line error and exit code 1 (never a traceback), and an officer's
sign-in for the commands that act in an officer's name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from cbec.config import get_settings
from cbec.errors import CbecError, Forbidden
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.store import open_store, session_scope

#: A command's argument naming a row by its id, bounded by the id's column (cbec.bounds):
#: past it, a usage error naming the argument and the range, never an OverflowError.
IdArg = Annotated[int, typer.Argument(min=1, max=INTEGER_MAX)]
BigIdArg = Annotated[int, typer.Argument(min=1, max=BIGINT_MAX)]


def fail(exc: CbecError, note: str | None = None) -> typer.Exit:
    """Print each problem (field path, rule) on stderr; the exit to raise."""
    for problem in [str(f) for f in exc.fields] or [exc.detail]:
        typer.echo(f"error: {problem}", err=True)
    if note:
        typer.echo(note, err=True)
    return typer.Exit(1)


@contextmanager
def unit_of_work(note: str | None = None) -> Iterator[Session]:
    """A session on the configured store, committed on success; errors become exit 1."""
    factory = open_store(get_settings().database_url)
    try:
        with session_scope(factory) as session:
            yield session
    except CbecError as exc:
        raise fail(exc, note) from None
    finally:
        factory.kw["bind"].dispose()


def sign_in(session: Session, username: str, from_stdin: bool, *roles: Role) -> Actor:
    """The officer ``username``, signed in with the password (from standard input, or
    asked for), who must hold one of ``roles``: the actor of what the command does."""
    password = (
        sys.stdin.readline().rstrip("\r\n")
        if from_stdin
        else typer.prompt(f"password for {username}", hide_input=True)
    )
    issued = officers.login(session, username, password, lifetime=timedelta(minutes=1))
    held = issued.officer.role_names
    if not any(r.value in held for r in roles):
        raise Forbidden(
            f"this needs the role {' or '.join(r.value for r in roles)}; "
            f"{username!r} holds {', '.join(held) or 'no role'}"
        )
    return Actor.officer(issued.officer.username)
