"""What the API and the CLI show: portraits, verifications and ratings as output shapes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cbec.portrait import service
from cbec.portrait.schemas import (
    AutomaticOut,
    CheckOut,
    ClassRowOut,
    ContributionOut,
    PortraitOut,
    RatingOut,
    VerificationOut,
)
from cbec.portrait.service import Verification
from cbec.portrait.verification import Automatic
from cbec.store.models import utcnow


def automatic_out(a: Automatic) -> AutomaticOut:
    return AutomaticOut(
        name=a.name,
        result=a.result,
        value=a.value,
        detail=a.detail,
        count=a.count,
        examples=[dict(e) for e in a.examples],
    )


def verification_out(v: Verification) -> VerificationOut:
    return VerificationOut(
        platform_code=v.platform_code,
        status=v.status,
        latest={kind: CheckOut.of(row) for kind, row in v.latest.items()},
        automatic=[automatic_out(a) for a in v.automatic],
        checks=[CheckOut.of(row) for row in v.checks],
        flagged=v.flagged,
    )


def verification(session: Session, code: str, start: datetime, end: datetime) -> VerificationOut:
    service.enterprise(session, code)  # 404 for an enterprise not filed
    return verification_out(service.verify(session, code, start, end))


def history(session: Session, code: str) -> tuple[ClassRowOut | None, list[ClassRowOut]]:
    """The class in force now and every class change of ``code``, oldest first."""
    current = service.class_in_force(session, code, utcnow())
    rows = [
        ClassRowOut.of(r, in_force=current is not None and r.id == current.id)
        for r in service.history(session, code)
    ]
    return next((r for r in rows if r.in_force), None), rows


def portrait(session: Session, code: str, start: datetime, end: datetime) -> PortraitOut:
    """The portrait of ``code`` over [start, end) with its class history."""
    found, checked = service.enterprise_portrait(session, code, start, end)
    enterprise = service.enterprise(session, code)
    in_force, rows = history(session, code)
    data = found.as_dict()
    return PortraitOut(
        code=code,
        name=enterprise.name,
        roles=enterprise.role_names,
        window_from=start,
        window_to=end,
        score=found.score,
        by_score=found.by_score,
        proposed_class=found.proposed,
        caps=found.caps,
        contributions=[
            ContributionOut(feature=c.feature, value=c.value, points=c.points, rule=c.rule)
            for c in found.contributions
        ],
        facts=data["facts"],
        class_in_force=in_force,
        history=rows,
        verification=verification_out(checked) if checked is not None else None,
    )


def rating(session: Session, rating_id: int) -> RatingOut:
    return RatingOut.of(service.get_rating(session, rating_id), service.items(session, rating_id))
