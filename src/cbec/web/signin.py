"""Officers sign in to the browser pages with the same accounts and sessions as the API:
the session token (``cbo_...``) lives in an HttpOnly, SameSite=Strict cookie instead of an
``Authorization`` header. Every action still checks the officer's role here, and the
clearance service records it in the audit log.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy.orm import Session

from cbec.errors import CbecError, Forbidden, Unauthorized
from cbec.officers import service as officers
from cbec.officers.roles import Role
from cbec.store.models import Officer

COOKIE = "cbec_officer"


def token_of(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    return token or None


def officer_or_none(request: Request, session: Session) -> Officer | None:
    """The officer whose live session the cookie carries, or None."""
    token = token_of(request)
    if token is None:
        return None
    try:
        return officers.authenticate(session, token)
    except CbecError:
        return None


def signed_in(request: Request, session: Session) -> Officer:
    """The signed-in officer (401 without a live session)."""
    officer = officer_or_none(request, session)
    if officer is None:
        raise Unauthorized("sign in first: /login")
    return officer


def need(officer: Officer, role: Role) -> None:
    """403 unless ``officer`` holds ``role`` (the same answer as the API's require_role)."""
    if role.value not in officer.role_names:
        held = ", ".join(officer.role_names) or "no role"
        raise Forbidden(
            f"this needs the role {role.value}; officer {officer.username!r} holds {held}"
        )


def need_any(officer: Officer, *roles: Role) -> None:
    """403 unless ``officer`` holds one of ``roles``, naming them and what the officer holds."""
    if not {r.value for r in roles} & set(officer.role_names):
        held = ", ".join(officer.role_names) or "no role"
        wanted = " or ".join(r.value for r in roles)
        raise Forbidden(f"this needs the role {wanted}; officer {officer.username!r} holds {held}")


def holds(officer: Officer | None, *roles: Role) -> bool:
    """Whether ``officer`` holds one of ``roles`` (what a page shows or hides)."""
    return officer is not None and bool({r.value for r in roles} & set(officer.role_names))


def same_origin(request: Request) -> None:
    """Refuse a state-changing request sent from another site's page (403). The cookie is
    SameSite=Strict already; this also covers browsers that ignore it."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Forbidden("request from another origin refused")


def local_path(target: str | None, default: str = "/monitor") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirect).

    >>> local_path("/workbench"), local_path("//evil.example/x"), local_path("https://x/")
    ('/workbench', '/monitor', '/monitor')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
