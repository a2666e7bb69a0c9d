"""Consumer protection: disputes of lists a consumer did not make ("not me"), opt-ins to
a notice each time an identity is used, and the notices recorded for them.

Disputes, opt-ins and notices hold a resident ID number (the subject they are about),
encrypted at rest and found through its blind index (:func:`cbec.privacy.blind_id`);
screens and logs show it masked. Contacts (phone or mail) are encrypted too.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import (
    Base,
    BigIntPK,
    BlindIndex,
    SealedText,
    UTCDateTime,
    utcnow,
)


class ConsumerDispute(Base):
    """A consumer's statement that lists declared under their identity are not theirs:
    open -> confirmed (the lists stop counting against the annual quota) | rejected."""

    __tablename__ = "consumer_disputes"
    __table_args__ = (
        Index("ix_consumer_disputes_identity", "id_key", "id"),
        Index("ix_consumer_disputes_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: the ID number, encrypted ("" once purged), and its blind index
    id_number: Mapped[str] = mapped_column("id_sealed", SealedText)
    id_key: Mapped[str] = mapped_column(BlindIndex)
    #: open, confirmed or rejected
    status: Mapped[str] = mapped_column(String(12), default="open")
    #: what the consumer says (ID and mobile numbers scrubbed)
    statement: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: value given back to the annual quota when confirmed (lists that were counted)
    restored: Mapped[Decimal | None] = mapped_column(Numeric(19, 5), default=None)
    #: JSON list of the ids of the risk flags the dispute raised
    flag_ids: Mapped[str] = mapped_column(Text, default="[]")


class ConsumerDisputeList(Base):
    """One list named in a dispute, with the enterprises it names."""

    __tablename__ = "consumer_dispute_lists"
    __table_args__ = (Index("ix_consumer_dispute_lists_declaration", "declaration_id"),)

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("consumer_disputes.id", ondelete="CASCADE"), primary_key=True
    )
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), primary_key=True)
    invt_no: Mapped[str] = mapped_column(String(18))
    ebp_code: Mapped[str] = mapped_column(String(18))
    ebc_code: Mapped[str] = mapped_column(String(18))
    #: taxable value of the list when disputed (what a confirmation gives back)
    value: Mapped[Decimal | None] = mapped_column(Numeric(19, 5), default=None)


class NoticeSubscription(Base):
    """A consumer's opt-in to a notice each time a list is declared under their identity."""

    __tablename__ = "consumer_notice_subscriptions"

    #: the blind index of the ID number, and the number itself, encrypted
    id_key: Mapped[str] = mapped_column(BlindIndex, primary_key=True)
    id_number: Mapped[str] = mapped_column(SealedText)
    #: sms or email
    channel: Mapped[str] = mapped_column(String(8))
    #: the phone number or mail address, encrypted
    contact: Mapped[str] = mapped_column(SealedText)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityNotice(Base):
    """One notice owed to a subscribed consumer: a new list declared under their identity.
    A sender (SMS or mail gateway) delivers pending notices and marks them sent."""

    __tablename__ = "consumer_notices"
    __table_args__ = (
        UniqueConstraint("id_key", "business_key"),
        Index("ix_consumer_notices_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: the ID number, encrypted, and its blind index
    id_number: Mapped[str] = mapped_column(SealedText)
    id_key: Mapped[str] = mapped_column(BlindIndex)
    #: the list's business key (its declaration is found by it)
    business_key: Mapped[str] = mapped_column(String(255))
    order_no: Mapped[str] = mapped_column(String(60))
    ebp_code: Mapped[str] = mapped_column(String(18))
    ebp_name: Mapped[str] = mapped_column(String(200))
    decl_date: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(8))
    #: the phone number or mail address, encrypted
    contact: Mapped[str] = mapped_column(SealedText)
    #: pending (to be sent) or sent
    status: Mapped[str] = mapped_column(String(8), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
