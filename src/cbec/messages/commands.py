"""``cbec messages ...``: publish the XSDs, check message files, convert XML <-> JSON.

Every failure is one clear line on stderr (or one line per field problem) and exit code 1;
never a traceback.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path

import typer

from cbec.commandline import writable_folder, writing
from cbec.errors import CbecError, FieldError, PayloadTooLarge
from cbec.messages.codec import (
    DEFAULT_MAX_BYTES,
    from_json,
    from_xml,
    to_json_dict,
    to_xml,
)
from cbec.messages.models import CebMessage
from cbec.messages.xsd import write_all

app = typer.Typer(
    help="CEB messages: generate the XSDs, validate message files, convert XML <-> JSON.",
    no_args_is_help=True,
)


class Form(StrEnum):
    """The two forms a message travels in."""

    json = "json"
    xml = "xml"


MAX_BYTES_OPTION = typer.Option(
    DEFAULT_MAX_BYTES, "--max-bytes", min=1, help="Refuse files larger than this."
)


def _fail(text: str) -> typer.Exit:
    typer.echo(text, err=True)
    return typer.Exit(1)


def _read(path: Path, max_bytes: int) -> bytes:
    # Refuse a huge file by its size, without loading it; read at most one byte past the
    # limit (a pipe has no size) so that the codec refuses it by length.
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise PayloadTooLarge(
                f"message is {size} bytes; the limit is {max_bytes}",
                fields=[FieldError("(document)", f"maxBytes={max_bytes}", "message too large")],
            )
        return handle.read(max_bytes + 1)


def form_of(data: bytes) -> Form:
    """JSON if the first non-blank character opens an object or array, else XML."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return Form.json if head in (b"{", b"[") else Form.xml


def _load(path: Path, max_bytes: int) -> tuple[CebMessage, Form]:
    """Read and validate one message file (raises CbecError or OSError)."""
    data = _read(path, max_bytes)
    form = form_of(data)
    if form is Form.json:
        return from_json(data, max_bytes), form
    return from_xml(data, max_bytes), form


def _report(path: Path, error: CbecError | OSError) -> None:
    if isinstance(error, OSError):
        typer.echo(f"{path}: cannot read: {error.strerror or error}", err=True)
        return
    typer.echo(f"{path}: {error.detail}", err=True)
    for field in error.fields:
        typer.echo(f"  {field}", err=True)


@app.command("xsd")
def xsd_command(
    out: Path = typer.Argument(..., help="Directory to write CEB311.xsd ... CEB900.xsd into."),
) -> None:
    """Generate the XSD of every message type from the models and list the files."""
    writable_folder(out, "OUT")
    with writing(out, "OUT", "folder"):
        paths = write_all(out)
    for path in paths:
        typer.echo(str(path))


@app.command("validate")
def validate_command(
    files: list[Path] = typer.Argument(..., help="XML or JSON message files."),
    max_bytes: int = MAX_BYTES_OPTION,
) -> None:
    """Read each message file; print OK, or one line per problem: path, message, rule.

    Exits with 1 if any file is not a valid message.
    """
    bad = 0
    for path in files:
        try:
            message, form = _load(path, max_bytes)
        except (CbecError, OSError) as exc:
            bad += 1
            _report(path, exc)
            continue
        typer.echo(f"{path}: OK ({message.MESSAGE_TYPE}, {form.value}, guid {message.guid})")
    if bad:
        raise _fail(f"{bad} of {len(files)} file(s) invalid")


@app.command("convert")
def convert_command(
    file: Path = typer.Argument(..., help="An XML or JSON message file."),
    to: Form | None = typer.Option(
        None, "--to", help="Form to print (default: the other one).", case_sensitive=False
    ),
    max_bytes: int = MAX_BYTES_OPTION,
) -> None:
    """Print the message in the other form (XML -> JSON, JSON -> XML)."""
    try:
        message, form = _load(file, max_bytes)
    except (CbecError, OSError) as exc:
        _report(file, exc)
        raise typer.Exit(1) from None
    target = to or (Form.xml if form is Form.json else Form.json)
    if target is Form.json:
        typer.echo(json.dumps(to_json_dict(message), ensure_ascii=False, indent=2))
    else:
        typer.echo(to_xml(message, pretty=True).decode("utf-8"), nl=False)
