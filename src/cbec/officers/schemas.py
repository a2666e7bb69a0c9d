"""Shapes of officer accounts at the edge (API bodies and answers, CLI ``--json``).

JSON keys are camelCase (``createdAt``, ``newPassword``); snake_case is accepted on input
too. These shapes only check types: the rules (username format, roles, password length)
live in :mod:`cbec.officers.service`, so the API and the CLI report them the same way.
Passwords are :class:`~pydantic.SecretStr`, so they never show in a repr or a log line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, SecretStr

from cbec.officers.roles import Role
from cbec.officers.service import IssuedSession
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import Officer

_ROLES_DOC = ", ".join(Role)


# --- input --------------------------------------------------------------------------------


class LoginIn(InputModel):
    """Username and password of an officer."""

    username: str = Field(examples=["li.wei"])
    password: SecretStr


class OfficerCreate(InputModel):
    """A new officer account."""

    username: str = Field(
        description="2 to 64 characters of a-z, 0-9, '.', '_', '-', starting with a letter",
        examples=["li.wei"],
    )
    name: str = Field(description="full name, 1 to 200 characters", examples=["李伟"])
    roles: list[str] = Field(description=f"one or more of: {_ROLES_DOC}", examples=[["reviewer"]])
    password: SecretStr = Field(
        description="the first password, 12 to 256 characters (the officer changes it)"
    )


class RolesIn(InputModel):
    """The complete new set of roles of an officer."""

    roles: list[str] = Field(description=f"one or more of: {_ROLES_DOC}", examples=[["inspector"]])


class DeactivateIn(InputModel):
    """Why an account is closed (kept in the audit log)."""

    reason: str | None = Field(default=None, description="why, for the audit log")


class PasswordChange(InputModel):
    """An officer's own password change."""

    current_password: SecretStr
    new_password: SecretStr = Field(description="12 to 256 characters")


# --- output -------------------------------------------------------------------------------


class OfficerOut(CamelModel):
    """An officer account (never its password hash)."""

    username: str
    name: str
    roles: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, officer: Officer) -> Self:
        return cls(
            username=officer.username,
            name=officer.name,
            roles=officer.role_names,
            active=officer.active,
            created_at=officer.created_at,
        )


class LoginOut(CamelModel):
    """A new login session. ``token`` is shown only this once."""

    token: str = Field(
        description="the session token cbo_<tokenId>_<secret>: send it as "
        "Authorization: Bearer <token>"
    )
    token_id: str
    expires_at: datetime
    officer: OfficerOut

    @classmethod
    def of(cls, issued: IssuedSession) -> Self:
        return cls(
            token=issued.token,
            token_id=issued.token_id,
            expires_at=issued.expires_at,
            officer=OfficerOut.of(issued.officer),
        )
