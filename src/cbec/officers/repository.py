"""Queries of officers and their login sessions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cbec.officers.roles import Role
from cbec.store.bulk import insert_for
from cbec.store.models import Officer, OfficerRole, OfficerSession, OfficerSignInFailures


def by_username(session: Session, username: str) -> Officer | None:
    """The officer with ``username``, if any."""
    return session.execute(select(Officer).where(Officer.username == username)).scalar_one_or_none()


def search(session: Session, *, active: bool | None = None) -> Sequence[Officer]:
    """Officers by username, only active (or inactive) ones if ``active`` is given."""
    query = select(Officer).order_by(Officer.username)
    if active is not None:
        query = query.where(Officer.active == active)
    return session.execute(query).scalars().all()


def active_administrators(session: Session, *, other_than: int | None = None) -> int:
    """How many active officers hold the administrator role (``other_than`` not counted)."""
    query = (
        select(func.count())
        .select_from(Officer)
        .join(OfficerRole, OfficerRole.officer_id == Officer.id)
        .where(Officer.active.is_(True), OfficerRole.role == Role.ADMINISTRATOR.value)
    )
    if other_than is not None:
        query = query.where(Officer.id != other_than)
    return session.execute(query).scalar_one()


def session_by_token_id(session: Session, token_id: str) -> OfficerSession | None:
    """The login session whose token has id ``token_id``, if any."""
    return session.execute(
        select(OfficerSession).where(OfficerSession.token_id == token_id)
    ).scalar_one_or_none()


def live_sessions(session: Session, officer_id: int) -> Sequence[OfficerSession]:
    """The officer's login sessions not revoked (expired ones included: revoking them is
    harmless and keeps the rule simple)."""
    return (
        session.execute(
            select(OfficerSession).where(
                OfficerSession.officer_id == officer_id, OfficerSession.revoked_at.is_(None)
            )
        )
        .scalars()
        .all()
    )


def signin_failures_of(session: Session, username: str) -> OfficerSignInFailures | None:
    """The failed sign-ins under ``username``, if any were counted (read without a lock)."""
    return session.execute(
        select(OfficerSignInFailures).where(OfficerSignInFailures.username == username)
    ).scalar_one_or_none()


def signin_failures(session: Session, username: str) -> OfficerSignInFailures:
    """The failed sign-ins under ``username`` (a count of 0 made if there is none), held
    until the transaction ends: two sign-ins under one username are counted one after the
    other, so that attempts sent at once get no more answers than one after another.

    The insert takes SQLite's write lock at once (as the audit chain's lock does);
    PostgreSQL locks the row (``FOR UPDATE``) and reads its latest committed count.
    """
    session.execute(
        insert_for(session.get_bind().dialect.name)(OfficerSignInFailures)
        .values(username=username, failures=0)
        .on_conflict_do_nothing()
    )
    return session.execute(
        select(OfficerSignInFailures)
        .where(OfficerSignInFailures.username == username)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
