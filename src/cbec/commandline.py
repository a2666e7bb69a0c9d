"""What every ``cbec`` command shares: a unit of work on the configured store, bad input
turned into a one-line error and exit code 1 (never a traceback), and an officer's
sign-in for the commands that act in an officer's name."""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from cbec.config import get_settings
from cbec.errors import BadRequest, CbecError, FieldError, Forbidden
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


def one_of(option: str, value: str | None, allowed: Sequence[str]) -> None:
    """Refuse a filter ``value`` given as ``option`` that is none of ``allowed`` (it would
    match nothing: an empty table that looks like an answer): one line, exit 1."""
    if value is not None and value not in allowed:
        raise fail(
            BadRequest(
                f"{option}: {value!r} is not one of {', '.join(allowed)}",
                fields=[
                    FieldError(
                        option,
                        "enumeration=" + "|".join(allowed),
                        f"{value!r} is not one of {', '.join(allowed)}",
                    )
                ],
            )
        )


def unwritable(path: Path, option: str, exc: OSError, what: str = "file") -> typer.Exit:
    """The exit for an output ``path`` (given as ``option``) that cannot be written: one
    line naming the option, the rule ``writable`` and why."""
    reason = exc.strerror or str(exc)
    return fail(
        BadRequest(
            f"cannot write {path}: {reason}",
            fields=[
                FieldError(option, "writable", f"a {what} that can be written ({path}: {reason})")
            ],
        )
    )


def writable_file(path: Path, option: str) -> None:
    """Refuse, before any work is done, an output file that cannot be written (its folder
    missing or read-only, the path a folder): one line naming ``option``, exit 1. An
    existing file is left as it is; a new one is created and removed again to be sure."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if path.exists():
            with path.open("ab"):
                pass
        else:
            with path.open("xb"):
                pass
            path.unlink()
    except OSError as exc:
        raise unwritable(path, option, exc) from None


def writable_folder(path: Path, option: str) -> None:
    """Make the output folder ``path`` (with its parents) and make sure a file can be
    written into it, before any work is done; otherwise (a file in the way, a read-only
    or virtual file system) one line naming ``option``, exit 1."""
    try:
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise unwritable(path, option, exc, "folder") from None


@contextmanager
def writing(path: Path, option: str, what: str = "file") -> Iterator[None]:
    """Around the writing of an output checked beforehand: a failure all the same (the
    disk full, the file removed meanwhile) is the same one line, never a traceback."""
    try:
        yield
    except OSError as exc:
        raise unwritable(path, option, exc, what) from None


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
    asked for), who must hold one of ``roles``: the actor of what the command does. A
    refused sign-in is committed (it counts towards the lock of the username, as over
    HTTP), so sign in before the command does anything else in ``session``."""
    password = (
        sys.stdin.readline().rstrip("\r\n")
        if from_stdin
        else typer.prompt(f"password for {username}", hide_input=True)
    )
    try:
        issued = officers.login(
            session,
            username,
            password,
            lifetime=timedelta(minutes=1),
            limit=officers.SignInLimit.from_settings(get_settings()),
        )
    except CbecError:
        session.commit()  # a refused sign-in counts, as over HTTP, and is in the audit log
        raise
    held = issued.officer.role_names
    if not any(r.value in held for r in roles):
        raise Forbidden(
            f"this needs the role {' or '.join(r.value for r in roles)}; "
            f"{username!r} holds {', '.join(held) or 'no role'}"
        )
    return Actor.officer(issued.officer.username)
