"""The figures of the monitoring screen, kept up to date cheaply.

The lists by state are one grouped count over the status index at each refresh (but the
lists released: the release events of their histories, so that a list released and then
closed still counts). Everything else comes from tables that only grow (messages, dead
letters, declaration events, lists, tax bills) and is kept by a :class:`Tally`: the rows
up to a *settled* id are aggregated once and kept; the rows above it (the last few
seconds) are aggregated afresh at each refresh. The settled id trails the largest id by
:attr:`Tally.settle_seconds`, so that a transaction that took an id early but committed
late is still counted.

One :class:`Monitor` per app computes at most one snapshot per :attr:`Monitor.interval`,
however many screens listen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cbec.clearance.states import DETAINED
from cbec.messages.receipts import (
    ACCEPTED,
    APPROVED,
    CLOSED,
    INSPECTION,
    MANUAL_REVIEW,
    REJECTED,
    RETURNED,
)
from cbec.store.models import DeadLetter, Declaration, DeclarationEvent, InboundMessage, TaxBill
from cbec.web import queries
from cbec.web.provinces import province_name

#: Most and fewest minutes shown on the throughput chart.
THROUGHPUT_MINUTES = 60
MIN_MINUTES = 15
#: Enterprises shown in each top list.
TOP = 8
#: Seconds between two looks for the risk package's rule hits, until they exist.
RISK_LOOK_SECONDS = 30.0

log = logging.getLogger("cbec.web")

Aggregate = dict[Any, Any]


def _add(into: Aggregate, more: Aggregate) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0) + value


@dataclass
class Tally:
    """Aggregates of a table that only grows, over the id windows ``lo < id <= hi``.

    ``parts`` names each aggregate and the query that computes it over a window; each
    returns a dict of keys to numbers (added key by key).
    """

    id_column: Any
    parts: dict[str, Callable[[Session, int, int | None], Aggregate]]
    settle_seconds: float = 10.0
    settled_id: int = 0
    settled: dict[str, Aggregate] = field(default_factory=dict)
    #: (monotonic time, largest id seen then), oldest first
    seen: deque[tuple[float, int]] = field(default_factory=deque)
    primed: bool = False

    def refresh(self, session: Session, now: float) -> dict[str, Aggregate]:
        """The aggregates of the whole table as ``session`` sees it."""
        top = queries.max_id(session, self.id_column)
        if top < self.settled_id:
            # The table was emptied (a new demo day in the same store): start again.
            self.settled_id, self.settled, self.primed = 0, {}, False
            self.seen.clear()
        if not self.primed:
            # What was there when the screen started is taken as committed.
            self._settle(session, top)
            self.primed = True
        self.seen.append((now, top))
        boundary = self.settled_id
        while self.seen and self.seen[0][0] <= now - self.settle_seconds:
            boundary = max(boundary, self.seen.popleft()[1])
        if boundary > self.settled_id:
            self._settle(session, boundary)
        result: dict[str, Aggregate] = {}
        for name, query in self.parts.items():
            merged = dict(self.settled.get(name, {}))
            if top > self.settled_id:
                _add(merged, query(session, self.settled_id, None))
            result[name] = merged
        return result

    def _settle(self, session: Session, upto: int) -> None:
        if upto <= self.settled_id:
            return
        for name, query in self.parts.items():
            _add(self.settled.setdefault(name, {}), query(session, self.settled_id, upto))
        self.settled_id = upto


def _messages(session: Session, lo: int, hi: int | None) -> Aggregate:
    out: Aggregate = {}
    for message_type, minute, n in queries.messages_window(session, lo, hi):
        out[("type", message_type)] = out.get(("type", message_type), 0) + n
        out[("minute", minute)] = out.get(("minute", minute), 0) + n
    return out


def _tax(session: Session, lo: int, hi: int | None) -> Aggregate:
    bills, total = queries.tax_window(session, lo, hi)
    return {"bills": bills, "total": total}


def _lists_by_state(counts: dict[tuple[int, bool], int], released: int) -> dict[str, int]:
    """The lists tiles: each state's current count, but ``released`` (the lists ever
    released, from their histories): a released list later closed by a cancellation or a
    return was released all the same, and the figure must not shrink when it moves on."""
    by_status: Counter[int] = Counter()
    awaiting = 0
    for (status, waiting), n in counts.items():
        by_status[status] += n
        if status == ACCEPTED and waiting:
            awaiting += n
    return {
        "accepted": sum(by_status.values()),
        "awaiting": awaiting,
        "rejected": by_status[REJECTED],
        "review": by_status[MANUAL_REVIEW],
        "approved": by_status[APPROVED],
        "inspection": by_status[INSPECTION],
        "released": released,
        "detained": sum(by_status[s] for s in DETAINED),
        "returned": by_status[RETURNED],
        "closed": by_status[CLOSED],
    }


def _minutes_ending(last: datetime, count: int) -> list[str]:
    return [
        (last - timedelta(minutes=count - 1 - i)).strftime("%Y-%m-%d %H:%M") for i in range(count)
    ]


def throughput(
    messages: dict[str, int], decisions: dict[str, int], now: datetime
) -> dict[str, list[Any]]:
    """Messages and decisions per minute, ending at the latest minute that saw traffic (now,
    while traffic flows; a quiet screen keeps showing the last burst) and reaching back to
    the first minute of traffic within :data:`THROUGHPUT_MINUTES`, but never fewer than
    :data:`MIN_MINUTES`. Labels are HH:MM in Beijing time.

    >>> t = throughput(
    ...     {"2026-11-27 10:00": 5}, {"2026-11-27 10:00": 2}, datetime(2026, 11, 27, 12, tzinfo=UTC)
    ... )
    >>> t["minutes"][-1], t["messages"][-1], t["decisions"][-1], len(t["minutes"])
    ('18:00', 5, 2, 15)
    """
    active = sorted({*messages, *decisions})
    latest = active[-1] if active else now.strftime("%Y-%m-%d %H:%M")
    last = datetime.strptime(latest, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    span = MIN_MINUTES
    if active:
        first = datetime.strptime(active[0], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        span = int((last - first).total_seconds() // 60) + 3
    minutes = _minutes_ending(last, max(MIN_MINUTES, min(THROUGHPUT_MINUTES, span)))
    beijing = timedelta(hours=8)
    return {
        "minutes": [
            (datetime.strptime(m, "%Y-%m-%d %H:%M") + beijing).strftime("%H:%M") for m in minutes
        ],
        "messages": [messages.get(m, 0) for m in minutes],
        "decisions": [decisions.get(m, 0) for m in minutes],
    }


def _top(counts: dict[str, int]) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return [{"code": code, "name": code, "count": n} for code, n in ranked]


class Monitor:
    """Computes the snapshot the monitoring screen shows; one per app, shared by every
    screen that listens."""

    def __init__(self, session_factory: sessionmaker[Session], interval: float = 2.0) -> None:
        self.session_factory = session_factory
        #: seconds between two refreshes (and between two events of a stream)
        self.interval = interval
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] | None = None
        self._computed = 0.0
        self._risk_checked = -1e9
        self.risk: Tally | None = None
        self.messages = Tally(InboundMessage.id, {"messages": _messages})
        self.refused = Tally(
            DeadLetter.id, {"refused": lambda s, lo, hi: {"n": queries.refused_window(s, lo, hi)}}
        )
        self.events = Tally(
            DeclarationEvent.id,
            {
                "decisions": queries.decisions_by_minute,
                "clearance": queries.clearance_times,
                "provinces": queries.releases_by_province,
                "stops": queries.stops_by_enterprise,
            },
        )
        self.lists = Tally(Declaration.id, {"volume": queries.lists_by_enterprise})
        self.tax = Tally(TaxBill.id, {"tax": _tax})

    def snapshot(self) -> dict[str, Any]:
        """The current figures (computed at most once per :attr:`interval`)."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or now - self._computed >= self.interval:
                with self.session_factory() as session:
                    self._snapshot = self.compute(session, now)
                    session.rollback()
                self._computed = now
            return self._snapshot

    def _risk(self, session: Session, now: float) -> dict[str, Aggregate] | None:
        """Rule hits by rule and by enterprise, once the risk package stores them (looked
        for every :data:`RISK_LOOK_SECONDS` until then)."""
        if self.risk is None:
            if now - self._risk_checked < RISK_LOOK_SECONDS:
                return None
            self._risk_checked = now
            if not queries.risk_hits_ready(session):
                return None
            self.risk = Tally(
                queries.risk_hit_id(),
                {"rules": queries.hits_by_rule, "enterprises": queries.hits_by_enterprise},
            )
        try:
            return self.risk.refresh(session, now)
        except SQLAlchemyError:
            # A table of another package changed under the screen: drop the panel, look
            # again later.
            log.warning("risk hits unreadable; the panel is hidden", exc_info=True)
            session.rollback()
            self.risk = None
            return None

    def compute(self, session: Session, now: float) -> dict[str, Any]:
        messages = self.messages.refresh(session, now)["messages"]
        refused = self.refused.refresh(session, now)["refused"].get("n", 0)
        events = self.events.refresh(session, now)
        volume = self.lists.refresh(session, now)["volume"]
        tax = self.tax.refresh(session, now)["tax"]
        by_type = {k[1]: v for k, v in messages.items() if k[0] == "type"}
        per_minute = {k[1]: v for k, v in messages.items() if k[0] == "minute"}
        risk = self._risk(session, now)
        hits = risk["enterprises"] if risk and risk["enterprises"] else None
        top_volume = _top(volume)
        top_hits = _top(hits if hits is not None else events["stops"])
        names = queries.enterprise_names(session, [e["code"] for e in top_volume + top_hits])
        for entry in top_volume + top_hits:
            entry["name"] = names.get(entry["code"], entry["code"])
        clearance = events["clearance"]
        clock = datetime.now(UTC)
        return {
            "at": clock.isoformat(timespec="seconds"),
            "messages": {
                "received": sum(by_type.values()) + refused,
                "accepted": sum(by_type.values()),
                "refused": refused,
                "byType": dict(sorted(by_type.items())),
            },
            # every release event (a list is released once), whatever its province: the
            # same count as the map of releases and the tax bills beside it
            "lists": _lists_by_state(
                queries.status_counts(session), sum(events["provinces"].values())
            ),
            "throughput": throughput(per_minute, events["decisions"], clock),
            "clearanceTime": {
                "buckets": list(queries.CLEARANCE_LABELS),
                "counts": [clearance.get(i, 0) for i in range(len(queries.CLEARANCE_LABELS))],
            },
            "provinces": [
                {"code": code, "name": province_name(code), "value": n}
                for code, n in sorted(events["provinces"].items())
            ],
            "topVolume": top_volume,
            "topHits": top_hits,
            #: what topHits counts: rule hits once the risk package records them, else
            #: the lists the checks or sampling stopped
            "topHitsOf": "rule hits" if hits is not None else "lists stopped",
            "tax": {
                "bills": int(tax.get("bills", 0)),
                "total": str(Decimal(tax.get("total", 0)).quantize(Decimal("0.01"))),
            },
            "riskHits": None
            if risk is None
            else [
                {"rule": rule, "count": n}
                for rule, n in sorted(risk["rules"].items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            ],
        }
