"""The hash chain of the audit log, as pure functions (no store, no clock).

Each entry's hash is ``sha256(prev_hash + canonical JSON of the entry)``, hex-encoded;
the first entry's ``prev_hash`` is :data:`GENESIS`. The canonical JSON is the object
below with sorted keys, no blanks, UTF-8 (not ``\\u`` escapes), so anyone holding an
export of the log can recompute the chain with any JSON library::

    {"action": ..., "actor": ..., "actorKind": ..., "at": "2026-11-27T09:30:00.000000+00:00",
     "details": {...}, "reason": ... or null, "subjectKey": ..., "subjectKind": ...}

The row id is not hashed: the chain links rows by ``prev_hash``, not by number.

Examples
--------
>>> from datetime import UTC, datetime
>>> fields = EntryFields(
...     at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC), actor_kind="officer", actor="li.wei",
...     action="declaration.approve", subject_kind="declaration", subject_key="I0001",
...     reason=None, details={},
... )
>>> link_hash(GENESIS, fields) == link_hash(GENESIS, fields)
True
>>> len(link_hash(GENESIS, fields))
64
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be written to the audit log")


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no blanks, UTF-8 text.

    Decimals become strings (no float rounding), datetimes ISO 8601 in UTC.

    >>> canonical_json({"b": 1, "a": [Decimal("1.10"), "税"]})
    '{"a":["1.10","税"],"b":1}'
    """
    return json.dumps(
        value,
        default=_encode,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What an audit entry says, i.e. what its hash covers."""

    at: datetime
    actor_kind: str
    actor: str
    action: str
    subject_kind: str
    subject_key: str
    reason: str | None
    #: The details as a JSON-ready object (what the stored canonical text parses back to).
    details: Any

    def canonical(self) -> str:
        """The canonical JSON the hash is taken over."""
        return canonical_json(
            {
                "action": self.action,
                "actor": self.actor,
                "actorKind": self.actor_kind,
                "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
                "details": self.details,
                "reason": self.reason,
                "subjectKey": self.subject_key,
                "subjectKind": self.subject_kind,
            }
        )


def link_hash(prev_hash: str, fields: EntryFields) -> str:
    """The hash of an entry that follows the entry whose hash is ``prev_hash``."""
    return hashlib.sha256((prev_hash + fields.canonical()).encode("utf-8")).hexdigest()
