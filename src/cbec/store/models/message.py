"""What intake keeps: every message, the current document per business key, receipts
owed to senders, and dead letters for what could not be accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, SealedBytes, SealedText, UTCDateTime, utcnow


class InboundMessage(Base):
    """One accepted message, as sent. Identical re-deliveries map to the same row."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        # content_hash first: intake looks a batch of hashes up at once
        UniqueConstraint("content_hash", "sender_code"),
        Index("ix_inbound_messages_type_key", "message_type", "business_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    guid: Mapped[str] = mapped_column(String(36))
    message_type: Mapped[str] = mapped_column(String(8))
    sender_code: Mapped[str] = mapped_column(String(10))
    business_key: Mapped[str] = mapped_column(String(255))
    app_type: Mapped[str] = mapped_column(String(1))
    #: SHA-256 of the canonical JSON of the business content (formatting-independent).
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Canonical JSON of the whole message (the typed model's dump), encrypted at rest:
    #: it holds the buyer's, payer's and consignee's personal data.
    body: Mapped[str] = mapped_column(SealedText)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Where it came from: "api" or the file it was read from.
    source: Mapped[str] = mapped_column(String(255), default="api")
    #: When ``cbec pii purge`` erased the personal data in ``body`` (past retention).
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Document(Base):
    """The current state of one business document (order, payment, waybill, list, ...)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kind", "business_key"),
        Index("ix_documents_order", "order_no", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    business_key: Mapped[str] = mapped_column(String(255))
    order_no: Mapped[str] = mapped_column(String(60))
    ebp_code: Mapped[str | None] = mapped_column(String(18), default=None)
    ebc_code: Mapped[str | None] = mapped_column(String(18), default=None)
    sender_code: Mapped[str] = mapped_column(String(10))
    #: Last returnStatus given for this document (120 accepted, then clearance's codes).
    status: Mapped[int] = mapped_column(SmallInteger, default=120)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(default=False)
    #: The message that made the document what it is now; its body is the document's content.
    message_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Receipt(Base):
    """A receipt owed to a sender; senders page through theirs in commit order (``seq``, the
    cursor)."""

    __tablename__ = "receipts"
    __table_args__ = (
        Index("ix_receipts_recipient_id", "recipient_code", "id"),
        Index("ix_receipts_recipient_seq", "recipient_code", "seq"),
        # a transaction's own receipts, to place them as it commits (see cbec.store.engine)
        Index("ix_receipts_tx", "tx"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: The accepted message this answers (None for a rejection).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), default=None, index=True
    )
    #: The dead letter this answers (None for an accepted message).
    dead_letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("dead_letters.id"), default=None, index=True
    )
    recipient_code: Mapped[str] = mapped_column(String(10))
    message_type: Mapped[str] = mapped_column(String(8))
    ori_message_type: Mapped[str] = mapped_column(String(8))
    ori_guid: Mapped[str] = mapped_column(String(36))
    business_key: Mapped[str] = mapped_column(String(255))
    return_status: Mapped[int] = mapped_column(SmallInteger)
    return_info: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: JSON object of the identifying fields the receipt echoes (ebpCode, orderNo, copNo, ...).
    body: Mapped[str] = mapped_column(Text)
    #: Its place in commit order (PostgreSQL), given just before its transaction commits,
    #: under a lock held through the commit (:mod:`cbec.store.engine`): the cursor senders
    #: page by. Ids are given at insert, so with several writers a lower id can commit later.
    seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: The writing transaction's id (PostgreSQL's ``txid_current()``, by the server).
    tx: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())


class DeadLetter(Base):
    """A message that was not accepted, kept raw with the reason, so nothing is lost."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender_code: Mapped[str | None] = mapped_column(String(10), default=None)
    message_type: Mapped[str | None] = mapped_column(String(8), default=None)
    source: Mapped[str] = mapped_column(String(255), default="api")
    #: The raw bytes (the first ``max_message_bytes`` of an oversized body), encrypted at
    #: rest.
    raw: Mapped[bytes] = mapped_column(SealedBytes)
    truncated: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text)
    #: JSON list of {path, rule, message}.
    fields: Mapped[str] = mapped_column(Text, default="[]")
