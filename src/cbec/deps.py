"""FastAPI dependencies shared by every router: settings, the session, the caller."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from cbec.config import Settings
from cbec.errors import Forbidden, Unauthorized
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.registry.credentials import authenticate
from cbec.store.models import Enterprise, Officer

_bearer = HTTPBearer(auto_error=False, description="An enterprise API key: cbec_<id>_<secret>")
_admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The customs administrator token (CBEC_ADMIN_TOKEN)",
)
_officer_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="OfficerSession",
    description="An officer session token cbo_<id>_<secret>, from POST /api/v1/officers/login",
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request. Routes that write commit explicitly before answering
    (nothing is acknowledged before it is committed); anything uncommitted is rolled back."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_enterprise(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Enterprise:
    """The enterprise whose API key signed this request (401 without a valid one)."""
    if credentials is None:
        raise Unauthorized("an API key is required: Authorization: Bearer cbec_<id>_<secret>")
    return authenticate(session, credentials.credentials)


EnterpriseDep = Annotated[Enterprise, Depends(current_enterprise)]


def require_admin(
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> None:
    """Let only a customs administrator through (403 otherwise): an officer signed in with
    the administrator role (``cbo_...`` session token), or whoever presents
    ``CBEC_ADMIN_TOKEN`` (for bootstrapping and scripts; with none configured, only
    administrator officers get in)."""
    presented = credentials.credentials if credentials is not None else ""
    if presented.startswith(f"{officers.TOKEN_PREFIX}_"):
        officer = officers.authenticate(session, presented)
        if "administrator" not in officer.role_names:
            held = ", ".join(officer.role_names) or "no role"
            raise Forbidden(
                f"this needs the role administrator; officer {officer.username!r} holds {held}"
            )
        return
    if not settings.admin_token:
        raise Forbidden(
            "administration needs an administrator officer's session (no CBEC_ADMIN_TOKEN "
            "is configured)"
        )
    if not presented or not hmac.compare_digest(presented.encode(), settings.admin_token.encode()):
        raise Forbidden(
            "the customs administrator token (Authorization: Bearer <CBEC_ADMIN_TOKEN>) or "
            "an administrator officer's session is required"
        )


AdminDep = Annotated[None, Depends(require_admin)]


def officer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_officer_bearer)],
) -> str:
    """The officer session token presented (401 without one; not yet checked)."""
    if credentials is None:
        raise Unauthorized(
            "an officer session is required: Authorization: Bearer cbo_<id>_<secret> "
            "(POST /api/v1/officers/login)"
        )
    return credentials.credentials


OfficerTokenDep = Annotated[str, Depends(officer_token)]


def current_officer(session: SessionDep, token: OfficerTokenDep) -> Officer:
    """The active officer whose live session token signed this request (401 otherwise)."""
    return officers.authenticate(session, token)


OfficerDep = Annotated[Officer, Depends(current_officer)]


def require_role(*roles: Role) -> Callable[..., Officer]:
    """A dependency that lets through an officer holding any of ``roles`` and yields it:
    401 without a valid session, 403 naming the role(s) needed otherwise.

    Usage::

        Reviewer = Annotated[Officer, Depends(require_role(Role.REVIEWER))]

        @router.post("/declarations/{key}/approve")
        def approve(key: str, officer: Reviewer, session: SessionDep) -> ...: ...
    """
    if not roles:
        raise ValueError("require_role needs at least one role")
    needed = frozenset(Role(r).value for r in roles)
    wording = " or ".join(Role(r).value for r in roles)

    def dependency(officer: OfficerDep) -> Officer:
        if needed.isdisjoint(officer.role_names):
            held = ", ".join(officer.role_names) or "no role"
            raise Forbidden(
                f"this needs the role {wording}; officer {officer.username!r} holds {held}"
            )
        return officer

    dependency.__name__ = f"require_{'_or_'.join(Role(r).value for r in roles)}"
    return dependency
