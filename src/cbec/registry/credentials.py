"""API keys for enterprises: ``cbec_<key id>_<secret>``; the secret is shown once and only
its SHA-256 is kept. (A fast hash is right for a 256-bit random secret: there is nothing to
brute-force, unlike a password.)"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.errors import Unauthorized
from cbec.store.models import ApiCredential, Enterprise

PREFIX = "cbec"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A newly issued key: ``token`` is shown to the enterprise once and never stored."""

    key_id: str
    token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue_key(session: Session, enterprise: Enterprise) -> IssuedKey:
    """Create a credential for ``enterprise``; the caller shows ``token`` once."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiCredential(enterprise_id=enterprise.id, key_id=key_id, secret_hash=_hash(secret))
    )
    session.flush()
    return IssuedKey(key_id=key_id, token=f"{PREFIX}_{key_id}_{secret}")


def authenticate(session: Session, token: str) -> Enterprise:
    """The enterprise a token belongs to; :class:`Unauthorized` if it is not a live key."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unauthorized("malformed API key: expected cbec_<id>_<secret>")
    _, key_id, secret = parts
    row = session.execute(
        select(ApiCredential).where(ApiCredential.key_id == key_id)
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked API key")
    try:
        digest = _hash(secret)
    except UnicodeEncodeError:
        raise Unauthorized("unknown or revoked API key") from None
    if not hmac.compare_digest(digest, row.secret_hash):
        raise Unauthorized("unknown or revoked API key")
    enterprise = session.get(Enterprise, row.enterprise_id)
    if enterprise is None:  # pragma: no cover - prevented by the foreign key
        raise Unauthorized("unknown or revoked API key")
    return enterprise
