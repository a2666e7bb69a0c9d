"""Queries of intake: messages, documents, receipts, dead letters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cbec.store import bulk
from cbec.store.models import DeadLetter, Document, Enterprise, InboundMessage, Receipt
from cbec.store.models.enterprise import SignatureKey


def enterprises_by_code(session: Session, codes: Iterable[str]) -> dict[str, Enterprise]:
    codes = list(set(codes))
    if not codes:
        return {}
    rows = session.execute(select(Enterprise).where(Enterprise.customs_code.in_(codes))).scalars()
    return {e.customs_code: e for e in rows}


def live_signature_keys(
    session: Session, codes: Iterable[str]
) -> Sequence[tuple[str, SignatureKey]]:
    """(customs code, key) for every unrevoked signature key of these enterprises."""
    codes = list(set(codes))
    if not codes:
        return []
    rows = session.execute(
        select(Enterprise.customs_code, SignatureKey)
        .join(SignatureKey, SignatureKey.enterprise_id == Enterprise.id)
        .where(Enterprise.customs_code.in_(codes), SignatureKey.revoked_at.is_(None))
    ).all()
    return [(code, key) for code, key in rows]


def known_messages(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(sender, content hash) -> (message id, receipt id) for messages already accepted
    (one indexed lookup of the batch's hashes; receipts only for the rare re-deliveries)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = session.execute(
        select(InboundMessage.sender_code, InboundMessage.content_hash, InboundMessage.id).where(
            InboundMessage.content_hash.in_(list({h for _, h in wanted}))
        )
    ).all()
    hits = {(s, h): mid for s, h, mid in rows if (s, h) in wanted}
    if not hits:
        return {}
    receipts = dict(
        session.execute(
            select(Receipt.message_id, Receipt.id).where(
                Receipt.message_id.in_(list(hits.values()))
            )
        ).all()
    )
    return {key: (mid, receipts.get(mid)) for key, mid in hits.items()}


def documents_by_key(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """The documents with these (kind, business key), one query per kind (index order)."""
    by_kind: dict[str, set[str]] = {}
    for kind, key in keys:
        by_kind.setdefault(kind, set()).add(key)
    found: dict[tuple[str, str], Any] = {}
    for kind, business_keys in by_kind.items():
        rows = session.execute(
            select(
                Document.id,
                Document.kind,
                Document.business_key,
                Document.status,
                Document.version,
                Document.deleted,
                Document.sender_code,
            ).where(Document.kind == kind, Document.business_key.in_(list(business_keys)))
        ).all()
        for r in rows:
            found[(r.kind, r.business_key)] = r
    return found


def decided_orders(
    session: Session, order_nos: Iterable[str], statuses: Iterable[int]
) -> dict[str, int]:
    """orderNo -> status of a list for that order that has already been decided."""
    order_nos = list(set(order_nos))
    if not order_nos:
        return {}
    rows = session.execute(
        select(Document.order_no, Document.status).where(
            Document.kind == "inventory",
            Document.order_no.in_(order_nos),
            Document.status.in_(list(statuses)),
            Document.deleted.is_(False),
        )
    ).all()
    return {r.order_no: r.status for r in rows}


def insert_returning_ids(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many rows in one round trip and return their new ids, in order."""
    return bulk.insert_many(session, model.__tablename__, rows)


def update_documents(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    bulk.update_many(session, Document.__tablename__, rows)


def receipts_after(session: Session, recipient: str, after: int, limit: int) -> Sequence[Receipt]:
    """The receipts of ``recipient`` after ``after`` (the cursor), in commit order: by their
    place (``seq``, given as their transaction commits, see :mod:`cbec.store.engine`) on
    PostgreSQL, where several writers can commit a lower id after a higher one; by id on
    SQLite, which has one writer."""
    postgres = session.get_bind().dialect.name == "postgresql"
    order = Receipt.seq if postgres else Receipt.id
    return (
        session.execute(
            select(Receipt)
            .where(Receipt.recipient_code == recipient, order > after)
            .order_by(order)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def cursor_of(session: Session, receipt: Receipt) -> int:
    """The cursor value of ``receipt`` (what a sender passes as ``after``)."""
    if session.get_bind().dialect.name == "postgresql" and receipt.seq is not None:
        return receipt.seq
    return receipt.id


def receipts_by_id(session: Session, ids: Iterable[int]) -> dict[int, Receipt]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {r.id: r for r in session.execute(select(Receipt).where(Receipt.id.in_(ids))).scalars()}


def get_receipt(session: Session, receipt_id: int) -> Receipt | None:
    return session.get(Receipt, receipt_id)


def dead_letters(session: Session, limit: int, after: int = 0) -> Sequence[DeadLetter]:
    return (
        session.execute(
            select(DeadLetter).where(DeadLetter.id > after).order_by(DeadLetter.id).limit(limit)
        )
        .scalars()
        .all()
    )


def get_document(session: Session, kind: str, business_key: str) -> Document | None:
    return session.execute(
        select(Document).where(Document.kind == kind, Document.business_key == business_key)
    ).scalar_one_or_none()


#: First key of the advisory locks on orders (pg_advisory_xact_lock(int, int)): apart from
#: the audit chain's single-key lock.
ORDER_LOCK_CLASS = 0x0CBEC


def lock_orders(session: Session, order_nos: Iterable[str]) -> None:
    """PostgreSQL: hold, until this transaction ends, a lock on each order that messages
    of this batch belong to (taken in one order, so two writers cannot deadlock on them).

    Several writers (API processes, queue workers) may otherwise accept an order and its
    list at the same moment, each in a transaction that cannot see the other's document,
    and the list would wait for a document that is already there. With the lock, the
    second transaction waits, then (read committed) sees the first one's rows. SQLite
    needs none: it has one writer at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_order_lock_key(o) for o in order_nos if o})
    if keys:
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:cls, k)) "
                "FROM (SELECT unnest(CAST(:keys AS int[])) AS k ORDER BY 1) AS ordered"
            ),
            {"cls": ORDER_LOCK_CLASS, "keys": keys},
        )


def _order_lock_key(order_no: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(order_no.encode(), digest_size=4).digest(), "big", signed=True
    )
