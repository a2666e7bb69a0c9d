"""``/api/v1/portrait``: enterprise portraits and classes, platform verification, re-rating.

Risk analysts, investigators and administrators read portraits; investigators and risk
analysts record platform verification checks; risk analysts compute, review and publish
re-ratings; risk analysts and administrators make emergency class changes. Every change is
in the audit log. Routes that write commit before answering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from cbec.audit.service import Actor
from cbec.bounds import BigId, Id
from cbec.deps import EnterpriseDep, SessionDep, require_role
from cbec.officers.roles import Role
from cbec.portrait import catalogue, service, views
from cbec.portrait.schemas import (
    CatalogueFiling,
    CatalogueGoods,
    CatalogueItemOut,
    CheckIn,
    CheckOut,
    ClassOut,
    ClassRowOut,
    DiscardIn,
    EmergencyIn,
    PortraitOut,
    PublishIn,
    RatingIn,
    RatingOut,
    VerificationOut,
    classes_out,
)
from cbec.store.models import Officer

router = APIRouter(prefix="/api/v1/portrait", tags=["portrait"])
#: what enterprises file themselves, with their API key
catalogue_router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])

Reader = Annotated[
    Officer, Depends(require_role(Role.RISK_ANALYST, Role.INVESTIGATOR, Role.ADMINISTRATOR))
]
Verifier = Annotated[Officer, Depends(require_role(Role.INVESTIGATOR, Role.RISK_ANALYST))]
Analyst = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST))]
Emergency = Annotated[Officer, Depends(require_role(Role.RISK_ANALYST, Role.ADMINISTRATOR))]


def _window(start: datetime | None, end: datetime | None, days: int) -> tuple[datetime, datetime]:
    return service.window(start, end, days)


@router.get("/classes")
def classes(_officer: Reader) -> list[ClassOut]:
    """The supervision classes with their review, X-ray and open-inspection rates and the
    inspection cap per business-site class."""
    return classes_out()


@router.get("/enterprises/{code}")
def enterprise_portrait(
    code: str,
    session: SessionDep,
    _officer: Reader,
    window_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    window_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    days: Annotated[int, Query(ge=1, le=3660)] = service.DEFAULT_DAYS,
) -> PortraitOut:
    """An enterprise's portrait over a window (default the last 365 days): every feature
    with its contribution to the score, the class it proposes, the class in force, and the
    history of its class changes with who made them and why."""
    start, end = _window(window_from, window_to, days)
    return views.portrait(session, code, start, end)


@router.get("/enterprises/{code}/classes")
def class_history(code: str, session: SessionDep, _officer: Reader) -> list[ClassRowOut]:
    """Every class change of an enterprise, oldest first (source, reason, officer, rates)."""
    return views.history(session, code)[1]


@router.post("/enterprises/{code}/emergency", status_code=201)
def emergency(code: str, data: EmergencyIn, session: SessionDep, officer: Emergency) -> ClassRowOut:
    """Change an enterprise's class at once, with the reason (in the audit log): the next
    decision on its lists uses it."""
    row = service.emergency(
        session,
        code,
        data.class_code,
        data.reason,
        by=Actor.officer(officer.username),
        valid_to=data.valid_to,
    )
    session.commit()
    return ClassRowOut.of(row, in_force=True)


@router.get("/platforms/{code}/verification")
def verification(
    code: str,
    session: SessionDep,
    _officer: Reader,
    days: Annotated[int, Query(ge=1, le=3660)] = service.DEFAULT_DAYS,
) -> VerificationOut:
    """A platform's verification status: its officers' checks (the latest of each kind),
    the automatic checks from our own data, and whether it feeds risk control a flag."""
    start, end = service.window(days=days)
    return views.verification(session, code, start, end)


@router.post("/platforms/{code}/verification/refresh")
def refresh(code: str, session: SessionDep, officer: Verifier) -> VerificationOut:
    """Recompute a platform's status now and bring its risk flag up to date."""
    start, end = service.window()
    result = service.refresh_flag(
        session, service.verify(session, code, start, end), by=Actor.officer(officer.username)
    )
    session.commit()
    return views.verification_out(result)


@router.get("/platforms/{code}/checks")
def list_checks(code: str, session: SessionDep, _officer: Reader) -> list[CheckOut]:
    """Every verification check of a platform, oldest first."""
    return [CheckOut.of(row) for row in service.checks_of(session, code)]


@router.post("/platforms/{code}/checks", status_code=201)
def add_check(code: str, data: CheckIn, session: SessionDep, officer: Verifier) -> CheckOut:
    """Record a verification check (login, register, buy, shipped, goods, traffic,
    qualification) with its result, evidence and date."""
    row = service.add_check(session, code, data, by=Actor.officer(officer.username))
    session.commit()
    return CheckOut.of(row)


@router.get("/checks/{check_id}")
def get_check(check_id: BigId, session: SessionDep, _officer: Reader) -> CheckOut:
    """One verification check."""
    return CheckOut.of(service.get_check(session, check_id))


@router.put("/checks/{check_id}")
def update_check(
    check_id: BigId, data: CheckIn, session: SessionDep, officer: Verifier
) -> CheckOut:
    """Correct a verification check."""
    row = service.update_check(session, check_id, data, by=Actor.officer(officer.username))
    session.commit()
    return CheckOut.of(row)


@router.delete("/checks/{check_id}", status_code=204)
def delete_check(
    check_id: BigId,
    session: SessionDep,
    officer: Verifier,
    reason: Annotated[str, Query(min_length=1, max_length=2000)],
) -> None:
    """Remove a check entered in error (the reason goes to the audit log)."""
    service.delete_check(session, check_id, reason, by=Actor.officer(officer.username))
    session.commit()


@router.post("/ratings", status_code=201)
def propose(data: RatingIn, session: SessionDep, officer: Analyst) -> RatingOut:
    """Compute a proposed re-rating of every enterprise active in the window; nothing is
    in force until it is published."""
    start, end = service.window(
        data.window_from, data.window_to, data.days, names=("windowFrom", "windowTo")
    )
    rating = service.propose(session, start, end, by=Actor.officer(officer.username))
    session.commit()
    return views.rating(session, rating.id)


@router.get("/ratings")
def list_ratings(
    session: SessionDep,
    _officer: Reader,
    status: Annotated[str | None, Query(pattern="^(proposed|published|discarded)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RatingOut]:
    """Re-ratings, newest first."""
    return [views.rating(session, r.id) for r in service.ratings(session, status, limit)]


@router.get("/ratings/{rating_id}")
def get_rating(rating_id: Id, session: SessionDep, _officer: Reader) -> RatingOut:
    """One re-rating with each enterprise's class in force, proposed class and why."""
    return views.rating(session, rating_id)


@router.post("/ratings/{rating_id}/publish")
def publish(rating_id: Id, data: PublishIn, session: SessionDep, officer: Analyst) -> RatingOut:
    """Put a proposal in force (with overrides the reviewing officer decided): the next
    decisions on the enterprises' lists use the new classes."""
    service.publish(
        session,
        rating_id,
        reason=data.reason,
        overrides=data.overrides,
        by=Actor.officer(officer.username),
    )
    session.commit()
    return views.rating(session, rating_id)


@router.post("/ratings/{rating_id}/discard")
def discard(rating_id: Id, data: DiscardIn, session: SessionDep, officer: Analyst) -> RatingOut:
    """Drop a proposal without putting anything in force."""
    service.discard(session, rating_id, data.reason, by=Actor.officer(officer.username))
    session.commit()
    return views.rating(session, rating_id)


@router.get("/enterprises/{code}/catalogue")
def enterprise_catalogue(
    code: str,
    session: SessionDep,
    _officer: Reader,
    withdrawn: Annotated[bool, Query(description="include withdrawn items")] = False,
) -> list[CatalogueItemOut]:
    """The product catalogue an enterprise filed, by item number."""
    service.enterprise(session, code)
    return [CatalogueItemOut.of(r) for r in catalogue.items_of(session, code, withdrawn=withdrawn)]


# -- the enterprise's own catalogue -----------------------------------------------------------


@catalogue_router.get("/items")
def my_catalogue(
    session: SessionDep,
    enterprise: EnterpriseDep,
    withdrawn: Annotated[bool, Query(description="include withdrawn items")] = False,
) -> list[CatalogueItemOut]:
    """Your product catalogue (a platform's or an e-commerce enterprise's), by item number."""
    rows = catalogue.items_of(session, enterprise.customs_code, withdrawn=withdrawn)
    return [CatalogueItemOut.of(r) for r in rows]


@catalogue_router.post("/items", status_code=201)
def file_items(
    data: CatalogueFiling, session: SessionDep, enterprise: EnterpriseDep
) -> list[CatalogueItemOut]:
    """File goods in your product catalogue, as of today (all or none; an item number
    already in force is refused with 409: amend it; a withdrawn one is filed again)."""
    code = enterprise.customs_code
    rows = catalogue.file_items(session, code, data.items, by=Actor.enterprise(code))
    session.commit()
    return [CatalogueItemOut.of(r) for r in rows]


@catalogue_router.put("/items/{item_no}")
def amend_item(
    item_no: str, data: CatalogueGoods, session: SessionDep, enterprise: EnterpriseDep
) -> CatalogueItemOut:
    """Amend a filed item: goods name, HS code, brand, specification."""
    code = enterprise.customs_code
    row = catalogue.amend_item(session, code, item_no, data, by=Actor.enterprise(code))
    session.commit()
    return CatalogueItemOut.of(row)


@catalogue_router.delete("/items/{item_no}")
def withdraw_item(
    item_no: str,
    session: SessionDep,
    enterprise: EnterpriseDep,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> CatalogueItemOut:
    """Withdraw an item from today (it stays on record with the date)."""
    code = enterprise.customs_code
    row = catalogue.withdraw_item(session, code, item_no, by=Actor.enterprise(code), reason=reason)
    session.commit()
    return CatalogueItemOut.of(row)
