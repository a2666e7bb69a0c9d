"""Rendering the officer pages: the templates with their filters, a page, a refusal, and
the redirect to sign in."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from cbec import __version__
from cbec.errors import CbecError, FieldError
from cbec.privacy import scrub
from cbec.store.models import Officer
from cbec.web import i18n, signin
from cbec.web.i18n import N_

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
templates.env.filters["scrub"] = scrub
i18n.install(templates.env)


def cny(value: Decimal | None) -> str:
    """An amount in yuan to the fen, grouped: ``Decimal("12345.6")`` -> ``¥12,345.60``.

    >>> cny(Decimal("12345.6")), cny(None)
    ('¥12,345.60', '–')
    """
    if value is None:
        return "–"
    return f"¥{Decimal(value).quantize(Decimal('0.01')):,}"


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: ``0.5`` -> ``50.0%``; no value -> ``–``.

    >>> percent(0.5), percent(None), percent(1 / 3, 0)
    ('50.0%', '–', '33%')
    """
    if value is None:
        return "–"
    return f"{value * 100:.{digits}f}%"


def qty(value: Decimal | None, sign: bool = False) -> str:
    """A quantity without trailing zeros: ``Decimal("100.0000")`` -> ``100``.

    >>> qty(Decimal("100.0000")), qty(Decimal("2.50")), qty(Decimal("-3"), sign=True), qty(None)
    ('100', '2.5', '-3', '–')
    >>> qty(Decimal("3"), sign=True)
    '+3'
    """
    if value is None:
        return "–"
    text = f"{Decimal(value).normalize():f}"
    return f"+{text}" if sign and value > 0 else text


def compact_json(value: Any) -> str:
    """JSON on one line as the analyst wrote it (the page escapes it as text).

    >>> compact_json({"<": [{"feature": "unit_price_ratio"}, 0.4]})
    '{"<": [{"feature": "unit_price_ratio"}, 0.4]}'
    """
    return json.dumps(value, ensure_ascii=False)


templates.env.filters["cny"] = cny
templates.env.filters["compact_json"] = compact_json
templates.env.filters["qty"] = qty
templates.env.filters["percent"] = percent


def vendor_ready() -> bool:
    return (STATIC / "vendor" / "echarts.min.js").is_file()


def page(
    request: Request, name: str, officer: Officer | None, *, http_status: int = 200, **context: Any
) -> HTMLResponse:
    """The template ``name`` for ``officer``, never cached (officer pages hold live data)."""
    response = templates.TemplateResponse(
        request,
        name,
        {"officer": officer, "vendor": vendor_ready(), **i18n.context(request), **context},
        status_code=http_status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(
    request: Request, officer: Officer | None, error: CbecError, *, back: str | None = None
) -> HTMLResponse:
    """An error page with the error's status: 403 for a role the officer lacks, 404 for
    something that is not there, 400 with the fields and rules it names; ``back`` links
    to the page the officer came from."""
    return page(
        request, "error.html", officer, http_status=error.status_code, error=error, back=back
    )


class BadValue(CbecError):
    """A value in a page's address (a query parameter, a part of the path) the page cannot
    read: the same status as the API's (422), shown as the error page."""

    status_code = 422
    kind = "bad_request"


#: A pattern that lists the values it allows: ``^(open|investigating|closed)$``.
_CHOICES = re.compile(r"\^\(([\w|-]+)\)\$")


def bad_value(request: Request, exc: RequestValidationError) -> BadValue:
    """The refusal of the values ``exc`` names, in the browser's language: each with its
    place (``query/status``), what was given and, for a choice, the values allowed."""
    lang = i18n.lang_of(request)
    fields = []
    for e in exc.errors():
        given = str(e.get("input", ""))[:60]
        choices = _CHOICES.fullmatch(str((e.get("ctx") or {}).get("pattern", "")))
        if choices:
            text = i18n.gettext(lang, N_("“%(value)s” is not one of: %(allowed)s")) % {
                "value": given,
                "allowed": ", ".join(choices[1].split("|")),
            }
        else:
            text = i18n.gettext(lang, N_("“%(value)s” is not a valid value here")) % {
                "value": given
            }
        fields.append(FieldError("/".join(str(p) for p in e["loc"]), e["type"], text))
    return BadValue(
        i18n.gettext(lang, N_("A value in the page's address is not valid.")), fields=fields
    )


class PageRoute(APIRoute):
    """A page's route: a value in its address it cannot read (``?status=bogus``,
    ``/risk/rules/abc``) is answered with the site's error page, in the officer's
    language and with the status the API gives (422), instead of the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                factory: sessionmaker[Session] = request.app.state.session_factory
                with factory() as session:  # the top bar shows who is signed in
                    officer = signin.officer_or_none(request, session)
                    return refused(request, officer, bad_value(request, exc))

        return route


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
