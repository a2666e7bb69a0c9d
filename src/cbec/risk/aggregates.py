"""The aggregates of :mod:`cbec.risk.features` held in memory, for batch replays.

Real time keeps the same rows in ``risk_counters`` and ``risk_links``
(:class:`cbec.risk.realtime.RealTime`, which also holds a batch's own additions in memory
until clearance flushes); a replay of history in decision order through this class yields
the very feature values real time computed.
"""

from __future__ import annotations

from cbec.risk.features import Needs, Observation, Snapshot


class MemoryAggregates:
    """Counters and links in dictionaries.

    >>> from datetime import date
    >>> memory = MemoryAggregates()
    >>> memory.apply(Observation((("bl", "b", 3, 1, 500),), (("ba", "b", "a"),), date(2026, 1, 1)))
    >>> snap = memory.read(Needs((("bl", "b", 0),), (("ba", "b", "a"), ("ba", "b", "z"))))
    >>> snap.counters[("bl", "b")], snap.links[("ba", "b", "a")], snap.links[("ba", "b", "z")]
    ({3: (1, 500)}, (1, True), (1, False))
    """

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], dict[int, tuple[int, int]]] = {}
        self.links: dict[tuple[str, str], set[str]] = {}

    def read(self, needs: Needs) -> Snapshot:
        snapshot = Snapshot()
        for kind, key, since in needs.counters:
            rows = self.counters.get((kind, key), {})
            snapshot.counters[(kind, key)] = {
                b: v for b, v in rows.items() if since is None or b >= since
            }
        for kind, a, b in needs.links:
            linked = self.links.get((kind, a), set())
            snapshot.links[(kind, a, b)] = (len(linked), b in linked)
        return snapshot

    def apply(self, observation: Observation) -> None:
        for kind, key, bucket, n, cents in observation.counters:
            rows = self.counters.setdefault((kind, key), {})
            old_n, old_cents = rows.get(bucket, (0, 0))
            rows[bucket] = (old_n + n, old_cents + cents)
        for kind, a, b in observation.links:
            self.links.setdefault((kind, a), set()).add(b)
