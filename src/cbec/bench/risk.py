"""``cbec bench risk``: what risk control adds to clearance, per declaration.

A generated day goes through intake and clearance with the risk assessor (the features
with their aggregates, a published rule set of :data:`BENCH_RULES`, a control instruction,
shadow rules) timed around each ``assess()`` call: that is all the work risk control adds
to a decision (reads, writes, rules, hits). Two runs per store: the whole day in batches
(the file-drop path), and messages one at a time with a commit each (as over HTTP), the
latter also without risk control, for the end-to-end latency beside it. One at a time, a
verdict's time includes the writing of its records (the flush of its message); in
batches, the batch's read ahead and writes are shared out beside it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.bench.ingest import Item, Parsers
from cbec.catalog import service as catalog_service
from cbec.clearance.decision import NoRisk, RiskAssessor, RiskVerdict
from cbec.clearance.service import Clearance, Policy
from cbec.config import get_settings
from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.risk import quality
from cbec.risk import service as risk_service
from cbec.risk.assessor import RiskControl
from cbec.risk.quality import Quality
from cbec.risk.schemas import RuleSetIn
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import RuleHit

#: An analyst's rule set aimed at the simulator's fraud patterns (also the README example).
BENCH_RULES: dict[str, Any] = {
    "name": "cbec sim patterns",
    "description": "undervaluation, identity pools, new platform with captive payer, splitting",
    "rules": [
        {
            "name": "undervalued",
            "description": "unit price far under the usual price of the HS code",
            "when": {"<": [{"feature": "unit_price_ratio"}, 0.4]},
            "action": "xray",
            "score": 50,
        },
        {
            "name": "shared_consignee",
            "description": "address or phone shared by several buyers",
            "when": {
                "or": [
                    {">=": [{"feature": "address_buyers"}, 3]},
                    {">=": [{"feature": "phone_buyers"}, 3]},
                ]
            },
            "action": "open_inspection",
            "score": 60,
        },
        {
            "name": "identity_pool_clue",
            "description": "a pool of identities behind one address",
            "when": {">=": [{"feature": "address_buyers"}, 4]},
            "action": "case_clue",
            "score": 20,
        },
        {
            "name": "captive_payer",
            "description": "new platform paid through a new payment company serving it alone",
            "when": {
                "and": [
                    {"<": [{"feature": "ebp_age_days"}, 120]},
                    {"<": [{"feature": "pay_age_days"}, 120]},
                    {"<=": [{"feature": "pay_platforms"}, 1]},
                ]
            },
            "action": "xray",
            "score": 40,
        },
        {
            "name": "splitting",
            "description": "one buyer's day adds up to far more than one order",
            "when": {">=": [{"feature": "buyer_value_1d"}, 8000]},
            "action": "review",
            "score": 30,
        },
    ],
}

#: A draft run in the shadow next to the live set (its hits are recorded too).
SHADOW_RULES: dict[str, Any] = {
    "name": "shadow candidates",
    "rules": [
        {
            "name": "fast_payment",
            "when": {"<": [{"feature": "order_to_payment_min"}, 0.1]},
            "action": "review",
        },
        {
            "name": "heavy_for_value",
            "when": {">": [{"feature": "weight_per_value"}, 50]},
            "action": "xray",
        },
    ],
}


class Timed:
    """A risk assessor with a stopwatch around each verdict."""

    def __init__(self, inner: RiskAssessor) -> None:
        self.inner = inner
        self.samples: list[float] = []
        #: the same in CPU time of this process (on a busy machine, wall time also holds
        #: the moments other processes had the CPU; PostgreSQL's own work is not in it)
        self.cpu: list[float] = []
        #: time spent writing the verdicts' records when clearance flushes, in all
        self.flushing = 0.0
        #: each flush's writing of the verdicts' records: (wall ms, CPU ms)
        self.flushes: list[tuple[float, float]] = []
        #: what the verdicts set going when flushed (cases of case clues), in all
        self.following = 0.0
        #: time spent reading ahead for whole batches (prepare), in all
        self.preparing = 0.0

    def assess(self, declaration: object) -> RiskVerdict:
        started, cpu = time.perf_counter(), time.process_time()
        verdict = self.inner.assess(declaration)
        self.samples.append((time.perf_counter() - started) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        return verdict

    def prepare(self, declarations: Sequence[object]) -> None:
        started = time.perf_counter()
        self.inner.prepare(declarations)
        self.preparing += (time.perf_counter() - started) * 1000

    def flush(self) -> None:
        inner = self.inner
        if not isinstance(inner, RiskControl):
            inner.flush()
            return
        started, cpu = time.perf_counter(), time.process_time()
        inner.write_records()
        wall = (time.perf_counter() - started) * 1000
        self.flushing += wall
        self.flushes.append((wall, (time.process_time() - cpu) * 1000))
        started = time.perf_counter()
        inner.follow_up()
        self.following += (time.perf_counter() - started) * 1000

    def forget(self, declaration_id: int) -> None:
        self.inner.forget(declaration_id)

    def discard(self) -> None:
        self.inner.discard()


@dataclass(frozen=True, slots=True)
class Spread:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            return cls(0, 0.0, 0.0, 0.0)
        ordered = sorted(samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(len(ordered), statistics.median(ordered), p99, ordered[-1])


@dataclass(frozen=True, slots=True)
class RiskRun:
    name: str
    #: time inside assess(), per declaration: wall clock, and CPU time of this process
    added: Spread
    added_cpu: Spread
    #: last document in -> decision committed (one-at-a-time runs only)
    latency: Spread | None
    seconds: float
    live_hits: int
    shadow_hits: int
    #: the injected fraud caught (when the day came with its labels)
    quality: Quality | None = None
    #: the batch's read ahead (prepare), shared out over its verdicts, ms per list
    read_ahead_ms: float = 0.0
    #: the batch's writes of the verdicts' records (flush), shared out likewise
    write_ms: float = 0.0
    #: the cases opened for case clues after the verdicts, ms per verdict
    follow_up_ms: float = 0.0


def fresh_database(url: str, name: str = "cbec_bench_risk") -> str:
    """A dedicated database for this benchmark (PostgreSQL), or a removed file (SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return parsed.set(database=name).render_as_string(hide_password=False)
    if parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    return url


def _store(url: str, registry: dict[str, object], rules: bool) -> tuple[Any, sessionmaker[Session]]:
    engine = make_engine(fresh_database(url))
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        catalog_service.seed(session)
        import_registry(session, registry)
        if rules:
            bench = Actor.system("bench")
            live = risk_service.create_rule_set(
                session, RuleSetIn.model_validate(BENCH_RULES), by=bench
            )
            risk_service.publish(session, live.id, by=bench)
            shadow = risk_service.create_rule_set(
                session, RuleSetIn.model_validate(SHADOW_RULES), by=bench
            )
            risk_service.set_shadow(session, shadow.id, True, by=bench)
        session.commit()
    return engine, factory


def _hits(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        rows = {
            str(mode): int(n)
            for mode, n in session.execute(
                select(RuleHit.mode, func.count()).group_by(RuleHit.mode)
            )
        }
    return rows.get("live", 0), rows.get("shadow", 0)


def batches(
    name: str,
    url: str,
    registry: dict[str, object],
    items: list[Item],
    labels: dict[str, Any] | None = None,
) -> RiskRun:
    """The whole day in batches of 500 messages, with risk control timed; with the day's
    ``labels``, how much of its injected fraud the controls caught."""
    engine, factory = _store(url, registry, rules=True)
    started = time.perf_counter()
    with factory() as session:
        timed = Timed(RiskControl(session))
        intake = Intake(
            session, [Clearance(session, Policy.from_settings(get_settings()), assessor=timed)]
        )
        for batch in Parsers(0).batches(items, 500):
            intake.submit(batch)
            session.commit()
    seconds = time.perf_counter() - started
    live, shadow = _hits(factory)
    found = None
    if labels is not None:
        with factory() as session:
            found = quality.evaluate(session, labels)
    engine.dispose()
    return RiskRun(
        name,
        Spread.of(timed.samples),
        Spread.of(timed.cpu),
        None,
        seconds,
        live,
        shadow,
        found,
        timed.preparing / max(1, len(timed.samples)),
        timed.flushing / max(1, len(timed.samples)),
        timed.following / max(1, len(timed.samples)),
    )


def one_at_a_time(
    name: str, url: str, registry: dict[str, object], items: list[Item], *, risk: bool
) -> RiskRun:
    """Messages one at a time, each committed (as over HTTP): the time risk control adds
    to each decision, and the last-document-to-decision latency."""
    engine, factory = _store(url, registry, rules=risk)
    latencies: list[float] = []
    started = time.perf_counter()
    with factory() as session:
        timed = Timed(RiskControl(session) if risk else NoRisk())
        clearance = Clearance(session, Policy.from_settings(get_settings()), assessor=timed)
        intake = Intake(session, [clearance])
        for item in items:
            before, verdicts, flushes = clearance.decided, len(timed.samples), len(timed.flushes)
            moment = time.perf_counter()
            intake.submit(prepare_many([item]))
            session.commit()
            if clearance.decided > before:
                latencies.append((time.perf_counter() - moment) * 1000)
            if len(timed.samples) > verdicts:
                # Committed one at a time, a verdict's records (aggregates, assessment,
                # hits) are written by the flush of its own message: part of what it adds.
                written = timed.flushes[flushes:]
                timed.samples[-1] += sum(wall for wall, _cpu in written)
                timed.cpu[-1] += sum(cpu for _wall, cpu in written)
    seconds = time.perf_counter() - started
    live, shadow = _hits(factory) if risk else (0, 0)
    engine.dispose()
    added = Spread.of(timed.samples if risk else [])
    cpu = Spread.of(timed.cpu if risk else [])
    follow_up = timed.following / max(1, len(timed.samples)) if risk else 0.0
    return RiskRun(
        name, added, cpu, Spread.of(latencies), seconds, live, shadow, follow_up_ms=follow_up
    )
