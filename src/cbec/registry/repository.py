"""Queries of the registry: enterprises by code, USCC, role and status; their API keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cbec.store.models import ApiCredential, Enterprise, EnterpriseRole
from cbec.store.models.enterprise import SignatureKey

#: Values per ``IN (...)``: well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def by_code(session: Session, customs_code: str) -> Enterprise | None:
    """The enterprise filed under ``customs_code``, if any."""
    return session.execute(
        select(Enterprise).where(Enterprise.customs_code == customs_code)
    ).scalar_one_or_none()


def by_uscc(session: Session, uscc: str) -> Enterprise | None:
    """The enterprise filed with unified social credit code ``uscc``, if any."""
    return session.execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalar_one_or_none()


def by_codes(session: Session, codes: Iterable[str]) -> dict[str, Enterprise]:
    """The filed enterprises among ``codes``, by customs code."""
    found: dict[str, Enterprise] = {}
    for chunk in _chunks(codes):
        rows = session.execute(select(Enterprise).where(Enterprise.customs_code.in_(chunk)))
        found.update((e.customs_code, e) for e in rows.scalars())
    return found


def by_usccs(session: Session, usccs: Iterable[str]) -> dict[str, Enterprise]:
    """The filed enterprises among ``usccs``, by USCC."""
    found: dict[str, Enterprise] = {}
    for chunk in _chunks(usccs):
        rows = session.execute(select(Enterprise).where(Enterprise.uscc.in_(chunk)))
        found.update((e.uscc, e) for e in rows.scalars())
    return found


def search(
    session: Session,
    *,
    role: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Enterprise]:
    """Enterprises holding ``role`` and in ``status`` (either may be None), by customs code."""
    query = select(Enterprise).order_by(Enterprise.customs_code)
    if role is not None:
        query = query.where(
            Enterprise.id.in_(
                select(EnterpriseRole.enterprise_id).where(EnterpriseRole.role == role)
            )
        )
    if status is not None:
        query = query.where(Enterprise.status == status)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return session.execute(query).scalars().all()


def keys_of(session: Session, enterprise_id: int) -> Sequence[ApiCredential]:
    """Every API key of an enterprise, live and revoked, oldest first."""
    return (
        session.execute(
            select(ApiCredential)
            .where(ApiCredential.enterprise_id == enterprise_id)
            .order_by(ApiCredential.created_at, ApiCredential.id)
        )
        .scalars()
        .all()
    )


def key_of(session: Session, enterprise_id: int, key_id: str) -> ApiCredential | None:
    """The key ``key_id`` if it belongs to the enterprise."""
    return session.execute(
        select(ApiCredential).where(
            ApiCredential.enterprise_id == enterprise_id, ApiCredential.key_id == key_id
        )
    ).scalar_one_or_none()


def live_keys(session: Session, enterprise_id: int) -> Sequence[ApiCredential]:
    """The keys of an enterprise that are not revoked."""
    return (
        session.execute(
            select(ApiCredential).where(
                ApiCredential.enterprise_id == enterprise_id, ApiCredential.revoked_at.is_(None)
            )
        )
        .scalars()
        .all()
    )


def live_key_counts(session: Session, enterprise_ids: Iterable[int]) -> dict[int, int]:
    """How many unrevoked keys each of ``enterprise_ids`` has (absent: none)."""
    ids = sorted(set(enterprise_ids))
    counts: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(ApiCredential.enterprise_id, func.count())
            .where(
                ApiCredential.enterprise_id.in_(ids[start : start + _CHUNK]),
                ApiCredential.revoked_at.is_(None),
            )
            .group_by(ApiCredential.enterprise_id)
        )
        counts.update((enterprise_id, count) for enterprise_id, count in rows)
    return counts


def signature_key(session: Session, enterprise_id: int, key_name: str) -> SignatureKey | None:
    return session.scalars(
        select(SignatureKey).where(
            SignatureKey.enterprise_id == enterprise_id, SignatureKey.key_name == key_name
        )
    ).first()


def signature_keys_of(session: Session, enterprise_id: int) -> Sequence[SignatureKey]:
    return session.scalars(
        select(SignatureKey)
        .where(SignatureKey.enterprise_id == enterprise_id)
        .order_by(SignatureKey.created_at, SignatureKey.id)
    ).all()


def live_signature_keys(
    session: Session, enterprise_ids: Iterable[int]
) -> dict[int, list[SignatureKey]]:
    """Unrevoked signature keys by enterprise id."""
    ids = list(set(enterprise_ids))
    out: dict[int, list[SignatureKey]] = {i: [] for i in ids}
    if not ids:
        return out
    for key in session.scalars(
        select(SignatureKey).where(
            SignatureKey.enterprise_id.in_(ids), SignatureKey.revoked_at.is_(None)
        )
    ):
        out[key.enterprise_id].append(key)
    return out
