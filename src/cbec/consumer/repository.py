"""Queries of the consumer end: an identity's lists, disputes, opt-ins and notices."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cbec.privacy import blind_id, proof_key
from cbec.store.models import (
    ConsumerDispute,
    ConsumerDisputeList,
    Declaration,
    IdentityNotice,
    NoticeSubscription,
    RiskFlag,
)


def proves_identity(session: Session, id_number: str, name: str, phone: str) -> bool:
    """Whether a list declared under this ID number (any year, any state) names its buyer
    with exactly this name and phone: one lookup by blind index, however many lists the
    ID number has."""
    found = session.execute(
        select(Declaration.id)
        .where(
            Declaration.buyer_proof_key == proof_key(id_number, name, phone),
            Declaration.buyer_key == blind_id(id_number),
        )
        .limit(1)
    ).first()
    return found is not None


def declarations_by_invt_no(
    session: Session, id_number: str, invt_nos: Iterable[str]
) -> dict[str, Declaration]:
    """The identity's lists among ``invt_nos``, by list number."""
    wanted = list(set(invt_nos))
    if not wanted:
        return {}
    rows = session.execute(
        select(Declaration).where(
            Declaration.buyer_key == blind_id(id_number), Declaration.invt_no.in_(wanted)
        )
    ).scalars()
    return {d.invt_no: d for d in rows if d.invt_no is not None}


def dispute_states(session: Session, declaration_ids: Iterable[int]) -> dict[int, str]:
    """The status of the latest dispute of each of these lists."""
    ids = list(set(declaration_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(ConsumerDisputeList.declaration_id, ConsumerDispute.status)
        .join(ConsumerDispute, ConsumerDispute.id == ConsumerDisputeList.dispute_id)
        .where(ConsumerDisputeList.declaration_id.in_(ids))
        .order_by(ConsumerDispute.id)
    ).all()
    return {int(declaration_id): str(status) for declaration_id, status in rows}


def dispute(
    session: Session, dispute_id: int, *, for_update: bool = False
) -> ConsumerDispute | None:
    query = select(ConsumerDispute).where(ConsumerDispute.id == dispute_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def disputes(
    session: Session, status: str | None, *, limit: int = 100, after: int = 0
) -> Sequence[ConsumerDispute]:
    query = select(ConsumerDispute).where(ConsumerDispute.id > after)
    if status is not None:
        query = query.where(ConsumerDispute.status == status)
    return session.execute(query.order_by(ConsumerDispute.id).limit(limit)).scalars().all()


def dispute_lists(
    session: Session, dispute_ids: Iterable[int]
) -> dict[int, list[ConsumerDisputeList]]:
    ids = list(set(dispute_ids))
    if not ids:
        return {}
    out: dict[int, list[ConsumerDisputeList]] = {i: [] for i in ids}
    rows = session.execute(
        select(ConsumerDisputeList)
        .where(ConsumerDisputeList.dispute_id.in_(ids))
        .order_by(ConsumerDisputeList.invt_no)
    ).scalars()
    for row in rows:
        out[row.dispute_id].append(row)
    return out


def declarations_by_id(session: Session, ids: Iterable[int]) -> list[Declaration]:
    wanted = list(set(ids))
    if not wanted:
        return []
    return list(
        session.execute(
            select(Declaration).where(Declaration.id.in_(wanted)).order_by(Declaration.id)
        ).scalars()
    )


def subscription(session: Session, id_number: str) -> NoticeSubscription | None:
    return session.get(NoticeSubscription, blind_id(id_number))


def active_subscriptions(
    session: Session, id_numbers: Iterable[str]
) -> dict[str, NoticeSubscription]:
    """The active opt-ins among these ID numbers (one indexed lookup for a batch)."""
    wanted = {blind_id(i): i for i in id_numbers}
    if not wanted:
        return {}
    rows = session.execute(
        select(NoticeSubscription).where(
            NoticeSubscription.id_key.in_(list(wanted)), NoticeSubscription.active.is_(True)
        )
    ).scalars()
    return {wanted[s.id_key]: s for s in rows}


def existing_notices(session: Session, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (ID number, list key) pairs already have a notice."""
    wanted = set(pairs)
    if not wanted:
        return set()
    blinds = {blind_id(i): i for i, _ in wanted}
    rows = session.execute(
        select(IdentityNotice.id_key, IdentityNotice.business_key).where(
            IdentityNotice.id_key.in_(list(blinds)),
            IdentityNotice.business_key.in_({k for _, k in wanted}),
        )
    ).all()
    return {(blinds[str(i)], str(k)) for i, k in rows} & wanted


def notices(session: Session, id_number: str, *, limit: int = 200) -> Sequence[IdentityNotice]:
    return (
        session.execute(
            select(IdentityNotice)
            .where(IdentityNotice.id_key == blind_id(id_number))
            .order_by(IdentityNotice.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def declarations_by_key(session: Session, keys: Iterable[str]) -> dict[str, Declaration]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = session.execute(
        select(Declaration).where(Declaration.business_key.in_(wanted))
    ).scalars()
    return {d.business_key: d for d in rows}


def flags(session: Session, ids: Iterable[int]) -> list[RiskFlag]:
    wanted = list(set(ids))
    if not wanted:
        return []
    return list(session.execute(select(RiskFlag).where(RiskFlag.id.in_(wanted))).scalars())


#: First key of the advisory locks on an identity's disputes (pg_advisory_xact_lock(int,
#: int)), apart from the audit chain's and the orders' locks.
DISPUTE_LOCK_CLASS = 0x0D15


def lock_disputes(session: Session, id_number: str) -> None:
    """Until this transaction ends, hold the right to file disputes of this identity, so
    that two requests at once (a double click) cannot both find a list undisputed and
    both dispute it. PostgreSQL: an advisory lock on the identity. SQLite: the database
    write lock, taken by a statement that writes no row; it must come before this
    transaction reads anything (one writer at a time there, so it is held only briefly)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = int.from_bytes(
            hashlib.blake2b(blind_id(id_number).encode(), digest_size=4).digest(),
            "big",
            signed=True,
        )
        session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, :key)"),
            {"cls": DISPUTE_LOCK_CLASS, "key": key},
        )
    elif dialect == "sqlite":
        session.execute(text("UPDATE consumer_disputes SET id = id WHERE 0"))
