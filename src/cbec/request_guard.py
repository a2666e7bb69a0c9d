"""Requests refused at the front door for what their address holds: a control character in
the path or the query string (``%00`` and the like, see :data:`cbec.schemas.CONTROL`) is
answered 400 naming where, before any route reads it; a query parameter an API route does
not declare (``?ruleSet=3`` for ``ruleSetId``) is answered 422 naming it and the ones the
route takes (:func:`refuse_unknown_query`), never silently ignored. Bodies are checked by the
models (:class:`cbec.schemas.InputModel`, and the CEB message models' XML text rule)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from urllib.parse import unquote_plus

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_validation_alias
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cbec.schemas import CONTROL, CONTROL_RULE

#: Routes whose query parameters are checked: the JSON API. The pages, their assets, the
#: consumer page and the monitor keep ignoring what browsers and scripts add (``?v=3``).
API_PREFIX = "/api/v1/"


class RejectControlCharacters:
    """Pure ASGI middleware: 400 for a control character in the path or query string
    (PostgreSQL refuses NUL in text; the others are never meant)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = None
            if CONTROL.search(str(scope.get("path", ""))):
                where = "(path)"
            else:
                query = unquote_plus(bytes(scope.get("query_string", b"")).decode("latin-1"))
                if CONTROL.search(query):
                    where = "(query)"
            if where is not None:
                refusal = JSONResponse(
                    {
                        "error": "bad_request",
                        "detail": f"the request's {where[1:-1]} holds a control character",
                        "fields": [{"path": where, "rule": "control", "message": CONTROL_RULE}],
                    },
                    status_code=400,
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _query_names(dependant: Dependant) -> Iterator[str]:
    """The names a query may use for the parameters of ``dependant`` and its dependencies:
    each one's alias (``ruleSetId``), or the fields of a model read from the query."""
    for field in dependant.query_params:
        model = field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for name, info in model.model_fields.items():
                yield info.alias or name
        else:
            yield get_validation_alias(field)
            yield field.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def declared_query(route: APIRoute) -> tuple[str, ...]:
    """The query parameters ``route`` declares (as its OpenAPI operation lists them)."""
    return tuple(dict.fromkeys(_query_names(route.dependant)))


async def refuse_unknown_query(request: Request) -> None:
    """App-wide dependency: on an API route, a query parameter the route does not declare is
    a 422 naming it (``query/ruleSet``, rule ``unknown``) and listing those it takes, before
    anything else is read; a misspelt filter must not answer unfiltered data."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith(API_PREFIX):
        return
    declared = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in declared]
    if not unknown:
        return
    takes = (
        f"this route takes {', '.join(sorted(declared))}"
        if declared
        else "this route takes no query parameters"
    )
    errors = []
    for name in unknown:
        close = difflib.get_close_matches(name, declared, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        errors.append(
            {
                "loc": ("query", name),
                "type": "unknown",
                "msg": f"unknown query parameter {name!r}{hint}; {takes}",
            }
        )
    raise RequestValidationError(errors)
