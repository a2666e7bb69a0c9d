"""Routes of the risk pages: rules and the rule editor, cases, portraits, payment
companies, the warehouse, and the workbench's "open case clue". Thin: each page's logic is
in its module (:mod:`cbec.web.risk_pages`, :mod:`cbec.web.portraits`,
:mod:`cbec.web.payments`, :mod:`cbec.web.stock`), which checks the officer's role.

Pages answer a stranger with the sign-in form and an officer without the role with 403.
Actions are plain HTML forms (POST, same origin), redirect to the page that shows their
effect, and show the error (with its field paths and rules) when the service refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cbec.bounds import Id
from cbec.deps import SessionDep
from cbec.errors import CbecError, NotFound
from cbec.officers.roles import Role
from cbec.store.models import Officer
from cbec.web import payments, portraits, queries, risk_pages, signin, stock
from cbec.web.rendering import PageRoute, page, refused, to_login

#: A value in a page's address it cannot read gets the error page (PageRoute), not JSON.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

Text = Annotated[str, Form()]


def _show(
    request: Request,
    session: Session,
    template: str,
    build: Callable[[Officer], dict[str, Any]],
) -> Response:
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return to_login(request)
    try:
        context = build(officer)
    except CbecError as exc:
        session.rollback()
        return refused(request, officer, exc)
    return page(request, template, officer, **context)


def _act(request: Request, session: Session, do: Callable[[Officer], str], back: str) -> Response:
    signin.same_origin(request)
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return RedirectResponse(f"/login?next={back}", status_code=303)
    try:
        target = do(officer)
        session.commit()
    except CbecError as exc:
        session.rollback()
        return refused(request, officer, exc, back=back)
    return RedirectResponse(target, status_code=303)


# --- rules and the rule editor --------------------------------------------------------------


@router.get("/risk/rules")
def rules_page(request: Request, session: SessionDep) -> Response:
    """The rule sets (published, drafts, retired), each rule with its hits on live traffic
    and in the shadow and the seizure rate of the lists it hit."""
    return _show(request, session, "rules.html", lambda o: risk_pages.rules_context(session, o))


@router.get("/risk/rules/new")
def new_rules_page(request: Request, session: SessionDep) -> Response:
    """The editor with a new draft to write (risk analysts)."""
    return _show(
        request,
        session,
        "rule_set.html",
        lambda o: risk_pages.new_editor_context(o, risk_pages.template_text()),
    )


@router.get("/risk/rules/{rule_set_id}")
def rule_set_page(
    rule_set_id: Id,
    request: Request,
    session: SessionDep,
    backtest: Annotated[bool, Query()] = False,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
) -> Response:
    """One rule set: its rules and figures, its JSON (editable while a draft), and its
    backtest over the lists declared between `since` and `until` when asked."""
    return _show(
        request,
        session,
        "rule_set.html",
        lambda o: risk_pages.editor_context(
            session, o, rule_set_id, since=since, until=until, backtest=backtest
        ),
    )


def _edit(
    request: Request, session: Session, rule_set_id: int | None, text: str, step: str
) -> Response:
    """Validate the editor's text, or save it as a draft; problems come back in the
    editor with their paths, the rule they are in and the check they broke."""
    signin.same_origin(request)
    back = f"/risk/rules/{rule_set_id or 'new'}"
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return RedirectResponse(f"/login?next={back}", status_code=303)
    try:
        if rule_set_id is None:
            context = risk_pages.new_editor_context(officer, text)
        else:
            context = risk_pages.editor_context(session, officer, rule_set_id)
        if step == "save":
            saved, found = risk_pages.save(session, officer, text, rule_set_id)
            if saved is not None:
                session.commit()
                return RedirectResponse(f"/risk/rules/{saved}?saved=1", status_code=303)
        else:
            signin.need(officer, Role.RISK_ANALYST)
            found = risk_pages.check(text, session)[1]
    except CbecError as exc:
        session.rollback()
        return refused(request, officer, exc, back=back)
    session.rollback()
    context.update(text=text, problems=found, checked=True)
    return page(request, "rule_set.html", officer, http_status=400 if found else 200, **context)


@router.post("/risk/rules/new")
def create_rules(
    request: Request, session: SessionDep, text: Text = "", step: Text = "validate"
) -> Response:
    """Validate a new rule set, or save it as a draft (risk analysts; audited)."""
    return _edit(request, session, None, text, step)


@router.post("/risk/rules/{rule_set_id}")
def edit_rules(
    rule_set_id: Id,
    request: Request,
    session: SessionDep,
    text: Text = "",
    step: Text = "validate",
) -> Response:
    """Validate a draft's new text, or save it over the draft (risk analysts; audited)."""
    return _edit(request, session, rule_set_id, text, step)


@router.post("/risk/rules/{rule_set_id}/status")
def rules_status(
    rule_set_id: Id,
    request: Request,
    session: SessionDep,
    step: Text = "",
    reason: Text = "",
) -> Response:
    """Publish, retire, or run in the shadow a rule set (risk analysts; audited)."""

    def do(officer: Officer) -> str:
        risk_pages.set_status(session, officer, rule_set_id, step, reason)
        return f"/risk/rules/{rule_set_id}"

    return _act(request, session, do, f"/risk/rules/{rule_set_id}")


# --- cases -----------------------------------------------------------------------------------


@router.get("/risk/cases")
def cases_page(
    request: Request,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(open|investigating|closed)$")] = None,
) -> Response:
    """The case clues, newest first (investigators and risk analysts)."""
    return _show(
        request, session, "cases.html", lambda o: risk_pages.cases_context(session, o, status)
    )


@router.get("/risk/cases/{case_id}")
def case_page(case_id: Id, request: Request, session: SessionDep) -> Response:
    """One case with its evidence (a network's graph drawn) and its actions."""
    return _show(
        request, session, "case.html", lambda o: risk_pages.case_context(session, o, case_id)
    )


@router.post("/risk/cases/{case_id}/{step}")
def case_step(
    case_id: Id,
    step: str,
    request: Request,
    session: SessionDep,
    assignee: Text = "",
    note: Text = "",
    outcome: Text = "",
) -> Response:
    """Assign, investigate or close (with an outcome) a case; audited by the service."""
    form = {"assignee": assignee, "note": note, "outcome": outcome}

    def do(officer: Officer) -> str:
        risk_pages.case_step(session, officer, case_id, step, form)
        return f"/risk/cases/{case_id}"

    return _act(request, session, do, f"/risk/cases/{case_id}")


@router.post("/workbench/items/{invt_no}/case")
def open_case_clue(
    invt_no: str, request: Request, session: SessionDep, reason: Text = ""
) -> Response:
    """Open a case clue on a list with a reason (investigators and risk analysts): the
    list, its documents, hits, identities and enterprises become the case's evidence."""

    def do(officer: Officer) -> str:
        d = queries.declaration(session, invt_no)
        if d is None:
            raise NotFound(f"no list {invt_no}")
        return f"/risk/cases/{risk_pages.open_clue(session, officer, d, reason).id}"

    return _act(request, session, do, f"/workbench#{invt_no}")


# --- portraits --------------------------------------------------------------------------------


@router.get("/portraits")
def portraits_page(request: Request, session: SessionDep) -> Response:
    """Enterprises with their class, portrait score and contributions; the pending
    re-rating proposal."""
    return _show(request, session, "portraits.html", lambda o: portraits.list_context(session, o))


@router.get("/portraits/{code}")
def portrait_page(code: str, request: Request, session: SessionDep) -> Response:
    """One enterprise's portrait and the history of its class changes."""
    return _show(
        request, session, "portrait.html", lambda o: portraits.detail_context(session, o, code)
    )


@router.post("/portraits/ratings")
def propose_rating(request: Request, session: SessionDep) -> Response:
    """Compute a re-rating proposal over the last year (risk analysts; audited)."""

    def do(officer: Officer) -> str:
        portraits.propose(session, officer)
        return "/portraits#rating"

    return _act(request, session, do, "/portraits")


@router.post("/portraits/ratings/{rating_id}/publish")
def publish_rating(
    rating_id: Id,
    request: Request,
    session: SessionDep,
    reason: Text = "",
    code: Annotated[list[str] | None, Form()] = None,
    klass: Annotated[list[str] | None, Form(alias="class")] = None,
) -> Response:
    """Put the proposal in force, with the classes the officer kept instead (risk
    analysts; audited)."""
    kept = dict(zip(code or [], klass or [], strict=False))

    def do(officer: Officer) -> str:
        portraits.publish(session, officer, rating_id, reason, kept)
        return "/portraits"

    return _act(request, session, do, "/portraits")


# --- payment companies and the warehouse ------------------------------------------------------


@router.get("/payments")
def payments_page(request: Request, session: SessionDep) -> Response:
    """The payment companies ranked by concentration score, each score explained."""
    return _show(request, session, "payments.html", lambda o: payments.context(session, o))


@router.get("/payments/{code}/verification-requests.csv")
def verification_requests(code: str, request: Request, session: SessionDep) -> Response:
    """One payment company's verification requests as CSV (IDs cut to their last four
    characters); the export is written to the audit log."""
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return to_login(request)
    try:
        name, body = payments.requests_csv(session, officer, code)
        session.commit()
    except CbecError as exc:
        session.rollback()
        return refused(request, officer, exc, back="/payments")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/warehouse")
def warehouse_page(request: Request, session: SessionDep) -> Response:
    """Book stock per account and goods, counts off the book, goods past shelf time."""
    limit = request.app.state.settings.warehouse_shelf_days
    return _show(request, session, "warehouse.html", lambda o: stock.context(session, o, limit))
