"""The portraits pages (``/portraits``): every enterprise's class in force, portrait score
and each feature's contribution; one enterprise's portrait with the history of its class
changes and why; the pending re-rating proposal, which a risk analyst publishes (or a new
one is computed). Everything goes through :mod:`cbec.portrait.service`, which audits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.clearance import statements
from cbec.clearance.statement_schemas import StatementOut
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.officers.roles import Role
from cbec.portrait import classes, service, views
from cbec.portrait.schemas import RatingItemOut
from cbec.portrait.score import Portrait
from cbec.store.models import Enterprise, EnterpriseClass, Officer, Rating
from cbec.web import signin

#: Who reads portraits (as ``/api/v1/portrait``); risk analysts propose and publish.
READERS = (Role.RISK_ANALYST, Role.INVESTIGATOR, Role.ADMINISTRATOR)


@dataclass(frozen=True, slots=True)
class Row:
    code: str
    name: str
    roles: list[str]
    portrait: Portrait
    in_force: EnterpriseClass | None


def _row(session: Session, code: str, portrait: Portrait) -> Row:
    try:
        firm: Enterprise | None = service.enterprise(session, code)
    except NotFound:  # named on a list but never filed
        firm = None
    return Row(
        code,
        firm.name if firm else "(not filed)",
        firm.role_names if firm else [],
        portrait,
        service.class_in_force(session, code),
    )


def _pending(session: Session) -> tuple[Rating | None, list[RatingItemOut]]:
    found = service.ratings(session, "proposed", 1)
    if not found:
        return None, []
    return found[0], [RatingItemOut.of(i) for i in service.items(session, found[0].id)]


def list_context(session: Session, officer: Officer) -> dict[str, Any]:
    """Every enterprise with a list decided in the last year: class in force, score, the
    class it proposes and its contributions, worst first; and the pending proposal."""
    signin.need_any(officer, *READERS)
    start, end = service.window()
    found, _ = service.portraits(session, start, end)
    rows = sorted(
        (_row(session, code, p) for code, p in found.items()),
        key=lambda r: (r.portrait.score, r.code),
    )
    rating, items = _pending(session)
    return {
        "rows": rows,
        "start": start,
        "end": end,
        "rating": rating,
        "items": items,
        "changes": sum(1 for i in items if i.current_class != i.proposed_class),
        "classes": classes.ORDER,
        "can_rate": signin.holds(officer, Role.RISK_ANALYST),
    }


def detail_context(session: Session, officer: Officer, code: str) -> dict[str, Any]:
    """One enterprise's portrait over the last year with its class history."""
    signin.need_any(officer, *READERS)
    start, end = service.window()
    found = statements.statements(session, guarantor=code, limit=24)
    return {
        "p": views.portrait(session, code, start, end),
        "statements": [StatementOut.of(row, standing) for row, standing in found],
    }


def propose(session: Session, officer: Officer) -> Rating:
    """Compute a re-rating proposal over the last year (risk analysts)."""
    signin.need(officer, Role.RISK_ANALYST)
    start, end = service.window()
    return service.propose(session, start, end, by=Actor.officer(officer.username))


def publish(
    session: Session, officer: Officer, rating_id: int, reason: str, kept: dict[str, str]
) -> None:
    """Put proposal ``rating_id`` in force with the officer's reason; ``kept`` (customs
    code -> class) are the classes the officer chose instead of the proposed ones."""
    signin.need(officer, Role.RISK_ANALYST)
    if not reason.strip():
        raise BadRequest("a reason is required", fields=[FieldError("reason", "required", "why")])
    proposed = {i.enterprise_code: i.proposed_class for i in service.items(session, rating_id)}
    overrides = {code: c for code, c in kept.items() if c and proposed.get(code) != c}
    service.publish(
        session,
        rating_id,
        reason=reason.strip(),
        overrides=overrides,
        by=Actor.officer(officer.username),
    )
