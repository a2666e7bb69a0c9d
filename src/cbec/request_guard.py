"""Requests refused at the front door for what their address holds: a control character in
the path or the query string (``%00`` and the like, see :data:`cbec.schemas.CONTROL`) is
answered 400 naming where, before any route reads it. Bodies are checked by the models
(:class:`cbec.schemas.InputModel`, and the CEB message models' XML text rule)."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

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
                await _answer(
                    send,
                    400,
                    {
                        "error": "bad_request",
                        "detail": f"the request's {where[1:-1]} holds a control character",
                        "fields": [{"path": where, "rule": "control", "message": CONTROL_RULE}],
                    },
                )
                return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
