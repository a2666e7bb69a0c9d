"""The browser pages: the monitoring screen (``/monitor``, live over server-sent events), the
officer workbench (``/workbench``) and the public consumer quota page (``/consumer``).

Officer pages need a signed-in officer (``/login``); the workbench's actions call the same
clearance service as the API, after the same role checks, and are audit-logged by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cbec.bounds import BigId
from cbec.clearance.schemas import DetentionEnd, InspectionResult, ReviewVerdict
from cbec.clearance.service import Clearance, Policy
from cbec.consumer import disputes, notices
from cbec.consumer import service as consumer
from cbec.consumer.routes import limiter as consumer_limiter
from cbec.consumer.schemas import DisputeIn, NoticeOptIn, QuotaQuery
from cbec.deps import SessionDep, SettingsDep
from cbec.errors import CbecError, NotFound, TooManyRequests
from cbec.messages.receipts import STATUS_TEXT
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.officers.throttle import AddressThrottled, client_of, throttle
from cbec.web import i18n, networks, queries, risk_routes, signin, workbench
from cbec.web.i18n import N_
from cbec.web.monitor import Monitor
from cbec.web.rendering import STATIC, PageRoute, page, to_login

router = APIRouter(include_in_schema=False)

#: Seconds between two comment lines on a quiet event stream (keeps proxies from closing it).
KEEPALIVE_SECONDS = 15.0
#: Seconds between two checks that the officer's session behind an open stream still lives.
SESSION_CHECK_SECONDS = 60.0


def mount(app: FastAPI, *, monitor_interval: float = 2.0) -> None:
    """Add the pages and the static files to ``app`` (after ``app.state.session_factory``
    is set)."""
    app.state.web_monitor = Monitor(app.state.session_factory, interval=monitor_interval)
    app.include_router(router)
    app.include_router(risk_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


# --- signing in ----------------------------------------------------------------------------


def page_get(path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@router.get(path)`` for a page whose address carries values (``?queue=``,
    ``?id=``): one it cannot read gets the site's error page (:class:`PageRoute`), not
    the API's JSON. The workbench's actions stay JSON: its script reads their errors."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, endpoint, methods=["GET"], route_class_override=PageRoute)
        return endpoint

    return register


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/monitor", status_code=303)


@router.get("/lang/{code}")
def choose_language(code: str, next: Annotated[str | None, Query()] = None) -> RedirectResponse:
    """Show the pages in Chinese (``zh``) or English (``en``) in this browser from now on
    (the ``lang`` cookie), then go back to ``next`` if it is a path on this site."""
    if code not in i18n.LANGS:
        raise NotFound(f"no language {code!r}: zh or en")
    response = RedirectResponse(signin.local_path(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True, path="/"
    )
    return response


@router.get("/login")
def login_page(
    request: Request, session: SessionDep, next: Annotated[str | None, Query()] = None
) -> Response:
    """The sign-in form for officers."""
    officer = signin.officer_or_none(request, session)
    if officer is not None:
        return RedirectResponse(signin.local_path(next), status_code=303)
    return page(request, "login.html", None, next=signin.local_path(next), error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the password, open an officer session and keep its token in a cookie. Past
    too many failed sign-ins under the username, 429 with ``Retry-After``, as the API."""
    signin.same_origin(request)
    target = signin.local_path(next)
    guard, client = throttle(request), client_of(request)
    try:
        guard.check(client)
        issued = officers.login(
            session,
            username.strip(),
            password,
            lifetime=timedelta(hours=settings.officer_session_hours),
            limit=officers.SignInLimit.from_settings(settings),
            client=request.client.host if request.client else None,
        )
    except CbecError as exc:
        session.commit()  # a refused sign-in counts, and is in the audit log
        if isinstance(exc, AddressThrottled):
            error = _t(request, _THROTTLED, s=exc.retry_after)
        else:
            guard.refused(client)
            if isinstance(exc, TooManyRequests):
                error = _t(request, _LOCKED, s=exc.retry_after)
            else:  # the catalogue has the usual refusals (_LOGIN_REFUSALS)
                error = _t(request, exc.detail)
        refused = page(
            request, "login.html", None, http_status=exc.status_code, next=target, error=error
        )
        if isinstance(exc, TooManyRequests):
            refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    session.commit()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        signin.COOKIE,
        issued.token,
        max_age=settings.officer_session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


#: The sign-in service's refusals, for the catalogue (shown in the browser's language).
_LOGIN_REFUSALS = (N_("wrong username or password"),)
#: The refusal past too many failed sign-ins under one username.
_LOCKED = N_("Too many failed sign-ins under this username: try again in %(s)s s.")
_THROTTLED = N_("Too many failed sign-ins from your address: try again in %(s)s s.")


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the officer's session and forget the cookie."""
    signin.same_origin(request)
    token = signin.token_of(request)
    if token is not None:
        try:
            officers.logout(session, token)
            session.commit()
        except CbecError:
            session.rollback()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(signin.COOKIE, path="/")
    return response


# --- the monitoring screen -----------------------------------------------------------------


@router.get("/monitor")
def monitor_page(request: Request, session: SessionDep) -> Response:
    """The monitoring screen: counters, throughput, clearance times, map, top enterprises."""
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return to_login(request)
    lang = i18n.lang_of(request)
    buckets = {label: i18n.gettext(lang, label) for label in queries.CLEARANCE_LABELS}
    return page(request, "monitor.html", officer, buckets=buckets)


@router.get("/monitor/snapshot")
def monitor_snapshot(request: Request, session: SessionDep) -> JSONResponse:
    """The monitoring screen's figures once, as JSON."""
    signin.signed_in(request, session)
    session.rollback()
    monitor: Monitor = request.app.state.web_monitor
    return JSONResponse(monitor.snapshot())


@router.get("/monitor/events")
async def monitor_events(
    request: Request,
    limit: Annotated[int | None, Query(ge=1, description="stop after this many events")] = None,
) -> StreamingResponse:
    """Server-sent events: a ``snapshot`` event with every figure of the screen whenever
    one changes (looked at every few seconds), a comment line now and then when none does.
    The stream ends when the officer's session does."""
    factory = request.app.state.session_factory

    def signed_in() -> None:
        with factory() as session:
            signin.signed_in(request, session)

    await run_in_threadpool(signed_in)
    monitor: Monitor = request.app.state.web_monitor
    return StreamingResponse(
        _snapshots(request, monitor, limit, signed_in),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _snapshots(
    request: Request, monitor: Monitor, limit: int | None, signed_in: Callable[[], None]
) -> AsyncIterator[str]:
    sent = 0
    last = ""
    quiet = checked = 0.0
    yield "retry: 3000\n\n"
    while True:
        snapshot = await run_in_threadpool(monitor.snapshot)
        figures = json.dumps({k: v for k, v in snapshot.items() if k != "at"}, sort_keys=True)
        if figures != last:
            last = figures
            sent += 1
            quiet = 0.0
            yield f"event: snapshot\nid: {sent}\ndata: {json.dumps(snapshot)}\n\n"
            if limit is not None and sent >= limit:
                return
        elif quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": quiet\n\n"
        if await request.is_disconnected():
            return
        await anyio.sleep(monitor.interval)
        quiet += monitor.interval
        checked += monitor.interval
        if checked >= SESSION_CHECK_SECONDS:
            checked = 0.0
            try:
                await run_in_threadpool(signed_in)
            except CbecError:
                return  # signed out or expired: the page's EventSource gets a 401 next


# --- the workbench -----------------------------------------------------------------------

#: Who may open one list on the workbench (its names and address are shown in full).
ITEM_READERS = (Role.REVIEWER, Role.INSPECTOR, Role.INVESTIGATOR, Role.RISK_ANALYST)


@page_get("/workbench")
def workbench_page(
    request: Request,
    session: SessionDep,
    queue: Annotated[str | None, Query(pattern="^(review|inspection|detained)$")] = None,
) -> Response:
    """The officer's queues: lists held for manual review, lists under inspection, and
    detained lists (501-599) waiting for their department to release or return them."""
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return to_login(request)
    roles = officer.role_names
    if queue is None:
        only_inspects = Role.INSPECTOR in roles and Role.REVIEWER not in roles
        only_detentions = Role.INVESTIGATOR in roles and not {Role.INSPECTOR, Role.REVIEWER} & set(
            roles
        )
        queue = "detained" if only_detentions else "inspection" if only_inspects else "review"
    statuses, _ = workbench.QUEUES[queue]
    counted = queries.queue_sizes(
        session, [s for held, _ in workbench.QUEUES.values() for s in held]
    )
    sizes = {name: sum(counted[s] for s in held) for name, (held, _) in workbench.QUEUES.items()}
    return page(
        request,
        "workbench.html",
        officer,
        queues=workbench.QUEUES,
        queue=queue,
        sizes=sizes,
        rows=queries.queue(session, statuses),
        can_review=Role.REVIEWER in roles,
        can_inspect=Role.INSPECTOR in roles,
        can_end_detention=bool({Role.INSPECTOR, Role.INVESTIGATOR, Role.RISK_ANALYST} & set(roles)),
    )


@router.get("/workbench/items/{invt_no}")
def workbench_item(invt_no: str, request: Request, session: SessionDep) -> HTMLResponse:
    """One list, its documents side by side and why it waits (an HTML fragment). It shows
    names and the consignee's address in full, so only the officers who decide on lists or
    work their cases see it (an administrator manages accounts and needs none)."""
    officer = signin.signed_in(request, session)
    signin.need_any(officer, *ITEM_READERS)
    return page(request, "item.html", officer, item=workbench.item(session, invt_no))


def _clearance(request: Request, session: SessionDep) -> Clearance:
    return Clearance(session, Policy.from_settings(request.app.state.settings))


@router.post("/workbench/items/{invt_no}/review")
def workbench_review(
    invt_no: str, verdict: ReviewVerdict, request: Request, session: SessionDep
) -> JSONResponse:
    """Approve (released, tax bill issued) or reject a list in manual review, with a
    reason. Needs the reviewer role; the clearance service writes the audit log."""
    signin.same_origin(request)
    officer = signin.signed_in(request, session)
    signin.need(officer, Role.REVIEWER)
    d = _clearance(request, session).review(
        invt_no, approve=verdict.approve, officer=officer.username, reason=verdict.reason
    )
    session.commit()
    return JSONResponse(_moved(d.invt_no or invt_no, d.status))


@router.post("/workbench/items/{invt_no}/inspection")
def workbench_inspection(
    invt_no: str, result: InspectionResult, request: Request, session: SessionDep
) -> JSONResponse:
    """Record an inspection result with what was found: conform (released), discrepancy
    (detained or returned) or seize (passed to anti-smuggling). Needs the inspector role;
    the clearance service writes the audit log."""
    signin.same_origin(request)
    officer = signin.signed_in(request, session)
    signin.need(officer, Role.INSPECTOR)
    d = _clearance(request, session).inspection_result(
        invt_no,
        result=result.result,
        officer=officer.username,
        details=result.details,
        detention=result.detention,
    )
    session.commit()
    return JSONResponse(_moved(d.invt_no or invt_no, d.status))


@router.post("/workbench/items/{invt_no}/detention")
def workbench_detention(
    invt_no: str, end: DetentionEnd, request: Request, session: SessionDep
) -> JSONResponse:
    """End a detention with a reason: release (800) or return (700). The clearance service
    checks the department's role (501, 599: inspector; 599 also risk analyst; 502, 503:
    investigator) and writes the audit log."""
    signin.same_origin(request)
    officer = signin.signed_in(request, session)
    d = _clearance(request, session).end_detention(
        invt_no,
        action=end.action,
        officer=officer.username,
        roles=officer.role_names,
        reason=end.reason,
    )
    session.commit()
    return JSONResponse(_moved(d.invt_no or invt_no, d.status))


def _moved(invt_no: str, status: int) -> dict[str, Any]:
    return {"invtNo": invt_no, "status": status, "statusText": STATUS_TEXT.get(status, "")}


# --- the consumer page (public) --------------------------------------------------------------


@router.get("/consumer")
def consumer_page(request: Request) -> HTMLResponse:
    """The public quota query: name, ID number and phone."""
    return page(request, "consumer.html", None, answer=None, error=None, form={})


@router.post("/consumer")
def consumer_query(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form(alias="idNumber")] = "",
    phone: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Used and remaining annual quota and the (masked) lists declared under an identity.
    A POST, so the ID number never sits in a URL or an access log; the page echoes back
    only the name."""
    form = {"name": name}
    try:
        query = QuotaQuery(name=name.strip(), id_number=id_number.strip(), phone=phone.strip())
        client = request.client.host if request.client else "-"
        consumer_limiter(request).check(client, query.id_number)
        answer = consumer.quota(session, query)
    except ValidationError:
        return _consumer_error(
            request, form, N_("Give your name, your 15- or 18-character ID number and your phone.")
        )
    except CbecError as exc:
        return _consumer_refused(request, form, exc)
    return page(request, "consumer.html", None, answer=answer, error=None, form=form)


@router.post("/consumer/dispute")
def consumer_dispute(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form(alias="idNumber")] = "",
    phone: Annotated[str, Form()] = "",
    lists: Annotated[list[str] | None, Form()] = None,
    statement: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """ "Not me": dispute the lists ticked on the page (identity proved again, as for the
    quota query)."""
    form = {"name": name}
    try:
        data = DisputeIn(
            name=name.strip(),
            id_number=id_number.strip(),
            phone=phone.strip(),
            lists=lists or [],
            statement=statement,
        )
        consumer_limiter(request).check(
            request.client.host if request.client else "-", data.id_number
        )
        dispute = disputes.open_dispute(session, data)
        session.commit()
    except ValidationError:
        return _consumer_error(
            request,
            form,
            N_("Give your name, ID number and phone, and tick the lists that are not yours."),
        )
    except CbecError as exc:
        return _consumer_refused(request, form, exc, lists or [])
    message = _t(
        request,
        N_(
            "Dispute %(id)s filed for %(n)s list(s). Customs will check it; "
            "once confirmed, the lists no longer count against your quota."
        ),
        id=dispute.id,
        n=len(dispute.lists),
    )
    return page(request, "consumer.html", None, answer=None, error=None, form=form, done=message)


@router.post("/consumer/notices")
def consumer_notices(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form(alias="idNumber")] = "",
    phone: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "sms",
    contact: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Opt in to a notice each time a list is declared under your identity."""
    form = {"name": name}
    try:
        data = NoticeOptIn.model_validate(
            {
                "name": name.strip(),
                "idNumber": id_number.strip(),
                "phone": phone.strip(),
                "channel": channel,
                "contact": contact.strip(),
            }
        )
        consumer_limiter(request).check(
            request.client.host if request.client else "-", data.id_number
        )
        subscription = notices.subscribe(session, data)
        session.commit()
    except ValidationError:
        return _consumer_error(
            request, form, N_("Give your name, ID number and phone, a channel and a contact.")
        )
    except CbecError as exc:
        return _consumer_refused(request, form, exc)
    message = _t(
        request,
        N_("You will be notified by %(channel)s at %(contact)s."),
        channel=_t(request, _CHANNELS.get(subscription.channel, subscription.channel)),
        contact=subscription.contact,
    )
    return page(request, "consumer.html", None, answer=None, error=None, form=form, done=message)


#: The self-service's refusals as the consumer page says them, by the rule of a field
#: error (``%(value)s`` is the list ticked); the page is read in Chinese by default.
_FIELD_REFUSALS = {
    "lists.yours": N_("%(value)s is not a list declared under your identity."),
    "lists.unique": N_("%(value)s is ticked twice."),
    "lists.disputed": N_("%(value)s is already in a dispute."),
    "sms.mobile": N_("The contact is not a mobile number: give an 11-digit mainland number."),
    "email.address": N_("The contact is not an e-mail address (like name@example.cn)."),
}
#: The one answer when the identity is not proved (the same whether or not it has lists).
_NO_MATCH = N_(
    "No list declared under this ID number carries this name and phone. If none was ever "
    "declared, your whole annual quota remains. (The same answer is given whether or not "
    "the ID number has lists, so that this page cannot be used to find out.)"
)


def _refusal(request: Request, exc: CbecError, lists: Sequence[str] = ()) -> str:
    """What the consumer page says of a refusal of the self-service, in the browser's
    language: the identity not proved, a rate limit, or each field refused (``lists[i]``
    names the i-th list ticked; anything else as the service said it)."""
    if isinstance(exc, NotFound):
        return _t(request, _NO_MATCH)
    if isinstance(exc, TooManyRequests):
        return _t(request, N_("Too many queries: try again in %(s)s s."), s=exc.retry_after)
    said = []
    for f in exc.fields:
        known = _FIELD_REFUSALS.get(f.rule)
        index = re.fullmatch(r"lists\[(\d+)\]", f.path)
        value = lists[int(index[1])] if index and int(index[1]) < len(lists) else ""
        said.append(_t(request, known, value=value) if known else str(f))
    return " ".join(said) or exc.detail


#: The notice channels as the consumer page names them.
_CHANNELS = {"sms": N_("SMS"), "email": N_("e-mail")}


def _t(request: Request, message: str, **values: object) -> str:
    """``message`` (marked with ``N_``) in the browser's language, ``%(name)s`` filled in."""
    text = i18n.gettext(i18n.lang_of(request), message)
    return text % values if values else text


def _consumer_refused(
    request: Request, form: dict[str, str], exc: CbecError, lists: Sequence[str] = ()
) -> HTMLResponse:
    """The consumer page with the service's refusal ``exc`` (:func:`_refusal`), its status,
    and past a rate limit the ``Retry-After`` the API also gives."""
    response = _consumer_error(request, form, _refusal(request, exc, lists), exc.status_code)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _consumer_error(
    request: Request, form: dict[str, str], message: str, status: int = 400
) -> HTMLResponse:
    """The consumer page with ``message``: one of ours (marked with ``N_``) is shown in the
    browser's language, a service's refusal as it is."""
    message = _t(request, message)
    return page(
        request, "consumer.html", None, http_status=status, answer=None, error=message, form=form
    )


# --- networks (consumer-end monitoring and smuggling networks) -----------------------------


@page_get("/networks")
def networks_page(
    request: Request,
    session: SessionDep,
    network_id: Annotated[BigId | None, Query(alias="id")] = None,
) -> Response:
    """The networks found and the detectors' flags (risk analysts and investigators)."""
    officer = signin.officer_or_none(request, session)
    if officer is None:
        return to_login(request)
    return page(
        request, "networks.html", officer, **networks.page_context(session, officer, network_id)
    )


@router.post("/networks/run")
def networks_run(request: Request, session: SessionDep) -> RedirectResponse:
    """Run the detectors and the network discovery now (risk analysts)."""
    signin.same_origin(request)
    officer = signin.signed_in(request, session)
    networks.run_now(session, officer)
    session.commit()
    return RedirectResponse("/networks", status_code=303)
