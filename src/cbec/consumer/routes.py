"""The public quota query."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cbec.consumer import service
from cbec.consumer.schemas import QuotaAnswer, QuotaQuery
from cbec.deps import SessionDep

router = APIRouter(prefix="/api/v1/consumer", tags=["consumer"])


@router.post("/quota", response_model=QuotaAnswer)
def post_quota(query: QuotaQuery, session: SessionDep, request: Request) -> QuotaAnswer:
    """Your used and remaining annual CBEC quota, and the lists declared under your
    identity (details masked). Give your name, ID number and the phone on your orders; a
    POST, so that the ID number never sits in a URL or an access log. 404 when no list under
    the ID number carries that name and phone, the same answer whether or not it has lists;
    429 with Retry-After past the rate limits (per caller and per ID number)."""
    limiter(request).check(request.client.host if request.client else "-", query.id_number)
    return service.quota(session, query)


def limiter(request: Request) -> service.QueryLimiter:
    """The app's quota-query limiter (made on first use from its settings)."""
    found: service.QueryLimiter | None = getattr(request.app.state, "consumer_limiter", None)
    if found is None:
        settings = request.app.state.settings
        found = service.QueryLimiter(
            settings.consumer_rate_per_client, settings.consumer_rate_per_identity
        )
        request.app.state.consumer_limiter = found
    return found
