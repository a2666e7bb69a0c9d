"""``cbec bench ingest``: parse + validate + persist throughput, against the raw lxml floor.

All rates are measured on messages already in memory (disk reads are not timed), in one
run, so the ratios between them are what to compare on a noisy machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cbec.config import tune_gc
from cbec.intake.prepare import Prepared, Rejected, prepare_for_transfer, prepare_many
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.store import make_engine, make_session_factory, upgrade

Item = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class Rate:
    """One measured configuration."""

    name: str
    messages: int
    seconds: float
    accepted: int = 0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def load_day(folder: Path) -> tuple[dict[str, object], list[Item]]:
    """The registry document and every message (name order = arrival order) of a day."""
    registry = json.loads((folder / "registry.json").read_text(encoding="utf-8"))
    messages = sorted((folder / "messages").glob("*.xml"))
    return registry, [(p.name, p.read_bytes()) for p in messages]


def raw_parse(items: list[Item]) -> Rate:
    """The floor: lxml parsing each message into a tree, nothing else."""
    started = time.perf_counter()
    for _, data in items:
        etree.fromstring(data)
    return Rate("raw lxml parse (floor)", len(items), time.perf_counter() - started)


def parse_validate(items: list[Item], batch_size: int = 1000) -> Rate:
    """Parsing + validation against the models + canonical form, no store: in batches of
    ``batch_size``, each dropped once made, as intake takes them (holding a whole day of
    validated messages at once measured the collector walking them, at half the rate)."""
    started = time.perf_counter()
    for chunk in _chunks(items, batch_size):
        prepare_many(chunk)
    return Rate("parse + validate (no store)", len(items), time.perf_counter() - started)


def _chunks(items: list[Item], size: int) -> Iterator[list[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Parsers:
    """The parsing processes of a parallel run, started and warmed up (each has imported
    cbec) before the clock starts, as in a running service; none when ``workers`` is 0."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def __enter__(self) -> Parsers:
        if self.workers > 0:
            self._pool = get_context("spawn").Pool(self.workers, initializer=tune_gc)
            self._pool.map(prepare_for_transfer, [[] for _ in range(self.workers)], chunksize=1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()

    def batches(self, items: list[Item], batch_size: int) -> Iterator[list[Prepared | Rejected]]:
        """``items`` prepared in batches of ``batch_size``, in order."""
        chunks = list(_chunks(items, batch_size))
        if self._pool is None:  # parse in the writing process
            for chunk in chunks:
                yield prepare_many(chunk)
            return
        yield from self._pool.imap(prepare_for_transfer, chunks)


def fresh_database(url: str) -> str:
    """For PostgreSQL, (re)create a dedicated benchmark database next to ``url``'s and
    return its URL; for SQLite, remove the file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        name = "cbec_bench"
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


def ingest_rate(
    name: str,
    url: str,
    registry: dict[str, object],
    items: list[Item],
    *,
    batch_size: int,
    workers: int,
) -> Rate:
    """Parse + validate + persist every message into a fresh store at ``url``."""
    engine = make_engine(fresh_database(url))
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        import_registry(session, registry)
        session.commit()
    accepted = 0
    with Parsers(workers) as parsers, factory() as session:
        started = time.perf_counter()
        intake = Intake(session, [])  # intake alone: clearance is `cbec bench clearance`
        for batch in parsers.batches(items, batch_size):
            outcomes = intake.submit(batch)
            session.commit()
            accepted += sum(o.accepted for o in outcomes)
        seconds = time.perf_counter() - started
    engine.dispose()
    return Rate(name, len(items), seconds, accepted)
