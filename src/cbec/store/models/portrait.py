"""Enterprise portraits: platform verification checks and re-rating proposals.

The class in force lives in ``risk_enterprise_classes`` (:class:`EnterpriseClass`), with
the sampling rates of the class stamped on each row when it is published, so clearance can
read it without knowing about portraits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow


class PlatformCheck(Base):
    """One verification of an e-commerce platform made by an officer: could one log in,
    register, buy; was what was bought shipped; are the cleared goods sold on it; does its
    traffic match its clearance volume; does it hold the required qualifications."""

    __tablename__ = "portrait_platform_checks"
    __table_args__ = (Index("ix_portrait_platform_checks_platform", "platform_code", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    platform_code: Mapped[str] = mapped_column(String(10))
    #: login | register | buy | shipped | goods | traffic | qualification
    check: Mapped[str] = mapped_column(String(16))
    #: pass | fail | inconclusive
    result: Mapped[str] = mapped_column(String(12))
    evidence: Mapped[str] = mapped_column(Text, default="")
    checked_on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(64))
    #: ``traffic``: orders the platform reported for [period_from, period_to]
    reported_orders: Mapped[int | None] = mapped_column(Integer, default=None)
    period_from: Mapped[date | None] = mapped_column(Date, default=None)
    period_to: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogueItem(Base):
    """One item of the product catalogue an enterprise (a platform, or an e-commerce
    enterprise selling on one) filed with customs: its item number, goods name, 10-digit HS
    code, brand and specification. Amended in place (the audit log keeps the before);
    withdrawn items stay, with the date, so lists cleared while they were filed still match.
    """

    __tablename__ = "catalogue_items"
    __table_args__ = (UniqueConstraint("enterprise_code", "item_no"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    enterprise_code: Mapped[str] = mapped_column(String(18))
    item_no: Mapped[str] = mapped_column(String(60))
    goods_name: Mapped[str] = mapped_column(String(250))
    hs_code: Mapped[str] = mapped_column(String(10))
    brand: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(String(255))
    filed_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: 1 when filed, +1 on each amendment
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who filed or last changed it: the enterprise's code, or the importing actor
    updated_by: Mapped[str] = mapped_column(String(64))


class Rating(Base):
    """A re-rating run: every active enterprise's portrait over a window and the class it
    proposes; an officer reviews it and publishes it (or discards it)."""

    __tablename__ = "portrait_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: proposed | published | discarded
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    window_from: Mapped[datetime] = mapped_column(UTCDateTime)
    window_to: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class RatingItem(Base):
    """One enterprise in a re-rating: its class in force, the proposed class, the score
    with each feature's contribution, and the class the officer kept (when overridden)."""

    __tablename__ = "portrait_rating_items"
    __table_args__ = (Index("ix_portrait_rating_items_rating", "rating_id", "enterprise_code"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("portrait_ratings.id", ondelete="CASCADE"))
    enterprise_code: Mapped[str] = mapped_column(String(18))
    current_class: Mapped[str | None] = mapped_column(String(8), default=None)
    proposed_class: Mapped[str] = mapped_column(String(8))
    final_class: Mapped[str | None] = mapped_column(String(8), default=None)
    score: Mapped[float] = mapped_column(Float)
    #: JSON: the portrait (features, contributions, reasons)
    portrait: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
