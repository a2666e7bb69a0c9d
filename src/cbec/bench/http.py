"""``cbec bench http``: a bounded load test of the HTTP front door, over loopback.

A generated day is filed in a fresh store, ``cbec serve`` runs in a child process, and the
day's first messages are posted by ``concurrency`` client threads, each message once, in
arrival order per thread. Printed: messages per second sustained, p50/p99 request latency,
and every status seen (503 is back-pressure: the message was not stored and is sent again,
as a real sender would after ``Retry-After``; a transport error or a 5xx other than 503 is
a failure). Afterwards the store must hold every message answered as new, exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

import cbec
from cbec.bench.ingest import Item, fresh_database
from cbec.catalog import service as catalog_service
from cbec.intake.prepare import cop_code_hint
from cbec.registry.service import import_registry
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import InboundMessage


@dataclass(slots=True)
class LoadResult:
    name: str
    messages: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    failures: int = 0
    new: int = 0
    stored: int = 0
    #: API worker processes of the server (``cbec serve --workers``)
    api_workers: int = 1
    #: (sender, content) pairs stored more than once (must be 0)
    doubled: int = 0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sender_of(data: bytes) -> str:
    """The BaseTransfer/copCode of a message (whose key signs its request)."""
    code = cop_code_hint(data)
    if code is None:
        raise ValueError("message names no copCode")
    return code


@dataclass
class Server:
    """``cbec serve`` in a child process on the store at ``url`` (for load and crash tests),
    started with the same code as this process and ``env`` added to its environment."""

    url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    #: uvicorn worker processes (``cbec serve --workers``)
    workers: int = 1

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        """Start it and wait until ``/healthz`` answers (RuntimeError if it does not)."""
        env = {
            **os.environ,
            "CBEC_DATABASE_URL": self.url,
            "PYTHONPATH": str(Path(cbec.__file__).parents[1]),
            **self.env,
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [sys.executable, "-m", "cbec.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", str(self.workers)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cbec serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    if self.workers > 1:
                        # the first worker answers; give the others time to import the app
                        # so that the load meets all of them
                        time.sleep(2.0 + 0.5 * self.workers)
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"cbec serve did not come up in {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def load(
    name: str,
    url: str,
    registry: dict[str, object],
    items: list[Item],
    *,
    concurrency: int,
    max_inflight: int,
    log: Path,
    api_workers: int = 1,
) -> LoadResult:
    """Post ``items`` to a fresh ``cbec serve`` on ``url``'s store with ``concurrency``
    threads; see the module text."""
    url = fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        catalog_service.seed(session)
        tokens = import_registry(session, registry).tokens()
        session.commit()
    server = Server(
        url,
        log,
        env={"CBEC_MAX_INFLIGHT_MESSAGES": str(max_inflight), "CBEC_LOG_LEVEL": "WARNING"},
        workers=api_workers,
    )
    server.start()
    base = server.base
    result = LoadResult(name, len(items), 0.0, api_workers=api_workers)
    lock = threading.Lock()
    try:

        def worker(share: list[Item]) -> None:
            with httpx.Client(timeout=60) as client:
                for _name, data in share:
                    headers = {
                        "Authorization": f"Bearer {tokens[sender_of(data)]}",
                        "Content-Type": "application/xml",
                    }
                    while True:
                        started = time.perf_counter()
                        try:
                            response = client.post(
                                f"{base}/api/v1/messages", content=data, headers=headers
                            )
                        except httpx.TransportError:
                            with lock:
                                result.failures += 1
                            break
                        elapsed = (time.perf_counter() - started) * 1000
                        with lock:
                            result.statuses[response.status_code] += 1
                            result.latencies_ms.append(elapsed)
                        if response.status_code == 503:
                            with lock:
                                result.retries += 1
                            time.sleep(float(response.headers.get("Retry-After", "1")) / 10)
                            continue
                        if response.status_code >= 500:
                            with lock:
                                result.failures += 1
                        elif response.status_code == 200:
                            body = response.json()
                            if body["accepted"] and not body["duplicate"]:
                                with lock:
                                    result.new += 1
                        break

        shares = [items[k::concurrency] for k in range(concurrency)]
        threads = [threading.Thread(target=worker, args=(s,)) for s in shares]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result.seconds = time.perf_counter() - started
    finally:
        server.stop()
    with factory() as session:
        result.stored = int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
        result.doubled = len(
            session.execute(
                select(InboundMessage.sender_code, InboundMessage.content_hash)
                .group_by(InboundMessage.sender_code, InboundMessage.content_hash)
                .having(func.count() > 1)
            ).all()
        )
    engine.dispose()
    return result
