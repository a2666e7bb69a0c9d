"""``cbec portrait ...``: portraits and classes, platform verification, re-rating,
emergency class changes, and the evaluation on a simulated day.

Commands that change something sign in an officer (``--officer``, password prompted or read
from standard input with ``--password-stdin``) holding the role the change needs, and are
written to the audit log against that officer. ``cbec portrait rate`` only proposes (it is
the scheduled job; nothing is in force until an officer publishes). Reading commands need no
sign-in (they run where the store is).
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cbec.audit.service import Actor
from cbec.batch.commands import DataOption, EngineOption, engine_for
from cbec.batch.engine import EMBEDDED
from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from cbec.clearance.decision import Rates
from cbec.commandline import fail, sign_in, unit_of_work
from cbec.config import get_settings
from cbec.errors import BadRequest, CbecError
from cbec.months import check_moment
from cbec.officers.roles import Role
from cbec.portrait import catalogue, evaluation, service, views
from cbec.portrait.schemas import (
    CatalogueItemOut,
    CheckIn,
    EmergencyIn,
    PublishIn,
    classes_out,
    parse,
)
from cbec.store import make_engine, make_session_factory, upgrade

app = typer.Typer(
    help="Enterprise portraits and classes, platform verification, re-rating.",
    no_args_is_help=True,
)
check_app = typer.Typer(help="Platform verification checks entered by officers.")
app.add_typer(check_app, name="check", no_args_is_help=True)
catalogue_app = typer.Typer(help="Product catalogues filed by platforms and sellers.")
app.add_typer(catalogue_app, name="catalogue", no_args_is_help=True)

OfficerOpt = Annotated[str, typer.Option("--officer", help="Your officer username.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Days = Annotated[int, typer.Option("--days", min=1, max=3660, help="Window: the last N days.")]


def _console() -> Console:
    """A console sized when it prints (the terminal's width, or COLUMNS)."""
    return Console()


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date or time", param_hint=name) from None
    try:
        return check_moment(moment if moment.tzinfo else moment.replace(tzinfo=UTC), name)
    except BadRequest as exc:
        raise typer.BadParameter(exc.detail, param_hint=name) from None


@app.command("classes")
def classes_command(as_json: AsJson = False) -> None:
    """The supervision classes and their rates."""
    found = classes_out()
    if as_json:
        _print_json([c.model_dump(by_alias=True) for c in found])
        return
    table = Table("class", "name", "review", "X-ray", "open", "inspection", "caps", "from score")
    for c in found:
        table.add_row(
            c.code,
            c.name,
            f"{c.review_rate:.1%}",
            f"{c.xray_rate:.1%}",
            f"{c.open_rate:.1%}",
            f"{c.inspection_rate:.1%}",
            " ".join(f"{k} {v:.0%}" for k, v in c.inspection_caps.items()),
            "-" if c.min_score is None else f"{c.min_score:g}",
        )
    _console().print(table)


@app.command("show")
def show_command(
    code: Annotated[str, typer.Argument(help="The enterprise's customs code.")],
    days: Days = service.DEFAULT_DAYS,
    as_json: AsJson = False,
) -> None:
    """An enterprise's portrait: each feature's contribution, the score, the proposed
    class, the class in force and the history of class changes."""
    with unit_of_work() as session:
        start, end = service.window(days=days)
        out = views.portrait(session, code, start, end)
    if as_json:
        _print_json(out.model_dump(by_alias=True, mode="json"))
        return
    _console().print(f"[bold]{out.code}[/] {out.name} ({', '.join(out.roles)})")
    table = Table("feature", "value", "points", "rule", title=f"score {out.score:.1f}")
    for c in out.contributions:
        table.add_row(c.feature, str(c.value), f"{c.points:+.1f}", c.rule)
    _console().print(table)
    _console().print(f"by score: {out.by_score}; proposed: [bold]{out.proposed_class}[/]")
    for cap in out.caps:
        _console().print(f"  capped: {cap}")
    if out.verification is not None:
        _console().print(f"platform verification: [bold]{out.verification.status}[/]")
    history = Table("since", "class", "source", "by", "why", title="class history")
    for row in out.history:
        mark = " (in force)" if row.in_force else ""
        history.add_row(
            f"{row.valid_from or row.created_at:%Y-%m-%d %H:%M}",
            row.class_code + mark,
            row.source,
            row.created_by,
            row.reason,
        )
    _console().print(history)


def _check_data(
    check: str,
    result: str,
    evidence: str,
    checked_on: str | None,
    reported_orders: int | None,
    period_from: str | None,
    period_to: str | None,
) -> CheckIn:
    data: dict[str, Any] = {
        "check": check,
        "result": result,
        "evidence": evidence,
        "checkedOn": checked_on or date.today().isoformat(),
        "reportedOrders": reported_orders,
        "periodFrom": period_from,
        "periodTo": period_to,
    }
    try:
        return parse(CheckIn, data)
    except CbecError as exc:
        raise fail(exc) from None


CheckOpt = Annotated[
    str, typer.Option("--check", help="login|register|buy|shipped|goods|traffic|qualification")
]
ResultOpt = Annotated[str, typer.Option("--result", help="pass|fail|inconclusive")]
EvidenceOpt = Annotated[str, typer.Option("--evidence", help="What was seen, where.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="When checked (YYYY-MM-DD).")]
OrdersOpt = Annotated[
    int | None,
    typer.Option("--reported-orders", min=0, max=INTEGER_MAX, help="traffic: orders it reported."),
]
FromOpt = Annotated[str | None, typer.Option("--period-from", help="traffic: YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--period-to", help="traffic: YYYY-MM-DD.")]


@check_app.command("add")
def check_add(
    platform: Annotated[str, typer.Argument(help="The platform's customs code.")],
    check: CheckOpt,
    result: ResultOpt,
    evidence: EvidenceOpt,
    officer: OfficerOpt,
    checked_on: DateOpt = None,
    reported_orders: OrdersOpt = None,
    period_from: FromOpt = None,
    period_to: ToOpt = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Record a verification check of a platform."""
    data = _check_data(check, result, evidence, checked_on, reported_orders, period_from, period_to)
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        row = service.add_check(session, platform, data, by=by)
        status = service.verify(session, platform, *service.window()).status
        typer.echo(f"check {row.id}: {row.check} {row.result}; {platform} is now {status}")


@check_app.command("update")
def check_update(
    check_id: Annotated[int, typer.Argument(min=1, max=BIGINT_MAX, help="The check's id.")],
    check: CheckOpt,
    result: ResultOpt,
    evidence: EvidenceOpt,
    officer: OfficerOpt,
    checked_on: DateOpt = None,
    reported_orders: OrdersOpt = None,
    period_from: FromOpt = None,
    period_to: ToOpt = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Correct a verification check."""
    data = _check_data(check, result, evidence, checked_on, reported_orders, period_from, period_to)
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        row = service.update_check(session, check_id, data, by=by)
        typer.echo(f"check {row.id}: {row.check} {row.result}")


@check_app.command("delete")
def check_delete(
    check_id: Annotated[int, typer.Argument(min=1, max=BIGINT_MAX, help="The check's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it goes.")],
    officer: OfficerOpt,
    password_stdin: PasswordStdin = False,
) -> None:
    """Remove a check entered in error."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.INVESTIGATOR, Role.RISK_ANALYST)
        service.delete_check(session, check_id, reason, by=by)
        typer.echo(f"check {check_id} deleted")


@check_app.command("list")
def check_list(
    platform: Annotated[str, typer.Argument(help="The platform's customs code.")],
    days: Days = service.DEFAULT_DAYS,
    as_json: AsJson = False,
) -> None:
    """A platform's checks, automatic checks and verification status."""
    with unit_of_work() as session:
        start, end = service.window(days=days)
        out = views.verification(session, platform, start, end)
    if as_json:
        _print_json(out.model_dump(by_alias=True, mode="json"))
        return
    table = Table("id", "check", "result", "on", "officer", "evidence")
    for c in out.checks:
        table.add_row(str(c.id), c.check, c.result, str(c.checked_on), c.officer, c.evidence)
    _console().print(table)
    auto = Table("automatic check", "result", "value", "detail")
    for a in out.automatic:
        auto.add_row(a.name, a.result, "-" if a.value is None else f"{a.value:g}", a.detail)
    _console().print(auto)
    flag = " (flagged to risk control)" if out.flagged else ""
    _console().print(f"{platform}: [bold]{out.status}[/]{flag}")


@catalogue_app.command("import")
def catalogue_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A cbec-catalogues/1 JSON file (cbec sim writes catalogues.json), a JSON list "
            "of items, or a CSV file with the header itemNo,goodsName,hsCode,brand,spec[,filedOn]."
        ),
    ],
    enterprise: Annotated[
        str | None,
        typer.Option(
            "--enterprise",
            help="The filing enterprise (a CSV file or a list of items is one enterprise's; "
            "with a cbec-catalogues/1 file, import only this one's).",
        ),
    ] = None,
) -> None:
    """File and amend product catalogue items from a file: all or none. Items not in the
    file are left as they are; importing the same file again changes nothing."""
    try:
        found = catalogue.read_file(file, enterprise)
    except CbecError as exc:
        raise fail(exc, f"nothing was imported from {file}") from None
    with unit_of_work(note=f"nothing was imported from {file}") as session:
        done = catalogue.import_catalogues(session, found, by=Actor.system("catalogue.import"))
    typer.echo(
        f"imported {file}: {len(found)} catalogue(s), {done.total('filed')} item(s) filed, "
        f"{done.total('amended')} amended, {done.total('unchanged')} unchanged"
    )


@catalogue_app.command("list")
def catalogue_list(
    code: Annotated[str, typer.Argument(help="The filing enterprise's customs code.")],
    withdrawn: Annotated[
        bool, typer.Option("--withdrawn", help="Include withdrawn items.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """An enterprise's product catalogue, by item number."""
    with unit_of_work() as session:
        service.enterprise(session, code)
        rows = [
            CatalogueItemOut.of(r) for r in catalogue.items_of(session, code, withdrawn=withdrawn)
        ]
    if as_json:
        _print_json([r.model_dump(by_alias=True, mode="json") for r in rows])
        return
    table = Table("item", "goods", "HS", "brand", "spec", "filed", "withdrawn", title=code)
    for r in rows:
        table.add_row(
            r.item_no,
            r.goods_name,
            r.hs_code,
            r.brand,
            r.spec,
            str(r.filed_on),
            str(r.withdrawn_on or ""),
        )
    _console().print(table)


@app.command("rate")
def rate_command(
    days: Days = service.DEFAULT_DAYS,
    window_from: Annotated[str | None, typer.Option("--from", help="Window start.")] = None,
    window_to: Annotated[str | None, typer.Option("--to", help="Window end.")] = None,
    engine: EngineOption = EMBEDDED,
    data: DataOption = None,
    as_json: AsJson = False,
) -> None:
    """Compute a proposed re-rating of every enterprise active in the window (the
    scheduled job). An officer reviews it and publishes it (``cbec portrait publish``).
    The enterprises' features are a batch job on --engine, over the store or over a
    `cbec export-data` folder (--data); platform verification reads the store."""
    start, end = service.window(
        _moment(window_from, "--from"), _moment(window_to, "--to"), days, names=("--from", "--to")
    )
    with engine_for(engine) as batch, unit_of_work() as session:
        rating = service.propose(
            session, start, end, by=Actor.system("portrait.rate"), engine=batch, data=data
        )
        out = views.rating(session, rating.id)
    if as_json:
        _print_json(out.model_dump(by_alias=True, mode="json"))
        return
    _print_rating(out)


def _print_rating(out: Any) -> None:
    table = Table(
        "enterprise", "in force", "proposed", "kept", "score", "why",
        title=f"rating {out.id} ({out.status}): {out.changes} change(s)",
    )  # fmt: skip
    for i in out.items:
        changed = i.proposed_class != i.current_class
        table.add_row(
            i.enterprise_code,
            i.current_class or "-",
            f"[bold]{i.proposed_class}[/]" if changed else i.proposed_class,
            i.final_class or "",
            f"{i.score:.1f}",
            i.reason,
        )
    _console().print(table)


@app.command("rating")
def rating_command(
    rating_id: Annotated[int, typer.Argument(min=1, max=INTEGER_MAX, help="The rating's id.")],
    as_json: AsJson = False,
) -> None:
    """One re-rating with each enterprise's class in force, proposed class and why."""
    with unit_of_work() as session:
        out = views.rating(session, rating_id)
    if as_json:
        _print_json(out.model_dump(by_alias=True, mode="json"))
        return
    _print_rating(out)


@app.command("publish")
def publish_command(
    rating_id: Annotated[int, typer.Argument(min=1, max=INTEGER_MAX, help="The rating's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the audit log keeps it).")],
    officer: OfficerOpt,
    override: Annotated[
        list[str] | None,
        typer.Option("--override", help="CODE=CLASS: keep another class (repeatable)."),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Publish a proposed re-rating: the next decisions use the new classes."""
    pairs = dict(o.partition("=")[::2] for o in override or [])
    try:
        data = parse(PublishIn, {"reason": reason, "overrides": pairs})
    except CbecError as exc:
        raise fail(exc) from None
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        written = service.publish(
            session, rating_id, reason=data.reason, overrides=data.overrides, by=by
        )
        typer.echo(f"rating {rating_id} published: {len(written)} class change(s) in force")


@app.command("discard")
def discard_command(
    rating_id: Annotated[int, typer.Argument(min=1, max=INTEGER_MAX, help="The rating's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
    officer: OfficerOpt,
    password_stdin: PasswordStdin = False,
) -> None:
    """Drop a proposed re-rating."""
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST)
        service.discard(session, rating_id, reason, by=by)
        typer.echo(f"rating {rating_id} discarded")


@app.command("emergency")
def emergency_command(
    code: Annotated[str, typer.Argument(help="The enterprise's customs code.")],
    class_code: Annotated[str, typer.Argument(help="The class: A, B, C or D.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (the audit log keeps it).")],
    officer: OfficerOpt,
    valid_to: Annotated[str | None, typer.Option("--until", help="Until (ISO time).")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Change an enterprise's class at once: the next decision on its lists uses it."""
    try:
        data = parse(EmergencyIn, {"classCode": class_code, "reason": reason, "validTo": valid_to})
    except CbecError as exc:
        raise fail(exc) from None
    with unit_of_work() as session:
        by = sign_in(session, officer, password_stdin, Role.RISK_ANALYST, Role.ADMINISTRATOR)
        row = service.emergency(
            session, code, data.class_code, data.reason, by=by, valid_to=data.valid_to
        )
        typer.echo(f"{code} is class {row.class_code} from now ({row.reason})")


@app.command("evaluate")
def evaluate_command(
    folder: Annotated[Path, typer.Option("--dir", help="A day written by cbec sim.")],
    split: Annotated[
        float, typer.Option("--split", help="Share of the day's messages before the rating.")
    ] = 0.5,
    as_json: AsJson = False,
) -> None:
    """Ingest and clear a simulated day in a scratch store, rate every enterprise after the
    first half, decide the second half with the classes in force, and print the classes of
    the labelled enterprises and inspections per seizure against flat random inspection at
    the same total inspection rate."""
    settings = get_settings()
    rates = Rates(review=settings.review_rate, inspection=settings.inspection_rate)
    with tempfile.TemporaryDirectory(prefix="cbec-portrait-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'evaluate.db'}")
        upgrade(engine)
        try:
            with make_session_factory(engine)() as session:
                result = evaluation.evaluate(
                    session, folder, split=split, rates=rates, seed=settings.sampling_seed
                )
        except CbecError as exc:
            raise fail(exc) from None
        finally:
            engine.dispose()
    if as_json:
        _print_json(_evaluation_json(result))
        return
    _print_evaluation(result)


def _figures_json(f: evaluation.Figures) -> dict[str, Any]:
    return {
        "lists": f.lists,
        "fraud": f.fraud,
        "inspected": f.inspected,
        "seized": f.seized,
        "inspectionsPerSeizure": f.per_seizure,
        "expectedInspected": round(f.expected_inspected, 2),
        "expectedSeized": round(f.expected_seized, 2),
        "expectedInspectionsPerSeizure": f.expected_per_seizure,
    }


def _evaluation_json(r: evaluation.Evaluation) -> dict[str, Any]:
    honest = [c for c in r.portraits if c not in r.labelled and c not in r.accomplices]
    return {
        "messages": {"beforeRating": r.messages[0], "afterRating": r.messages[1]},
        "ratingId": r.rating_id,
        "labelled": {c: {"patterns": p, "class": r.classes.get(c)} for c, p in r.labelled.items()},
        "accomplices": {c: r.classes.get(c) for c in r.accomplices},
        "honestClasses": {
            k: sum(1 for c in honest if r.classes.get(c) == k) for k in ("A", "B", "C", "D")
        },
        "byClass": _figures_json(r.by_class),
        "flat": {**_figures_json(r.flat), "rate": r.flat_rate},
        "notes": r.notes,
    }


def _print_evaluation(r: evaluation.Evaluation) -> None:
    data = _evaluation_json(r)
    _console().print(
        f"{r.messages[0]:,} messages cleared at flat rates, officers played from the labels, "
        f"rating {r.rating_id} published, then {r.messages[1]:,} messages under the classes"
    )
    table = Table("enterprise", "ground truth", "class", "score", "why")
    for code, patterns in sorted(r.labelled.items()):
        p = r.portraits.get(code)
        table.add_row(
            code,
            ", ".join(patterns),
            r.classes.get(code, "-"),
            f"{p.score:.1f}" if p else "-",
            p.reason() if p else "no list in the window",
        )
    for code in r.accomplices:
        p = r.portraits.get(code)
        table.add_row(
            code,
            "trades only on a labelled platform",
            r.classes.get(code, "-"),
            f"{p.score:.1f}" if p else "-",
            p.reason() if p else "",
        )
    _console().print(table)
    for note in r.notes:
        _console().print(note)
    _console().print(
        "other (honest) enterprises by class: "
        + ", ".join(f"{k} {n}" for k, n in data["honestClasses"].items())
    )
    figures = Table(
        "after the rating", "lists", "labelled fraud", "inspected", "seized",
        "inspections per seizure", "expected per seizure",
        title="class-based against flat random inspection at the same total rate",
    )  # fmt: skip
    for name, f in (
        ("class rates", r.by_class),
        (f"flat {r.flat_rate:.2%}", r.flat),
    ):
        figures.add_row(
            name,
            f"{f.lists:,}",
            f"{f.fraud:,}",
            f"{f.inspected:,}",
            f"{f.seized:,}",
            "-" if f.per_seizure is None else f"{f.per_seizure:.1f}",
            "-" if f.expected_per_seizure is None else f"{f.expected_per_seizure:.1f}",
        )
    _console().print(figures)
