"""Back-pressure at the front door: past a bound on messages being processed at once, a
sender is answered 503 with ``Retry-After`` at once, before anything is read or stored,
instead of queueing until its request times out (a timed-out sender cannot know whether
its message was stored; a 503 says plainly that it was not)."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

#: The paths that take messages (single and batch).
GUARDED = "/api/v1/messages"


class Backpressure:
    """Pure ASGI middleware: at most ``limit`` message requests in flight in this process
    (0: no bound); the next is refused with 503 and ``Retry-After: retry_after``. Runs on
    the event loop, so the count needs no lock."""

    def __init__(self, app: ASGIApp, limit: int, retry_after: int = 1) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = retry_after
        self.in_flight = 0
        #: how many requests were refused since start (for operators and tests)
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (
            self.limit > 0
            and scope["type"] == "http"
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).startswith(GUARDED)
        )
        if not guarded:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.refused += 1
            await self._refuse(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = JSONResponse(
            {
                "error": "overloaded",
                "detail": f"{self.limit} messages are being processed; nothing was stored, "
                f"send again after {self.retry_after} s",
            },
            status_code=503,
            headers={"Retry-After": str(self.retry_after)},
        )
        await refusal(scope, receive, send)
