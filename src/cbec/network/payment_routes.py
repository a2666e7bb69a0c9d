"""``/api/v1/network/payments``: the payment-company report, flags and verification
requests, for risk analysts and investigators (included by :mod:`cbec.network.routes`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from cbec.audit.service import Actor
from cbec.deps import SessionDep, require_role
from cbec.network import payments
from cbec.network.payment_schemas import (
    FlagRunOut,
    PaymentReportOut,
    ThresholdsIn,
    VerificationExportOut,
)
from cbec.officers.roles import Role
from cbec.store.models import Officer

router = APIRouter(prefix="/payments")

Analyst = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST))]
AnalystOrInvestigator = Annotated[
    Officer, Depends(require_role(Role.RISK_ANALYST, Role.INVESTIGATOR))
]


def _thresholds(
    early_minutes: Annotated[int, Query(ge=0, le=10_080)] = 60,
    late_hours: Annotated[int, Query(ge=1, le=8_760)] = 72,
    recent_days: Annotated[int, Query(ge=1, le=3_650)] = 180,
) -> payments.Thresholds:
    return payments.Thresholds(early_minutes, late_hours, recent_days)


ThresholdsDep = Annotated[payments.Thresholds, Depends(_thresholds)]


@router.get("/report", response_model=PaymentReportOut)
def get_report(
    officer: AnalystOrInvestigator,
    session: SessionDep,
    thresholds: ThresholdsDep,
    as_of: Annotated[date | None, Query(description="dates 'recently filed'")] = None,
) -> PaymentReportOut:
    """Payment companies ranked by score (0..100), each component weighted and explained:
    concentration on one platform, platforms served, recent filing, flagged / unverified
    / recently filed partners, buyer not payer, paid before or long after the order,
    amounts that do not match or pay no order."""
    return payments.report(session, thresholds, as_of=as_of)


@router.post("/flags", response_model=FlagRunOut)
def post_flags(
    data: ThresholdsIn,
    officer: Analyst,
    session: SessionDep,
    as_of: Annotated[date | None, Query()] = None,
) -> FlagRunOut:
    """Flag every payment company scoring ``flagScore`` or more (risk_flags: source
    ``payment``, kind ``payment_concentration``, the explanations as reason), replacing
    its earlier flag of that kind; audited (risk analysts)."""
    out = payments.flag(
        session, Actor.officer(officer.username), payments.Thresholds.of(data), as_of=as_of
    )
    session.commit()
    return out


@router.get(
    "/{code}/verification-requests",
    response_model=VerificationExportOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_verification_requests(
    code: str,
    officer: AnalystOrInvestigator,
    session: SessionDep,
    thresholds: ThresholdsDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    as_of: Annotated[date | None, Query()] = None,
) -> Response | VerificationExportOut:
    """Verification requests for one payment company's suspicious transactions, for the
    competent authority, as JSON or CSV: transaction and order numbers, amounts, times and
    the reasons; payer and buyer ID numbers cut to their last 4 characters and names to
    the surname. The export is written to the audit log."""
    out = payments.verification_requests(
        session, code, Actor.officer(officer.username), thresholds, as_of=as_of
    )
    session.commit()
    if format == "csv":
        return Response(
            payments.render(out, "csv"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="verification-{out.pay_code}.csv"'
            },
        )
    return out
