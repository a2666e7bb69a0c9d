"""Clearance over HTTP: the officer workbench's queues and actions, and the tax ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from cbec.bounds import Cursor, Small
from cbec.clearance import queries
from cbec.clearance.schemas import (
    DeclarationOut,
    DetentionEnd,
    InspectionResult,
    LedgerRow,
    ReviewVerdict,
)
from cbec.clearance.service import Clearance, Policy
from cbec.deps import EnterpriseDep, OfficerDep, SessionDep, require_role
from cbec.messages import codec
from cbec.officers.roles import Role
from cbec.store.models import Officer

router = APIRouter(prefix="/api/v1", tags=["clearance"])

Reviewer = Annotated[Officer, Depends(require_role(Role.REVIEWER))]
Inspector = Annotated[Officer, Depends(require_role(Role.INSPECTOR))]


@router.get("/declarations", response_model=list[DeclarationOut])
def list_declarations(
    session: SessionDep,
    officer: OfficerDep,
    status: Annotated[
        Small | None, Query(description="e.g. 300 manual review, 500 inspection")
    ] = None,
    after: Annotated[Cursor, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeclarationOut]:
    """Lists by status, oldest first: the reviewer's queue is `status=300`, the
    inspector's `status=500`. Buyer ID numbers are masked."""
    return queries.queue(session, status, limit, after)


@router.get("/declarations/{invt_no}", response_model=DeclarationOut)
def get_declaration(invt_no: str, session: SessionDep, officer: OfficerDep) -> DeclarationOut:
    """One list: its checks' findings, tax, and decision history."""
    return queries.declaration(session, invt_no)


@router.post("/declarations/{invt_no}/review", response_model=DeclarationOut)
def review(
    invt_no: str, verdict: ReviewVerdict, request: Request, session: SessionDep, officer: Reviewer
) -> DeclarationOut:
    """Approve (the list is released and its tax bill issued) or reject a list in manual
    review. Needs the reviewer role; recorded in the audit log with the reason."""
    clearance = Clearance(session, Policy.from_settings(request.app.state.settings))
    clearance.review(
        invt_no, approve=verdict.approve, officer=officer.username, reason=verdict.reason
    )
    session.commit()
    return queries.declaration(session, invt_no)


@router.post("/declarations/{invt_no}/inspection", response_model=DeclarationOut)
def inspection(
    invt_no: str,
    result: InspectionResult,
    request: Request,
    session: SessionDep,
    officer: Inspector,
) -> DeclarationOut:
    """Record an inspection result: conform (released), discrepancy (detained 501/503/599
    or returned 700) or seize (502, passed to anti-smuggling). Needs the inspector role;
    recorded in the audit log."""
    clearance = Clearance(session, Policy.from_settings(request.app.state.settings))
    clearance.inspection_result(
        invt_no,
        result=result.result,
        officer=officer.username,
        details=result.details,
        detention=result.detention,
    )
    session.commit()
    return queries.declaration(session, invt_no)


@router.post("/declarations/{invt_no}/detention", response_model=DeclarationOut)
def end_detention(
    invt_no: str,
    end: DetentionEnd,
    request: Request,
    session: SessionDep,
    officer: OfficerDep,
) -> DeclarationOut:
    """End a detention: release (800, with its tax bill) or return (700, the buyer's quota
    given back) a list detained at 501 or 599 (role inspector; 599 also risk analyst) or
    at 502 or 503 (role investigator). 409 for a list not detained; recorded in the audit
    log with the reason; the sender is told the new status."""
    clearance = Clearance(session, Policy.from_settings(request.app.state.settings))
    clearance.end_detention(
        invt_no,
        action=end.action,
        officer=officer.username,
        roles=officer.role_names,
        reason=end.reason,
    )
    session.commit()
    return queries.declaration(session, invt_no)


@router.get("/tax/ledger", response_model=list[LedgerRow])
def officer_ledger(
    session: SessionDep,
    officer: OfficerDep,
    ebc_code: Annotated[str | None, Query(alias="ebcCode")] = None,
    period: Annotated[str | None, Query(pattern=r"^\d{6}$", description="yyyymm")] = None,
) -> list[LedgerRow]:
    """Tax due per e-commerce enterprise, guarantee and month."""
    return queries.ledger(session, ebc_code, period)


@router.get("/tax/my-ledger", response_model=list[LedgerRow])
def enterprise_ledger(
    session: SessionDep,
    enterprise: EnterpriseDep,
    period: Annotated[str | None, Query(pattern=r"^\d{6}$", description="yyyymm")] = None,
) -> list[LedgerRow]:
    """Your own tax ledger (as the e-commerce enterprise of the lists)."""
    return queries.ledger(session, enterprise.customs_code, period)


@router.get("/tax/bills/{invt_no}")
def get_tax_bill(
    invt_no: str, request: Request, session: SessionDep, enterprise: EnterpriseDep
) -> Response:
    """The electronic tax bill (CEB816) of one of your released lists (as its e-commerce
    enterprise or its agent): CEB XML with `Accept: application/xml`, else JSON."""
    message = queries.tax_bill(session, invt_no, for_code=enterprise.customs_code)
    if "xml" in request.headers.get("accept", ""):
        return Response(codec.to_xml(message), media_type="application/xml")
    return JSONResponse(codec.to_json_dict(message))
