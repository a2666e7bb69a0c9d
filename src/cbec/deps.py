"""FastAPI dependencies shared by every router: settings, the session, the caller."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from cbec.config import Settings
from cbec.errors import Forbidden, Unauthorized
from cbec.registry.credentials import authenticate
from cbec.store.models import Enterprise

_bearer = HTTPBearer(auto_error=False, description="An enterprise API key: cbec_<id>_<secret>")
_admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="The customs administrator token (CBEC_ADMIN_TOKEN)",
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
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> None:
    """Let only the customs administrator through (403 otherwise).

    The administrator is whoever presents ``CBEC_ADMIN_TOKEN`` as a Bearer token: a
    stand-in until officer accounts with roles exist. With no token configured, every
    administrative route is refused.
    """
    if not settings.admin_token:
        raise Forbidden("administration is disabled: no CBEC_ADMIN_TOKEN is configured")
    if credentials is None or not hmac.compare_digest(
        credentials.credentials.encode(), settings.admin_token.encode()
    ):
        raise Forbidden(
            "the customs administrator token is required: Authorization: Bearer <CBEC_ADMIN_TOKEN>"
        )


AdminDep = Annotated[None, Depends(require_admin)]
