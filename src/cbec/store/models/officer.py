"""Customs officers, the roles they hold, and their login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbec.store.models.base import Base, UTCDateTime, utcnow


class Officer(Base):
    """A customs officer who signs in to review, inspect, analyse risk or administer."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2id hash in PHC format (``$argon2id$v=19$m=...``); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[OfficerRole]] = relationship(
        back_populates="officer",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="OfficerRole.role",
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class OfficerRole(Base):
    """One role an officer holds (reviewer, inspector, risk_analyst, administrator)."""

    __tablename__ = "officer_roles"

    officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    officer: Mapped[Officer] = relationship(back_populates="roles", lazy="raise")


class OfficerSession(Base):
    """A login: the token ``cbo_<token id>_<secret>`` was shown once; only the SHA-256 of
    the secret is kept. It ends at ``expires_at`` or when revoked (logout, deactivation)."""

    __tablename__ = "officer_sessions"
    __table_args__ = (UniqueConstraint("token_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OfficerSignInFailures(Base):
    """Failed sign-ins in a row under one username, whether or not an officer has it (so
    that a refusal does not tell which usernames exist), and until when sign-ins under it
    are refused after too many. A sign-in with the right password sets the count to 0."""

    __tablename__ = "officer_signin_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
