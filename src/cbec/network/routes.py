"""``/api/v1/network``: consumer-end monitoring flags, smuggling networks, and the
payment-company report, for risk analysts and investigators.

Flags name identities by masked ID number here; the full number is in the risk database
and in the case clue a network becomes (where the investigator needs it).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from cbec.audit.service import Actor
from cbec.bounds import BigId
from cbec.deps import SessionDep, require_role
from cbec.errors import BadRequest, FieldError
from cbec.network import communities, detectors, service
from cbec.network.payment_routes import router as payments_router
from cbec.officers.roles import Role
from cbec.privacy import mask_id
from cbec.store.models import Officer, RiskFlag

router = APIRouter(prefix="/api/v1/network", tags=["network"])
router.include_router(payments_router)

Analyst = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST))]
Reader = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST, Role.INVESTIGATOR))]


@router.get("/detectors")
def list_detectors(_officer: Reader) -> list[dict[str, str]]:
    """The consumer-end monitoring detectors and what each looks for."""
    return [{"name": name, "description": what} for name, (_, what) in detectors.DETECTORS.items()]


@router.get("/flags")
def flags(
    session: SessionDep,
    _officer: Reader,
    detector: Annotated[str | None, Query(description="Only this detector's flags.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The flags in force from the last run, best first (identities masked)."""
    if detector is not None and detector not in detectors.DETECTORS:
        raise BadRequest(
            "unknown detector",
            fields=[FieldError("detector", "one_of", f"one of {', '.join(detectors.DETECTORS)}")],
        )
    query = select(RiskFlag).where(RiskFlag.source == service.SOURCE, RiskFlag.valid_to.is_(None))
    if detector is not None:
        query = query.where(RiskFlag.kind == detector)
    rows = session.scalars(query.order_by(RiskFlag.score.desc(), RiskFlag.id).limit(limit))
    return [
        {
            "id": f.id,
            "identity": f.subject_label or mask_id(f.subject_key),
            "detector": f.kind,
            "score": f.score,
            "reason": f.reason,
            "since": f.valid_from,
        }
        for f in rows
    ]


@router.post("/runs")
def run(session: SessionDep, officer: Analyst) -> dict[str, Any]:
    """Run the detectors and the network discovery now; networks past the threshold
    become case clues."""
    result = service.run(
        session, settings=communities.Settings(), by=Actor.officer(officer.username)
    )
    session.commit()
    return result.summary()


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "run": row.run_id,
        "score": row.score,
        "people": row.people,
        "addresses": row.addresses,
        "phones": row.phones,
        "provinces": row.provinces,
        "caseId": row.case_id,
        **json.loads(row.measures),
    }


@router.get("/networks")
def networks(
    session: SessionDep, _officer: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    """The networks of the latest run, best first, each with its measures and their
    contributions to its score."""
    return [_out(row) for row in service.networks(session, limit=limit)]


@router.get("/networks/{network_id}")
def network(network_id: BigId, session: SessionDep, _officer: Reader) -> dict[str, Any]:
    """One network with its members (masked labels)."""
    row = service.network(session, network_id)
    return {**_out(row), "members": service.members(session, row)}


@router.get(
    "/networks/{network_id}/picture.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def picture(network_id: BigId, session: SessionDep, _officer: Reader) -> Response:
    """A picture of the network's graph: people red, addresses blue, phones green."""
    row = service.network(session, network_id)
    return Response(service.picture_of(session, row), media_type="image/svg+xml")
