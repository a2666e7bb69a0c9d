"""FastAPI dependencies shared by every router: settings, the session, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from cbec.config import Settings
from cbec.errors import Unauthorized
from cbec.registry.credentials import authenticate
from cbec.store.models import Enterprise

_bearer = HTTPBearer(auto_error=False, description="An enterprise API key: cbec_<id>_<secret>")


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
