"""Requests refused at the front door for what their address holds: a control character in
the path or the query string (``%00`` and the like, see :data:`cbec.schemas.CONTROL`) is
answered 400 naming where, before any route reads it. Bodies are checked by the models
(:class:`cbec.schemas.InputModel`, and the CEB message models' XML text rule)."""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cbec.schemas import CONTROL, CONTROL_RULE


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
