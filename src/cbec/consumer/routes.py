"""The public quota query."""

from __future__ import annotations

from fastapi import APIRouter

from cbec.consumer import service
from cbec.consumer.schemas import QuotaAnswer, QuotaQuery
from cbec.deps import SessionDep

router = APIRouter(prefix="/api/v1/consumer", tags=["consumer"])


@router.post("/quota", response_model=QuotaAnswer)
def post_quota(query: QuotaQuery, session: SessionDep) -> QuotaAnswer:
    """Your used and remaining annual CBEC quota, and the lists declared under your
    identity (details masked). Give your name, ID number and the phone on your orders; a
    POST, so that the ID number never sits in a URL or an access log."""
    return service.quota(session, query)
