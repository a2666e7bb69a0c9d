"""Queries of portraits: list outcomes per enterprise, flags, platform checks, ratings,
and the class rows of ``risk_enterprise_classes``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased

from cbec.messages.fields import CST
from cbec.messages.models import MESSAGE_TYPES, CEB621Message
from cbec.portrait.verification import Cleared, Filed
from cbec.store.models import (
    CatalogueItem,
    Declaration,
    DeclarationEvent,
    Document,
    Enterprise,
    EnterpriseClass,
    InboundMessage,
    PlatformCheck,
    Rating,
    RatingItem,
    RiskFlag,
)

T = TypeVar("T")
RELEASED = (800, 899)
CONSUMER_KINDS = ("dispute", "identity_misuse")


def enterprise(session: Session, code: str) -> Enterprise | None:
    return session.execute(
        select(Enterprise).where(Enterprise.customs_code == code)
    ).scalar_one_or_none()


def portrait_flags(session: Session, code: str, kind: str) -> Sequence[RiskFlag]:
    return (
        session.execute(
            select(RiskFlag).where(
                RiskFlag.source == "portrait",
                RiskFlag.kind == kind,
                RiskFlag.subject_kind == "enterprise",
                RiskFlag.subject_key == code,
            )
        )
        .scalars()
        .all()
    )


def add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


# -- platform checks ---------------------------------------------------------------------


def checks_of(session: Session, platform_code: str) -> Sequence[PlatformCheck]:
    return (
        session.execute(
            select(PlatformCheck)
            .where(PlatformCheck.platform_code == platform_code)
            .order_by(PlatformCheck.checked_on, PlatformCheck.id)
        )
        .scalars()
        .all()
    )


def check(session: Session, check_id: int) -> PlatformCheck | None:
    return session.get(PlatformCheck, check_id)


def delete(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


def orders_without_waybill(
    session: Session, platform_code: str, start: datetime, end: datetime
) -> tuple[int, int]:
    """(orders of the platform filed in [start, end), those with no waybill at all)."""
    waybill = aliased(Document)
    no_waybill = ~exists().where(
        waybill.kind == "waybill", waybill.order_no == Document.order_no, ~waybill.deleted
    )
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((no_waybill, 1), else_=0)), 0)).where(
            Document.kind == "order",
            Document.ebp_code == platform_code,
            ~Document.deleted,
            Document.created_at >= start,
            Document.created_at < end,
        )
    ).one()
    return int(row[0]), int(row[1])


def cleared_lines(
    session: Session, platform_code: str, start: datetime, end: datetime
) -> dict[Cleared, int]:
    """Lines of the platform's lists released in [start, end), counted by item number, HS
    code, name, e-commerce enterprise and (Beijing) day of release."""
    rows = session.execute(
        select(InboundMessage.message_type, InboundMessage.body, Declaration.decided_at)
        .join(Document, Document.message_id == InboundMessage.id)
        .join(Declaration, Declaration.document_id == Document.id)
        .where(
            Declaration.ebp_code == platform_code,
            Declaration.status.in_(RELEASED),
            Declaration.decided_at >= start,
            Declaration.decided_at < end,
        )
    ).all()
    counts: dict[Cleared, int] = {}
    for message_type, body, decided_at in rows:
        message = MESSAGE_TYPES[message_type].model_validate_json(body)
        if not isinstance(message, CEB621Message) or decided_at is None:
            continue
        day = decided_at.astimezone(CST).date()
        ebc = message.inventory.inventoryHead.ebcCode
        for line in message.inventory.inventoryList:
            key = Cleared(line.itemNo or None, line.gcode, line.gname, ebc, day)
            counts[key] = counts.get(key, 0) + 1
    return counts


def filed_items(session: Session, owners: Iterable[str]) -> list[Filed]:
    """The catalogue items (withdrawn ones too) filed by ``owners``."""
    rows = session.execute(
        select(CatalogueItem).where(CatalogueItem.enterprise_code.in_(sorted(set(owners))))
    ).scalars()
    return [
        Filed(r.enterprise_code, r.item_no, r.hs_code, r.filed_on, r.withdrawn_on) for r in rows
    ]


def cleared_between(session: Session, platform_code: str, start: datetime, end: datetime) -> int:
    """Lists of the platform decided in [start, end) and not rejected."""
    return int(
        session.execute(
            select(func.count()).where(
                Declaration.ebp_code == platform_code,
                Declaration.status != 100,
                Declaration.decided_at >= start,
                Declaration.decided_at < end,
            )
        ).scalar_one()
    )


# -- classes --------------------------------------------------------------------------------


def class_rows(session: Session, code: str | None = None) -> Sequence[EnterpriseClass]:
    """Class rows (oldest first), of one enterprise or all."""
    query = select(EnterpriseClass).order_by(EnterpriseClass.id)
    if code is not None:
        query = query.where(EnterpriseClass.enterprise_code == code)
    return session.execute(query).scalars().all()


# -- ratings ----------------------------------------------------------------------------------


def rating(session: Session, rating_id: int, *, for_update: bool = False) -> Rating | None:
    query = select(Rating).where(Rating.id == rating_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def ratings(session: Session, status: str | None, limit: int) -> Sequence[Rating]:
    query = select(Rating).order_by(Rating.id.desc()).limit(limit)
    if status:
        query = query.where(Rating.status == status)
    return session.execute(query).scalars().all()


def items_of(session: Session, rating_id: int) -> Sequence[RatingItem]:
    return (
        session.execute(
            select(RatingItem)
            .where(RatingItem.rating_id == rating_id)
            .order_by(RatingItem.score, RatingItem.enterprise_code)
        )
        .scalars()
        .all()
    )


def items_for(session: Session, code: str) -> Sequence[RatingItem]:
    return (
        session.execute(
            select(RatingItem).where(RatingItem.enterprise_code == code).order_by(RatingItem.id)
        )
        .scalars()
        .all()
    )


# -- evaluation -------------------------------------------------------------------------------


def declarations_with_status(session: Session, status: int) -> Sequence[Declaration]:
    return (
        session.execute(
            select(Declaration).where(Declaration.status == status).order_by(Declaration.id)
        )
        .scalars()
        .all()
    )


def declarations(session: Session) -> Sequence[Declaration]:
    return session.execute(select(Declaration).order_by(Declaration.id)).scalars().all()


def with_event(
    session: Session, ids: Sequence[int], from_status: int | None, to_status: int
) -> set[int]:
    """Of lists ``ids``, those that ever moved (from ``from_status``) to ``to_status``."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        query = select(DeclarationEvent.declaration_id).where(
            DeclarationEvent.declaration_id.in_(list(ids[start : start + 500])),
            DeclarationEvent.to_status == to_status,
        )
        if from_status is not None:
            query = query.where(DeclarationEvent.from_status == from_status)
        found.update(int(i) for i in session.execute(query).scalars())
    return found
