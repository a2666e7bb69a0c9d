"""Filed enterprises, their roles, and their API credentials."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbec.store.models.base import Base, UTCDateTime, utcnow


class Enterprise(Base):
    """An enterprise filed with customs: platform, e-commerce, payment, logistics, ..."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customs_code: Mapped[str] = mapped_column(String(10), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    filing_date: Mapped[date] = mapped_column(Date)
    #: this enterprise's manual review and inspection rates (None: the defaults); set by
    #: its portrait class
    review_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4), default=None)
    inspection_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4), default=None)
    #: what intake does with the signatures of this enterprise's declared messages: off
    #: (not checked), warn (checked, a failure is noted in the receipt) or enforce (a
    #: failure rejects the message)
    signature_policy: Mapped[str] = mapped_column(String(8), default="off", server_default="off")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    roles: Mapped[list[EnterpriseRole]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="EnterpriseRole.role",
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class EnterpriseRole(Base):
    """One role an enterprise holds (an enterprise may hold several)."""

    __tablename__ = "enterprise_roles"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    enterprise: Mapped[Enterprise] = relationship(back_populates="roles", lazy="raise")


class ApiCredential(Base):
    """An API key of an enterprise: the key id is public, only a hash of the secret is kept."""

    __tablename__ = "api_credentials"
    __table_args__ = (UniqueConstraint("key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SignatureKey(Base):
    """A public key an enterprise filed for the signatures of its messages (XML-DSig
    ``KeyName`` names it). Keys are never edited: a new key gets a new name; an old one is
    revoked, and messages signed with it no longer verify."""

    __tablename__ = "signature_keys"
    __table_args__ = (UniqueConstraint("enterprise_id", "key_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    key_name: Mapped[str] = mapped_column(String(64))
    #: sm2-sm3, rsa-sha256 or ecdsa-sha256
    algorithm: Mapped[str] = mapped_column(String(16))
    #: PEM (SubjectPublicKeyInfo, or an X.509 certificate for RSA/ECDSA)
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
