"""What every ``cbec`` command shares: a unit of work on the configured store, and bad input
turned into a one-line error and exit code 1 (never a traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from cbec.config import get_settings
from cbec.errors import CbecError
from cbec.store import open_store, session_scope


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
