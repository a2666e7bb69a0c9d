"""Queries of the payment-company report: payments and orders as stored (the current
version of each live document), the enterprises they name, and their flags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.store.models import Document, Enterprise, InboundMessage, RiskFlag

#: Rows fetched from the store at a time when streaming documents.
PAGE = 2_000


def bodies(session: Session, kind: str, pay_code: str | None = None) -> Iterator[str]:
    """The message bodies (canonical JSON) of the live documents of ``kind`` (``payment``,
    ``order``), streamed; payments of one company only with ``pay_code``."""
    query = (
        select(InboundMessage.body)
        .join(Document, Document.message_id == InboundMessage.id)
        .where(Document.kind == kind, Document.deleted.is_(False))
        .order_by(Document.id)
    )
    if pay_code is not None:
        query = query.where(Document.sender_code == pay_code)
    yield from session.execute(query.execution_options(yield_per=PAGE)).scalars()


def order_bodies(session: Session, order_nos: Iterable[str]) -> Iterator[str]:
    """The live orders with these order numbers (in chunks)."""
    wanted = sorted(set(order_nos))
    for start in range(0, len(wanted), 1_000):
        chunk = wanted[start : start + 1_000]
        yield from session.execute(
            select(InboundMessage.body)
            .join(Document, Document.message_id == InboundMessage.id)
            .where(
                Document.kind == "order",
                Document.deleted.is_(False),
                Document.order_no.in_(chunk),
            )
        ).scalars()


def enterprises(session: Session, codes: Iterable[str]) -> dict[str, Enterprise]:
    wanted = list(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(Enterprise).where(Enterprise.customs_code.in_(wanted)))
    return {e.customs_code: e for e in rows.scalars()}


def enterprise(session: Session, code: str) -> Enterprise | None:
    return session.execute(
        select(Enterprise).where(Enterprise.customs_code == code)
    ).scalar_one_or_none()


def enterprise_flags(session: Session, codes: Iterable[str]) -> Sequence[RiskFlag]:
    """Every flag on these enterprises (validity is judged by the caller)."""
    wanted = list(set(codes))
    if not wanted:
        return []
    return (
        session.execute(
            select(RiskFlag)
            .where(RiskFlag.subject_kind == "enterprise", RiskFlag.subject_key.in_(wanted))
            .order_by(RiskFlag.id)
        )
        .scalars()
        .all()
    )


def live_flags(
    session: Session, code: str, source: str, kind: str, at: datetime
) -> Sequence[RiskFlag]:
    """The flags of one source and kind on an enterprise still valid at ``at``."""
    rows = session.execute(
        select(RiskFlag).where(
            RiskFlag.subject_kind == "enterprise",
            RiskFlag.subject_key == code,
            RiskFlag.source == source,
            RiskFlag.kind == kind,
        )
    ).scalars()
    return [f for f in rows if f.valid_to is None or f.valid_to > at]


def add(session: Session, flag: RiskFlag) -> RiskFlag:
    session.add(flag)
    session.flush()
    return flag
