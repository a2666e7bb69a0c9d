"""One error base with an HTTP status; domain errors subclass the few kinds below.

A single handler in :mod:`cbec.api` renders every :class:`CbecError` as
``{"error": <kind>, "detail": <message>, "fields": [...]}``. Services raise these,
never ``HTTPException``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: where it is, which rule it broke, in words."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


class CbecError(Exception):
    """Base of every error cbec reports to a caller."""

    status_code: int = 500
    kind: str = "internal_error"

    def __init__(self, detail: str, *, fields: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields: list[FieldError] = list(fields or [])

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.kind, "detail": self.detail}
        if self.fields:
            body["fields"] = [f.as_dict() for f in self.fields]
        return body


class BadRequest(CbecError):
    status_code = 400
    kind = "bad_request"


class Unauthorized(CbecError):
    status_code = 401
    kind = "unauthorized"


class Forbidden(CbecError):
    status_code = 403
    kind = "forbidden"


class NotFound(CbecError):
    status_code = 404
    kind = "not_found"


class Conflict(CbecError):
    status_code = 409
    kind = "conflict"


class TooManyRequests(CbecError):
    """Over a rate limit; ``retry_after`` seconds until the next request may pass."""

    status_code = 429
    kind = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class PayloadTooLarge(CbecError):
    status_code = 413
    kind = "payload_too_large"


class ValidationFailed(BadRequest):
    """Content that does not satisfy a message model; each problem names path and rule."""

    kind = "validation_failed"
