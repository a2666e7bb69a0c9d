"""``/api/v1/officers``: officers log in, and administrators manage their accounts.

An officer logs in with username and password and gets a session token
(``Authorization: Bearer cbo_<id>_<secret>``) that lasts ``CBEC_OFFICER_SESSION_HOURS``.
Account management is for officers holding the ``administrator`` role; each change is
recorded in the audit log against the administrator who made it. Routes that write
commit before answering.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from cbec.audit.service import Actor
from cbec.deps import OfficerDep, OfficerTokenDep, SessionDep, SettingsDep, require_role
from cbec.errors import CbecError
from cbec.officers import service
from cbec.officers.roles import Role
from cbec.officers.schemas import (
    DeactivateIn,
    LoginIn,
    LoginOut,
    OfficerCreate,
    OfficerOut,
    PasswordChange,
    RolesIn,
)
from cbec.officers.throttle import client_of, throttle
from cbec.store.models import Officer

router = APIRouter(prefix="/api/v1", tags=["officers"])

Administrator = Annotated[Officer, Depends(require_role(Role.ADMINISTRATOR))]


@router.post("/officers/login")
def login(
    credentials: LoginIn, session: SessionDep, settings: SettingsDep, request: Request
) -> LoginOut:
    """Log in with username and password; the answer carries the session token this once.

    Send it as `Authorization: Bearer <token>` until `expiresAt`. 401 for a wrong
    username or password (the same answer for both) or a deactivated account. After
    `CBEC_OFFICER_SIGNIN_ATTEMPTS` failures in a row under a username (5 by default),
    logins under it are refused with 429 and `Retry-After` for
    `CBEC_OFFICER_SIGNIN_LOCK_SECONDS` (900), whether or not an officer has it; a login with
    the right password starts the count again. Past `CBEC_OFFICER_SIGNIN_RATE_PER_CLIENT`
    refused logins from one address (30 an hour), whatever the usernames, that address is
    refused with 429 and `Retry-After` before any password is checked.
    """
    guard, client = throttle(request), client_of(request)
    guard.check(client)
    try:
        issued = service.login(
            session,
            credentials.username,
            credentials.password.get_secret_value(),
            lifetime=timedelta(hours=settings.officer_session_hours),
            limit=service.SignInLimit.from_settings(settings),
            client=request.client.host if request.client else None,
        )
    except CbecError:
        session.commit()  # a refused login counts, and is in the audit log
        guard.refused(client)
        raise
    session.commit()
    return LoginOut.of(issued)


@router.post("/officers/logout", status_code=204)
def logout(token: OfficerTokenDep, session: SessionDep) -> Response:
    """End the session whose token signs this request: it is refused from now on."""
    service.logout(session, token)
    session.commit()
    return Response(status_code=204)


@router.get("/officers/me")
def me(officer: OfficerDep) -> OfficerOut:
    """The officer whose session signs this request: name, roles, status."""
    return OfficerOut.of(officer)


@router.put("/officers/me/password", status_code=204)
def change_my_password(
    change: PasswordChange, officer: OfficerDep, token: OfficerTokenDep, session: SessionDep
) -> Response:
    """Change one's own password (the current one is required: 401 if wrong).

    Every other session of the officer ends; the one making the change goes on.
    """
    current = service.authenticate_session(session, token)
    service.change_password(
        session,
        officer.username,
        change.new_password.get_secret_value(),
        by=Actor.officer(officer.username),
        current_password=change.current_password.get_secret_value(),
        keep_token_id=current.token_id,
    )
    session.commit()
    return Response(status_code=204)


@router.post("/officers", status_code=201)
def create_officer(body: OfficerCreate, session: SessionDep, admin: Administrator) -> OfficerOut:
    """Open an officer account with its roles and first password (administrators only).

    400 names each field and rule broken (username format, known roles, password of 12 to
    256 characters); 409 if the username is taken.
    """
    officer = service.create_officer(
        session,
        username=body.username,
        name=body.name,
        roles=body.roles,
        password=body.password.get_secret_value(),
        by=Actor.officer(admin.username),
    )
    session.commit()
    return OfficerOut.of(officer)


@router.get("/officers")
def list_officers(
    session: SessionDep,
    _admin: Administrator,
    active: Annotated[
        bool | None, Query(description="only active (true) or deactivated (false) officers")
    ] = None,
) -> list[OfficerOut]:
    """Officer accounts by username (administrators only)."""
    return [OfficerOut.of(o) for o in service.list_officers(session, active=active)]


@router.post("/officers/{username}/deactivate")
def deactivate_officer(
    username: str, session: SessionDep, admin: Administrator, body: DeactivateIn | None = None
) -> OfficerOut:
    """Close an officer account: its sessions end and it can no longer log in
    (administrators only). The last active administrator cannot be deactivated (409)."""
    officer = service.deactivate(
        session, username, by=Actor.officer(admin.username), reason=body.reason if body else None
    )
    session.commit()
    return OfficerOut.of(officer)


@router.put("/officers/{username}/roles")
def set_roles(
    username: str, body: RolesIn, session: SessionDep, admin: Administrator
) -> OfficerOut:
    """Replace an officer's roles with the set given (administrators only). Taking the
    administrator role from the last active administrator is refused (409)."""
    officer = service.set_roles(session, username, body.roles, by=Actor.officer(admin.username))
    session.commit()
    return OfficerOut.of(officer)
