"""``cbec bench queue``: a day's messages through NATS JetStream and N ``cbec worker``
processes into a fresh store, over loopback. The day is published first (timed apart);
then the workers start and the clock runs from the first acknowledgement to the moment
nothing is waiting or unacknowledged. Afterwards the store must hold each accepted message
once."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

import cbec
from cbec.bench.ingest import Item, fresh_database
from cbec.catalog import service as catalog_service
from cbec.queue import broker
from cbec.queue.names import Names
from cbec.queue.sender import send
from cbec.registry.service import import_registry
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import InboundMessage


@dataclass(slots=True)
class QueueResult:
    name: str
    workers: int
    messages: int
    publish_seconds: float
    seconds: float
    stored: int
    doubled: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


async def _state(url: str, names: Names) -> tuple[int, int, int]:
    nc = await broker.connect(url)
    try:
        info = await nc.jetstream().consumer_info(names.stream, names.consumer)
        acked = info.ack_floor.stream_seq if info.ack_floor else 0
        return info.num_pending or 0, info.num_ack_pending or 0, acked or 0
    finally:
        await nc.close()


async def _declare(url: str, names: Names, ack_wait: float) -> None:
    nc = await broker.connect(url)
    try:
        js = nc.jetstream()
        await broker.ensure_streams(js, names)
        await broker.ensure_consumer(js, names, ack_wait)
    finally:
        await nc.close()


async def _delete(url: str, names: Names) -> None:
    nc = await broker.connect(url)
    try:
        await broker.delete_all(nc.jetstream(), names)
    finally:
        await nc.close()


def run(
    name: str,
    url: str,
    nats_url: str,
    registry: dict[str, object],
    items: list[Item],
    *,
    workers: int,
    batch: int,
    log: Path,
    timeout: float = 600,
) -> QueueResult:
    """Publish ``items`` and process them with ``workers`` worker processes."""
    url = fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        catalog_service.seed(session)
        tokens = import_registry(session, registry).tokens()
        session.commit()
    suffix = secrets.token_hex(4)
    names = Names(f"cbecbench{suffix}", f"BENCH_{suffix}_IN", f"BENCH_{suffix}_RC", "bench")
    asyncio.run(_declare(nats_url, names, 30.0))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        sent = asyncio.run(send(nats_url, names, items, tokens.get))
        publish_seconds = time.perf_counter() - started
        env = {
            **os.environ,
            "CBEC_DATABASE_URL": url,
            "CBEC_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(Path(cbec.__file__).parents[1]),
        }
        with log.open("ab") as out:
            for _ in range(workers):
                processes.append(
                    subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                        [
                            sys.executable,
                            "-m",
                            "cbec.cli",
                            "worker",
                            "--url",
                            nats_url,
                            "--prefix",
                            names.prefix,
                            "--stream",
                            names.stream,
                            "--receipts-stream",
                            names.receipts_stream,
                            "--consumer",
                            names.consumer,
                            "--batch",
                            str(batch),
                        ],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        deadline = time.monotonic() + timeout
        first: float | None = None
        while time.monotonic() < deadline:
            pending, unacked, acked = asyncio.run(_state(nats_url, names))
            if first is None and acked > 0:
                first = time.perf_counter()
            if pending == 0 and unacked == 0 and acked > 0:
                break
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a worker exited; see {log}")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"the queue did not drain in {timeout:.0f} s; see {log}")
        seconds = time.perf_counter() - (first or started)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        asyncio.run(_delete(nats_url, names))
    with factory() as session:
        stored = int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
        doubled = len(
            session.execute(
                select(InboundMessage.sender_code, InboundMessage.content_hash)
                .group_by(InboundMessage.sender_code, InboundMessage.content_hash)
                .having(func.count() > 1)
            ).all()
        )
    engine.dispose()
    messages = len(set(sent.sequences.values()))
    return QueueResult(name, workers, messages, publish_seconds, seconds, stored, doubled)
