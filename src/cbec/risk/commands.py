"""``cbec risk ...``: analyst rules, features over history, control instructions, cases.

Commands that change something sign in an officer (``--officer``, password prompted or read
from standard input with ``--password-stdin``) holding the role the change needs, and are
written to the audit log against that officer. Reading commands need no sign-in (they run
where the store is).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from cbec.batch.commands import DataOption, EngineOption, engine_for
from cbec.batch.engine import EMBEDDED, Source
from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from cbec.clearance.service import Policy
from cbec.commandline import IdArg, fail, one_of, sign_in, unit_of_work, writable_file, writing
from cbec.config import get_settings
from cbec.errors import BadRequest, CbecError, FieldError
from cbec.officers.roles import Role
from cbec.privacy import scrub
from cbec.risk import batch as risk_batch
from cbec.risk import cases, history, quality, repository, service
from cbec.risk.learning.commands import register as register_learning
from cbec.risk.schemas import CaseOut, InstructionIn, InstructionOut, RuleSetOut
from cbec.sim.labels import read_labels

app = typer.Typer(
    help="Risk control: analyst rules, features, control instructions, cases.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Analyst rule sets: write, validate, backtest, shadow, publish.")
instructions_app = typer.Typer(help="Control instructions: issue, list, lift.")
cases_app = typer.Typer(help="Case clues for the anti-smuggling department.")
app.add_typer(rules_app, name="rules", no_args_is_help=True)
app.add_typer(instructions_app, name="instructions", no_args_is_help=True)
app.add_typer(cases_app, name="cases", no_args_is_help=True)
console = Console()

Officer = Annotated[str, typer.Option("--officer", help="Your officer username.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(
            BadRequest(
                f"cannot read {path}",
                fields=[FieldError(str(path), "json", str(exc))],
            )
        ) from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _rule_set_out(session: Session, rule_set_id: int) -> RuleSetOut:
    rule_set = service.get_rule_set(session, rule_set_id)
    counts = service.hit_counts(session, [rule_set.id]).get(rule_set.id, {})
    return RuleSetOut.of(rule_set, service.rules_of(session, rule_set.id), counts)


# -- rules --------------------------------------------------------------------------------


@rules_app.command("validate")
def validate_command(file: Annotated[Path, typer.Argument(help="A rule set (JSON).")]) -> None:
    """Check a rule file against the store: every problem with its JSON path and rule (a
    scope's enterprise not filed too); exit 1 if any."""
    payload = _read_json(file)
    with unit_of_work() as session:
        problems = service.validate(payload, session)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{file}: valid")


@rules_app.command("create")
def create_command(
    file: Annotated[Path, typer.Argument(help="A rule set (JSON).")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Store a rule file as a new draft."""
    data = _parse(_read_json(file))
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        rule_set = service.create_rule_set(session, data, by=by)
        typer.echo(f"draft {rule_set.id} {rule_set.name!r}: {len(data.rules)} rule(s)")


def _parse(payload: Any) -> Any:
    try:
        return service.parse(payload)
    except CbecError as exc:
        raise fail(exc) from None


@rules_app.command("update")
def update_command(
    rule_set_id: Annotated[int, typer.Argument(min=1, max=INTEGER_MAX, help="The draft's id.")],
    file: Annotated[Path, typer.Argument(help="The new rule set (JSON).")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Replace the rules of a draft."""
    data = _parse(_read_json(file))
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        rule_set = service.update_rule_set(session, rule_set_id, data, by=by)
        typer.echo(f"draft {rule_set.id} now at revision {rule_set.revision}")


@rules_app.command("shadow")
def shadow_command(
    rule_set_id: IdArg,
    officer: Officer,
    on: Annotated[bool, typer.Option("--on/--off", help="Start or stop the shadow run.")] = True,
    password_stdin: PasswordStdin = False,
) -> None:
    """Run a draft in the shadow of live traffic (hits recorded, decisions unchanged)."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        rule_set = service.set_shadow(session, rule_set_id, on, by=by)
        typer.echo(f"rule set {rule_set.id}: shadow {'on' if rule_set.shadow else 'off'}")


@rules_app.command("publish")
def publish_command(
    rule_set_id: IdArg, officer: Officer, password_stdin: PasswordStdin = False
) -> None:
    """Make a draft live (immutable from now on)."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        rule_set = service.publish(session, rule_set_id, by=by)
        typer.echo(f"rule set {rule_set.id} {rule_set.name!r} published")


@rules_app.command("retire")
def retire_command(
    rule_set_id: IdArg, officer: Officer, password_stdin: PasswordStdin = False
) -> None:
    """Take a rule set out of use for good."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        rule_set = service.retire(session, rule_set_id, by=by)
        typer.echo(f"rule set {rule_set.id} {rule_set.name!r} retired")


@rules_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="draft, published or retired")] = None,
    as_json: AsJson = False,
) -> None:
    """Rule sets, newest first."""
    one_of("--status", status, service.RULE_SET_STATUSES)
    with unit_of_work() as session:
        found = repository.rule_sets(session, status, 500)
        counts = service.hit_counts(session, [s.id for s in found])
        outs = [
            RuleSetOut.of(s, service.rules_of(session, s.id), counts.get(s.id, {})) for s in found
        ]
    if as_json:
        _print_json([o.model_dump(mode="json", by_alias=True) for o in outs])
        return
    table = Table(title="rule sets")
    for column in ("id", "name", "status", "shadow", "rules", "live hits", "shadow hits"):
        table.add_column(column)
    for o in outs:
        table.add_row(
            str(o.id),
            o.name,
            o.status,
            "yes" if o.shadow else "",
            ", ".join(r.name for r in o.rules),
            str(o.live_hits),
            str(o.shadow_hits),
        )
    console.print(table)


@rules_app.command("show")
def show_command(rule_set_id: IdArg) -> None:
    """One rule set with its rules, as JSON."""
    with unit_of_work() as session:
        out = _rule_set_out(session, rule_set_id)
    _print_json(out.model_dump(mode="json", by_alias=True))


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name) from None


@rules_app.command("backtest")
def backtest_command(
    rule_set_id: IdArg,
    since: Annotated[str | None, typer.Option(help="First declaration date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last declaration date, YYYY-MM-DD.")] = None,
    as_json: AsJson = False,
) -> None:
    """What a rule set would have hit over history: hits, seizure rate, value and tax."""
    with unit_of_work() as session:
        result = service.backtest(
            session,
            rule_set_id,
            since=_day(since, "--since"),
            until=_day(until, "--until"),
            names=("--since", "--until"),
        )
        out = service.backtest_out(result)
    if as_json:
        _print_json(out.model_dump(mode="json", by_alias=True))
        return
    console.print(
        f"rule set {out.rule_set_id} over {out.lists:,} list(s) ({out.positives} seized or "
        f"confirmed): {out.hits:,} hit(s), hit rate {_pct(out.hit_rate)}, seizure rate among "
        f"hits {_pct(out.seizure_rate)}, seizures caught {_pct(out.recall)}, value "
        f"{out.value} CNY, tax {out.tax} CNY"
    )
    table = Table(title="by rule")
    for column in ("rule", "action", "hits", "inspected", "seized", "seizure rate", "value", "tax"):
        table.add_column(column, justify="left" if column in ("rule", "action") else "right")
    for r in out.rules:
        table.add_row(
            r.rule,
            r.action,
            f"{r.hits:,}",
            f"{r.inspected:,}",
            f"{r.seized:,}",
            _pct(r.seizure_rate),
            str(r.value),
            str(r.tax),
        )
    console.print(table)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@rules_app.command("hits")
def hits_command(
    rule_set: Annotated[
        int | None, typer.Option("--rule-set", min=1, max=INTEGER_MAX, help="Only this set's.")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="live or shadow")] = None,
    after: Annotated[int, typer.Option(min=0, max=BIGINT_MAX, help="Only hits after this id.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: AsJson = False,
) -> None:
    """Recorded hits with the values that made each hit."""
    one_of("--mode", mode, service.HIT_MODES)
    with unit_of_work() as session:
        found = service.hits(session, rule_set_id=rule_set, mode=mode, after=after, limit=limit)
    if as_json:
        _print_json([h.model_dump(mode="json", by_alias=True) for h in found])
        return
    table = Table(title="hits")
    for column in ("id", "list", "set", "rule", "mode", "action", "values"):
        table.add_column(column)
    for h in found:
        table.add_row(
            str(h.id),
            h.invt_no or "-",
            str(h.rule_set_id or "-"),
            h.rule_name,
            h.mode,
            h.action,
            scrub(json.dumps(h.values, ensure_ascii=False))[:80],
        )
    console.print(table)


# -- features -----------------------------------------------------------------------------


@app.command("features")
def features_command(
    out: Annotated[Path, typer.Option("--out", help="A .csv or .parquet file to write.")],
    since: Annotated[str | None, typer.Option(help="First declaration date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last declaration date, YYYY-MM-DD.")] = None,
    engine: EngineOption = EMBEDDED,
    data: DataOption = None,
) -> None:
    """Features of every decided list (the same values real time computed), with what
    became of it (inspected, seized, a closed case's label), for training: a batch job on
    --engine, over the store or over a `cbec export-data` folder (--data)."""
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and last < first:
        # over no lists the file would hold a header only, which looks like an answer
        message = f"the span must end on or after its first day ({first.isoformat()})"
        raise fail(BadRequest(message, fields=[FieldError("--until", "after", message)]))
    if out.suffix not in (".csv", ".parquet"):
        raise fail(
            BadRequest(
                f"unknown output format {out.suffix or '(none)'}",
                fields=[FieldError("--out", "format", "a .csv or .parquet file name")],
            )
        )
    writable_file(out, "--out")
    with engine_for(engine) as job:
        try:
            if data is not None:
                rows = risk_batch.training_set(job, Source.parquet(data), since=first, until=last)
                with writing(out, "--out"):
                    written = history.write_records(rows, out)
            else:
                with unit_of_work() as session:
                    source = risk_batch.store_source(session, until=last)
                    rows = risk_batch.training_set(job, source, since=first, until=last)
                    with writing(out, "--out"):
                        written = history.write_records(rows, out)
        except CbecError as exc:
            raise fail(exc) from None
    typer.echo(f"{written:,} list(s) written to {out}")


# -- control instructions -----------------------------------------------------------------

#: The options of ``instructions issue`` by the field of an instruction each one gives.
INSTRUCTION_OPTIONS = {
    "targetKind": "--target-kind",
    "targetValue": "--value",
    "action": "--action",
    "reason": "--reason",
}


def _option_of(path: str) -> str:
    return INSTRUCTION_OPTIONS.get(path, path)


@instructions_app.command("issue")
def issue_command(
    target_kind: Annotated[
        str, typer.Option("--target-kind", help="enterprise, buyer, hs_code, logistics_no, list")
    ],
    value: Annotated[str, typer.Option("--value", help="The code, ID number, HS code, ...")],
    action: Annotated[str, typer.Option(help="review, xray, open_inspection or hold")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Issue a control instruction; lists in review or under inspection it targets are
    re-decided now."""
    try:
        data = InstructionIn.model_validate(
            {"targetKind": target_kind, "targetValue": value, "action": action, "reason": reason}
        )
    except ValidationError as exc:
        problems = [
            FieldError(
                _option_of("/".join(str(p) for p in e["loc"])) or "instruction",
                e["type"],
                str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise fail(BadRequest("invalid instruction", fields=problems)) from None
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        try:
            row, changed = service.issue_instruction(
                session, data, by=by, policy=Policy.from_settings(get_settings())
            )
        except CbecError as exc:  # name the options, not the fields of the API's body
            exc.fields = [FieldError(_option_of(f.path), f.rule, f.message) for f in exc.fields]
            raise
        typer.echo(
            f"instruction {row.id} issued; {len(changed)} list(s) re-decided"
            + (f": {', '.join(changed)}" if changed else "")
        )


@instructions_app.command("list")
def instructions_list_command(
    status: Annotated[str | None, typer.Option(help="active or lifted")] = None,
    as_json: AsJson = False,
) -> None:
    """Control instructions, newest first (buyer identities masked)."""
    one_of("--status", status, service.INSTRUCTION_STATUSES)
    with unit_of_work() as session:
        outs = [InstructionOut.of(r) for r in repository.instructions(session, status, 1000)]
    if as_json:
        _print_json([o.model_dump(mode="json", by_alias=True) for o in outs])
        return
    table = Table(title="control instructions")
    for column in ("id", "status", "target", "action", "reason", "by"):
        table.add_column(column)
    for o in outs:
        table.add_row(
            str(o.id),
            o.status,
            f"{o.target_kind} {o.target_value}",
            o.action,
            scrub(o.reason)[:60],
            o.issued_by,
        )
    console.print(table)


@instructions_app.command("lift")
def lift_command(
    instruction_id: int,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Stop an instruction for the lists decided from now on."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        row = service.lift_instruction(session, instruction_id, reason, by=by)
        typer.echo(f"instruction {row.id} lifted")


# -- cases --------------------------------------------------------------------------------


@cases_app.command("list")
def cases_list_command(
    status: Annotated[str | None, typer.Option(help="open, investigating or closed")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only this officer's.")] = None,
    as_json: AsJson = False,
) -> None:
    """Cases, newest first."""
    one_of("--status", status, cases.STATUSES)
    with unit_of_work() as session:
        outs = [CaseOut.of(c) for c in repository.cases(session, status, assignee, 1000)]
    if as_json:
        _print_json([o.model_dump(mode="json", by_alias=True) for o in outs])
        return
    table = Table(title="cases")
    for column in ("id", "status", "source", "assignee", "outcome", "title"):
        table.add_column(column)
    for o in outs:
        table.add_row(
            str(o.id), o.status, o.source, o.assignee or "-", o.outcome or "-", o.title[:70]
        )
    console.print(table)


@cases_app.command("show")
def case_show_command(case_id: IdArg) -> None:
    """One case with its evidence (identities masked), as JSON."""
    with unit_of_work() as session:
        case = cases.get(session, case_id)
        out = CaseOut.of(case, list(repository.evidence_of(session, case.id)))
    _print_json(out.model_dump(mode="json", by_alias=True))


@cases_app.command("assign")
def case_assign_command(
    case_id: IdArg,
    assignee: Annotated[str, typer.Argument(help="An investigator or risk analyst.")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Give a case to an officer."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        case = cases.assign(session, case_id, assignee, by=by)
        typer.echo(f"case {case.id} assigned to {case.assignee}")


@cases_app.command("investigate")
def case_investigate_command(
    case_id: IdArg,
    officer: Officer,
    note: Annotated[str, typer.Option(help="A note for the log.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Start investigating an open case."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        case = cases.investigate(session, case_id, by=by, note=note)
        typer.echo(f"case {case.id} is {case.status} ({case.assignee})")


@cases_app.command("close")
def case_close_command(
    case_id: IdArg,
    outcome: Annotated[str, typer.Option(help="confirmed, unfounded or inconclusive")],
    note: Annotated[str, typer.Option(help="What was found (kept in the audit log).")],
    officer: Officer,
    password_stdin: PasswordStdin = False,
) -> None:
    """Close a case with its outcome; its lists get the outcome as a training label."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        case = cases.close(session, case_id, outcome, note, by=by)
        typer.echo(f"case {case.id} closed: {case.outcome}")


@app.command("quality")
def quality_command(
    labels: Annotated[Path, typer.Argument(help="The labels.json cbec sim wrote.")],
    as_json: AsJson = False,
) -> None:
    """Precision and recall of a simulated day's injected fraud at the inspection rate in
    force (the labels are read by this evaluation only)."""
    try:
        truth = read_labels(labels)
    except CbecError as exc:
        raise fail(exc) from None
    with unit_of_work() as session:
        found = quality.evaluate(session, truth)
    if as_json:
        _print_json(found.as_dict())
        return
    print_quality(found)


def print_quality(found: quality.Quality) -> None:
    """The quality report as a console table."""
    console.print(
        f"{found.all.lists:,} list(s) decided, {found.fraud.lists:,} fraudulent; "
        f"{found.all.rejected:,} rejected by the checks ({found.fraud.rejected:,} fraudulent); "
        f"{found.all.selected:,} held or inspected = inspection rate "
        f"{_pct(found.inspection_rate)} of the lists that passed the checks"
    )
    console.print(
        f"selection: precision {_pct(found.precision)}, recall {_pct(found.recall)}; "
        f"by rules alone ({found.all.by_rules:,} lists): precision "
        f"{_pct(found.rules_precision)}, recall {_pct(found.rules_recall)}; fraud stopped "
        f"(rejected or selected) {_pct(found.stopped_recall)}"
    )
    console.print(
        f"drawn at random (class rates and exploration): {found.all.random:,} of the "
        f"{found.all.selected:,} selected = {_pct(found.random_share)}"
    )
    table = Table(title="by fraud pattern")
    for column in ("pattern", "lists", "rejected", "selected", "by rules", "reviewed", "released"):
        table.add_column(column, justify="left" if column == "pattern" else "right")
    for name, t in sorted(found.patterns.items()):
        table.add_row(
            name,
            f"{t.lists:,}",
            f"{t.rejected:,}",
            f"{t.selected:,}",
            f"{t.by_rules:,}",
            f"{t.reviewed:,}",
            f"{t.released:,}",
        )
    console.print(table)


# The learned model's commands (train, evaluate, benchmark kcs) live in cbec.risk.learning.
register_learning(app)
