"""Failed officer sign-ins per caller address (``CBEC_OFFICER_SIGNIN_RATE_PER_CLIENT``).

The lock per username (:class:`cbec.officers.service.SignInLimit`) stops guessing one
officer's password; it does not stop trying one common password against many usernames.
This counts every refused sign-in from one address over a moving window (``limits``, in
process memory: each API worker counts its own, as the consumer quota query's limits do)
and, past the rate, refuses that address's sign-ins with 429 and Retry-After before any
password is checked. Behind a proxy, run uvicorn with ``--proxy-headers``.
"""

from __future__ import annotations

import time

from fastapi import Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from cbec.errors import TooManyRequests

_NAMESPACE = "officer-signin"


class AddressThrottled(TooManyRequests):
    """Refused: too many failed sign-ins from this caller address."""


class SignInThrottle:
    """Refused sign-ins per caller address over a moving window."""

    def __init__(self, rate: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rate = parse(rate)

    def check(self, client: str) -> None:
        """:class:`TooManyRequests` (with Retry-After) when ``client`` has used up its
        refused sign-ins; counts nothing."""
        if not self._limiter.test(self._rate, _NAMESPACE, client):
            reset, _remaining = self._limiter.get_window_stats(self._rate, _NAMESPACE, client)
            wait = int(reset - time.time()) + 1
            raise AddressThrottled(
                f"too many failed sign-ins from this address; try again in {wait} s",
                retry_after=wait,
            )

    def refused(self, client: str) -> None:
        """Count one refused sign-in from ``client``."""
        self._limiter.hit(self._rate, _NAMESPACE, client)


def throttle(request: Request) -> SignInThrottle:
    """The app's sign-in throttle (made on first use from its settings)."""
    found: SignInThrottle | None = getattr(request.app.state, "signin_throttle", None)
    if found is None:
        found = SignInThrottle(request.app.state.settings.officer_signin_rate_per_client)
        request.app.state.signin_throttle = found
    return found


def client_of(request: Request) -> str:
    return request.client.host if request.client else "-"
