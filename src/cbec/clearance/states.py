"""The declaration (retail import list) state machine, matching the receipt status codes.

::

    awaiting documents --(set complete)--> checked
    120 accepted -> 100 rejected | 300 manual review | 399 approved
    300 manual review -> 399 approved | 100 rejected
    399 approved -> 500 inspection | 599 held (a risk hold) | 800 released
    500 inspection -> 800 released | 501 | 502 | 503 | 599 detained | 700 returned
    501 | 502 | 503 | 599 detained -> 800 released | 700 returned
    800 released -> 899 closed
    700 returned -> 899 closed

A list waiting for its order, payment or waybill stays at 120 with ``awaiting`` set; it is
rejected (100) with a receipt naming what is missing after the configured time. A
cancellation (CEB623) or return (CEB625) accepted for a released list closes it and restores
the buyer's quota.
"""

from __future__ import annotations

from cbec.errors import Conflict
from cbec.messages.receipts import (
    ACCEPTED,
    APPROVED,
    CLOSED,
    DETAINED_ANTI_SMUGGLING,
    DETAINED_CLEARANCE,
    DETAINED_LEGAL,
    DETAINED_OTHER,
    INSPECTION,
    MANUAL_REVIEW,
    REJECTED,
    RELEASED,
    RETURNED,
    STATUS_TEXT,
)

DETAINED = frozenset({DETAINED_CLEARANCE, DETAINED_ANTI_SMUGGLING, DETAINED_LEGAL, DETAINED_OTHER})

TRANSITIONS: dict[int, frozenset[int]] = {
    ACCEPTED: frozenset({REJECTED, MANUAL_REVIEW, APPROVED}),
    MANUAL_REVIEW: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset({INSPECTION, DETAINED_OTHER, RELEASED}),
    INSPECTION: frozenset({RELEASED, RETURNED} | DETAINED),
    DETAINED_CLEARANCE: frozenset({RELEASED, RETURNED}),
    DETAINED_ANTI_SMUGGLING: frozenset({RELEASED, RETURNED}),
    DETAINED_LEGAL: frozenset({RELEASED, RETURNED}),
    DETAINED_OTHER: frozenset({RELEASED, RETURNED}),
    RELEASED: frozenset({CLOSED}),
    RETURNED: frozenset({CLOSED}),
    REJECTED: frozenset(),
    CLOSED: frozenset(),
}

#: States that count a list against the buyer's annual quota.
COUNTS_AGAINST_QUOTA = frozenset({APPROVED, INSPECTION, RELEASED} | DETAINED)


class IllegalTransition(Conflict):
    """A state change the workflow does not allow (e.g. release a rejected list)."""


def name(status: int) -> str:
    return f"{status} {STATUS_TEXT.get(status, 'unknown')}"


def can_move(current: int, target: int) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_move(current: int, target: int) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> target`` is allowed."""
    if not can_move(current, target):
        allowed = ", ".join(name(s) for s in sorted(TRANSITIONS.get(current, frozenset())))
        raise IllegalTransition(
            f"a list at {name(current)} cannot move to {name(target)}"
            + (f"; allowed: {allowed}" if allowed else "; it is final")
        )
