"""``cbec bench clearance``: a generated day through intake and clearance.

Two measurements per store, in one run:

* throughput: messages in batches (the file-drop path), declarations decided per second;
* latency: messages one at a time, each committed as the API does, timing from the moment
  a list's last document is handed in to the commit of its decision receipt (p50 / p99).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from cbec.bench.ingest import Item, Parsers, fresh_database
from cbec.catalog import service as catalog_service
from cbec.clearance.service import Clearance, Policy
from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import Declaration


@dataclass(frozen=True, slots=True)
class ClearanceRate:
    name: str
    messages: int
    declarations: int
    seconds: float
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.declarations / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class Latency:
    name: str
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def _store(url: str, registry: dict[str, object]) -> tuple[object, object]:
    engine = make_engine(fresh_database(url))
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        catalog_service.seed(session)
        import_registry(session, registry)
        session.commit()
    return engine, factory


def _statuses(factory: object) -> dict[int, int]:
    from sqlalchemy import func, select

    with factory() as session:  # type: ignore[operator]
        rows = session.execute(
            select(Declaration.status, func.count()).group_by(Declaration.status)
        ).all()
    return {int(s): int(n) for s, n in rows}


def throughput(
    name: str,
    url: str,
    registry: dict[str, object],
    items: list[Item],
    *,
    batch_size: int,
    workers: int,
) -> ClearanceRate:
    engine, factory = _store(url, registry)
    with Parsers(workers) as parsers, factory() as session:  # type: ignore[operator]
        started = time.perf_counter()
        clearance = Clearance(session, Policy())
        intake = Intake(session, [clearance])
        for batch in parsers.batches(items, batch_size):
            intake.submit(batch)
            session.commit()
        decided = clearance.decided
        seconds = time.perf_counter() - started
    statuses = _statuses(factory)
    engine.dispose()  # type: ignore[attr-defined]
    return ClearanceRate(name, len(items), decided, seconds, statuses)


def latency(name: str, url: str, registry: dict[str, object], items: list[Item]) -> Latency:
    """One message at a time, parsed, accepted, cleared and committed, as over HTTP."""
    engine, factory = _store(url, registry)
    samples: list[float] = []
    with factory() as session:  # type: ignore[operator]
        clearance = Clearance(session, Policy())
        intake = Intake(session, [clearance])
        for item in items:
            before = clearance.decided
            started = time.perf_counter()
            intake.submit(prepare_many([item]))
            session.commit()
            if clearance.decided > before:
                samples.append((time.perf_counter() - started) * 1000)
    engine.dispose()  # type: ignore[attr-defined]
    if not samples:
        return Latency(name, 0, 0.0, 0.0, 0.0)
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Latency(name, len(samples), statistics.median(ordered), p99, ordered[-1])
