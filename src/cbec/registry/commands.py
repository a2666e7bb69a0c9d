"""``cbec registry ...``: file enterprises, change their status, issue keys, import a file.

Each command is one unit of work on ``CBEC_DATABASE_URL``: committed when it succeeds,
rolled back otherwise. API keys are printed only after the commit, so a key that is shown
is a key that works. Bad input prints one line per problem (field, message, rule) and
exits with status 1.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cbec.commandline import unit_of_work
from cbec.registry import service
from cbec.registry.schemas import (
    EnterpriseAmend,
    EnterpriseFiling,
    EnterpriseOut,
    KeyInfo,
    SignatureKeyFiling,
    SignatureKeyOut,
    parse,
)

app = typer.Typer(
    help="The enterprise registry: filing, status, API keys, registry files.",
    no_args_is_help=True,
)
console = Console()

RoleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--role",
        help="A role (repeat for several): platform, ecommerce, payment, logistics, agent, area.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _describe(out: EnterpriseOut) -> str:
    line = f"{out.customs_code}  {out.name}  [{', '.join(out.roles)}]  {out.status}"
    if out.status_reason:
        line += f" ({out.status_reason})"
    return line


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("file")
def file_command(
    code: Annotated[str, typer.Option("--code", help="10-character customs code.")],
    uscc: Annotated[str, typer.Option("--uscc", help="18-character unified social credit code.")],
    name: Annotated[str, typer.Option("--name", help="Registered name.")],
    role: RoleOption = None,
    filing_date: Annotated[
        str | None, typer.Option("--filing-date", help="YYYY-MM-DD (default: today, Beijing).")
    ] = None,
) -> None:
    """File a new enterprise and print its first API key (shown this once)."""
    data: dict[str, Any] = {"customsCode": code, "uscc": uscc, "name": name, "roles": role or []}
    if filing_date is not None:
        data["filingDate"] = filing_date
    with unit_of_work() as session:
        enterprise, key = service.file_enterprise(session, parse(EnterpriseFiling, data))
        out = EnterpriseOut.of(enterprise)
    typer.echo(f"filed {_describe(out)}, filing date {out.filing_date}")
    typer.echo("API key (shown once, store it now):")
    typer.echo(key.token)


@app.command("amend")
def amend_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    name: Annotated[str | None, typer.Option("--name", help="New registered name.")] = None,
    uscc: Annotated[str | None, typer.Option("--uscc", help="Corrected USCC.")] = None,
    role: RoleOption = None,
) -> None:
    """Change an enterprise's name, USCC or roles (--role replaces the whole set)."""
    changes = EnterpriseAmend(name=name, uscc=uscc, roles=role or None)
    with unit_of_work() as session:
        out = EnterpriseOut.of(service.amend(session, code, changes))
    typer.echo(f"amended {_describe(out)}")


@app.command("rates")
def rates_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    review: Annotated[
        str | None, typer.Option(help="Share of its lists sent to manual review, 0..1.")
    ] = None,
    inspection: Annotated[
        str | None, typer.Option(help="Share of its lists sent to inspection, 0..1.")
    ] = None,
) -> None:
    """Set an enterprise's review and inspection rates (leave one out: back to the default)."""
    try:
        review_rate = Decimal(review) if review is not None else None
        inspection_rate = Decimal(inspection) if inspection is not None else None
    except ArithmeticError:
        typer.echo("error: rates are decimal shares such as 0.05", err=True)
        raise typer.Exit(1) from None
    with unit_of_work() as session:
        enterprise = service.set_rates(
            session, code, review=review_rate, inspection=inspection_rate
        )
        shown = (enterprise.review_rate, enterprise.inspection_rate)
    typer.echo(f"{code}: review {shown[0] or 'default'}, inspection {shown[1] or 'default'}")


@app.command("suspend")
def suspend_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to the enterprise).")],
) -> None:
    """Suspend an active enterprise."""
    with unit_of_work() as session:
        out = EnterpriseOut.of(service.suspend(session, code, reason))
    typer.echo(f"suspended {_describe(out)}")


@app.command("reinstate")
def reinstate_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (optional).")] = None,
) -> None:
    """Make a suspended enterprise active again (a revoked one cannot be)."""
    with unit_of_work() as session:
        out = EnterpriseOut.of(service.reinstate(session, code, reason))
    typer.echo(f"reinstated {_describe(out)}")


@app.command("revoke")
def revoke_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to the enterprise).")],
) -> None:
    """Revoke a filing for good, with all its API keys."""
    with unit_of_work() as session:
        out = EnterpriseOut.of(service.revoke(session, code, reason))
    typer.echo(f"revoked {_describe(out)}")


@app.command("list")
def list_command(
    role: Annotated[str | None, typer.Option("--role", help="Only this role.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status: active, suspended, revoked.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List filed enterprises by customs code."""
    with unit_of_work() as session:
        found = [
            EnterpriseOut.of(e) for e in service.list_enterprises(session, role=role, status=status)
        ]
    if as_json:
        _print_json([e.model_dump(mode="json") for e in found])
        return
    table = Table()
    for column in ("customs code", "USCC"):
        table.add_column(column, no_wrap=True)
    table.add_column("name")
    table.add_column("roles")
    table.add_column("status")
    table.add_column("filed", no_wrap=True)
    for e in found:
        shown = e.status if not e.status_reason else f"{e.status}: {e.status_reason}"
        # Text cells: names and reasons are data, never Rich markup.
        cells = (e.customs_code, e.uscc, e.name, ", ".join(e.roles), shown, str(e.filing_date))
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    typer.echo(f"{len(found)} enterprise(s)")


@app.command("show")
def show_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    as_json: JsonOption = False,
) -> None:
    """Show one enterprise and its API keys (ids and dates, never secrets)."""
    with unit_of_work() as session:
        out = EnterpriseOut.of(service.get_by_code(session, code))
        keys = [KeyInfo.of(k) for k in service.list_keys(session, code)]
    if as_json:
        _print_json(
            out.model_dump(mode="json") | {"keys": [k.model_dump(mode="json") for k in keys]}
        )
        return
    typer.echo(_describe(out))
    typer.echo(
        f"USCC {out.uscc}, filed {out.filing_date}, updated {out.updated_at:%Y-%m-%d %H:%M} UTC"
    )
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
        typer.echo(f"key {k.key_id}  issued {k.created_at:%Y-%m-%d %H:%M}  {state}")


@app.command("issue-key")
def issue_key_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
) -> None:
    """Issue another API key and print it (shown this once)."""
    with unit_of_work() as session:
        key = service.issue_key(session, code)
    typer.echo(f"API key {key.key_id} for {code} (shown once, store it now):")
    typer.echo(key.token)


@app.command("revoke-key")
def revoke_key_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    key_id: Annotated[str, typer.Argument(help="The key id (cbec_<key id>_...).")],
) -> None:
    """Revoke one API key of an enterprise."""
    with unit_of_work() as session:
        service.revoke_key(session, code, key_id)
    typer.echo(f"revoked key {key_id} of {code}")


signature_app = typer.Typer(
    help="Public keys for the XML-DSig signatures of an enterprise's messages, and the "
    "signature policy (off / warn / enforce).",
    no_args_is_help=True,
)
app.add_typer(signature_app, name="signature")


@signature_app.command("add-key")
def add_signature_key_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="PEM file: public key (or X.509 cert, RSA/ECDSA).")
    ],
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="sm2-sm3, rsa-sha256 or ecdsa-sha256.")
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="KeyName its messages give (default: from the fingerprint)."),
    ] = None,
) -> None:
    """File a public key for an enterprise's message signatures."""
    try:
        pem = public_key.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {public_key}: {exc}", err=True)
        raise typer.Exit(1) from None
    filing = SignatureKeyFiling(key_name=name, algorithm=algorithm, public_key=pem)
    with unit_of_work() as session:
        out = SignatureKeyOut.of(service.file_signature_key(session, code, filing))
    typer.echo(f"{code}: key {out.key_name} ({out.algorithm}) fingerprint {out.fingerprint}")


@signature_app.command("keys")
def signature_keys_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    as_json: JsonOption = False,
) -> None:
    """List an enterprise's signature keys and its policy."""
    with unit_of_work() as session:
        keys = [SignatureKeyOut.of(k) for k in service.list_signature_keys(session, code)]
        policy = service.get_by_code(session, code).signature_policy
    if as_json:
        _print_json(
            {"policy": policy, "keys": [k.model_dump(mode="json", by_alias=True) for k in keys]}
        )
        return
    typer.echo(f"{code}: signature policy {policy}")
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
        typer.echo(f"  {k.key_name}  {k.algorithm}  {k.fingerprint[:16]}…  {state}")


@signature_app.command("revoke-key")
def revoke_signature_key_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    name: Annotated[str, typer.Argument(help="The key's name.")],
) -> None:
    """Revoke a signature key: messages signed with it no longer verify."""
    with unit_of_work() as session:
        service.revoke_signature_key(session, code, name)
    typer.echo(f"revoked signature key {name} of {code}")


@signature_app.command("policy")
def signature_policy_command(
    code: Annotated[str, typer.Argument(help="Customs code of the enterprise.")],
    policy: Annotated[str, typer.Argument(help="off, warn or enforce.")],
) -> None:
    """Set what intake does with the signatures of the enterprise's declared messages."""
    with unit_of_work() as session:
        service.set_signature_policy(session, code, policy)
    typer.echo(f"{code}: signature policy {policy}")


def _write_keys(path: Path, tokens: dict[str, str]) -> None:
    """Add ``tokens`` to the JSON object at ``path`` (kept private: it holds secrets)."""
    known: dict[str, str] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = None
        if isinstance(loaded, dict):
            known = {str(k): str(v) for k, v in loaded.items()}
    known.update(tokens)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(known, out, ensure_ascii=False, indent=2)
        out.write("\n")


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="A cbec-registry/1 JSON file (cbec sim writes one).")
    ],
    keys_out: Annotated[
        Path | None,
        typer.Option(
            "--keys-out",
            help="Add the keys issued now to this JSON file as {customsCode: apiKey} "
            "(keys already in it are kept). Without it the keys are printed.",
        ),
    ] = None,
) -> None:
    """File and amend enterprises from a registry file: all entries or none.

    Importing the same file again changes nothing and issues no new key, except to an
    enterprise left without a live key.
    """
    try:
        document = json.loads(file.read_bytes())
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        typer.echo(f"error: {file} is not JSON: {exc}", err=True)
        raise typer.Exit(1) from None
    with unit_of_work(note=f"nothing was imported from {file}") as session:
        summary = service.import_registry(session, document)
    tokens = summary.tokens()
    typer.echo(
        f"imported {file}: {len(summary.filed)} filed, {len(summary.amended)} amended, "
        f"{len(summary.unchanged)} unchanged; {len(tokens)} API key(s) issued"
    )
    if keys_out is not None:
        _write_keys(keys_out, tokens)
        typer.echo(f"API keys issued now added to {keys_out}")
    else:
        for code, token in tokens.items():
            typer.echo(f"{code} {token}")
