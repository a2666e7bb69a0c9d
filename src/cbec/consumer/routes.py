"""The public quota query, disputes ("not me") and identity-use notices; the officers'
decisions on disputes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from cbec.bounds import BigId, Cursor
from cbec.consumer import disputes, notices, service
from cbec.consumer.schemas import (
    DisputeDecision,
    DisputeIn,
    DisputeOut,
    IdentityProof,
    NoticeOptIn,
    NoticesAnswer,
    QuotaAnswer,
    QuotaQuery,
    SubscriptionOut,
)
from cbec.deps import SessionDep, require_role
from cbec.officers.roles import Role
from cbec.store.models import Officer

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


DisputeOfficer = Annotated[Officer, Depends(require_role(Role.INVESTIGATOR, Role.RISK_ANALYST))]


def _limit(request: Request, id_number: str) -> None:
    limiter(request).check(request.client.host if request.client else "-", id_number)


@router.post("/disputes", response_model=DisputeOut, status_code=201)
def post_dispute(data: DisputeIn, session: SessionDep, request: Request) -> DisputeOut:
    """ "Not me": dispute lists declared under your identity that you did not make, by
    their list numbers (as the quota answer shows them). Proves who you are as the quota
    query does (same uniform 404, same rate limits). The identity, the lists and the
    enterprises that declared them are flagged for risk control; once customs confirms,
    the lists no longer count against your annual quota."""
    _limit(request, data.id_number)
    out = disputes.open_dispute(session, data)
    session.commit()
    return out


@router.get("/disputes", response_model=list[DisputeOut])
def get_disputes(
    officer: DisputeOfficer,
    session: SessionDep,
    status: str | None = Query(None, description="open, confirmed or rejected"),
    limit: int = Query(100, ge=1, le=1000),
    after: Annotated[Cursor, Query(description="cursor: the last dispute id already seen")] = 0,
) -> list[DisputeOut]:
    """Consumer disputes, oldest first (investigators and risk analysts; ID numbers
    masked)."""
    return disputes.listing(session, status, limit=limit, after=after)


@router.get("/disputes/{dispute_id}", response_model=DisputeOut)
def get_dispute(dispute_id: BigId, officer: DisputeOfficer, session: SessionDep) -> DisputeOut:
    """One consumer dispute (investigators and risk analysts)."""
    return disputes.get(session, dispute_id)


@router.post("/disputes/{dispute_id}/decision", response_model=DisputeOut)
def post_dispute_decision(
    dispute_id: BigId, data: DisputeDecision, officer: DisputeOfficer, session: SessionDep
) -> DisputeOut:
    """Confirm (the lists stop counting against the identity holder's quota; flags raised
    to 1.0) or reject (the dispute's flags end) an open dispute, with a reason; written to
    the audit log (investigators and risk analysts)."""
    out = disputes.decide(session, dispute_id, data, officer=officer.username)
    session.commit()
    return out


@router.post("/notices/subscription", response_model=SubscriptionOut)
def post_subscription(data: NoticeOptIn, session: SessionDep, request: Request) -> SubscriptionOut:
    """Opt in to a notice (SMS or e-mail) each time a list is declared under your
    identity; proves who you are as the quota query does."""
    _limit(request, data.id_number)
    out = notices.subscribe(session, data)
    session.commit()
    return out


@router.post("/notices/subscription/cancel", response_model=SubscriptionOut | None)
def cancel_subscription(
    proof: IdentityProof, session: SessionDep, request: Request
) -> SubscriptionOut | None:
    """Opt out of identity-use notices (null when you never opted in)."""
    _limit(request, proof.id_number)
    out = notices.unsubscribe(session, proof)
    session.commit()
    return out


@router.post("/notices", response_model=NoticesAnswer)
def post_notices(proof: IdentityProof, session: SessionDep, request: Request) -> NoticesAnswer:
    """Your opt-in and the notices recorded for lists declared under your identity,
    newest first; proves who you are as the quota query does."""
    _limit(request, proof.id_number)
    return notices.read(session, proof)
