"""What the store remembers of the keys its data was made with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, UTCDateTime, utcnow


class StoreKey(Base):
    """A key's check digest (a keyed digest of a fixed text: it tells whether a process
    holds the same key, and nothing of the key), recorded the first time the store is
    opened with it."""

    __tablename__ = "store_keys"

    #: which key: ``pseudonym`` (CBEC_PSEUDONYM_KEY)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
