"""Crash safety: a simulated day is streamed over HTTP to a real ``cbec serve`` process that
is killed with SIGKILL at random moments and restarted. Afterwards every acknowledged
message is stored exactly once, every complete list has reached a decision, and a message
whose answer was lost is simply sent again (an idempotent re-delivery when it had been
stored). Loopback only, bounded in messages, kills and time."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.bench.http import Server, sender_of
from cbec.catalog import service as catalog_service
from cbec.registry.service import import_registry
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from cbec.store.models import Declaration, Document, InboundMessage, Receipt

ORDERS = 40
KILLS = 3
DEADLINE_SECONDS = 240


@pytest.fixture
def day(
    tmp_path: Path, db: sessionmaker[Session]
) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """A small simulated day filed in the test store: its messages and the senders' keys."""
    out = tmp_path / "day"
    write(generate(Options(orders=ORDERS, seed=29)), out, as_zip=False)
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    with db() as s:
        catalog_service.seed(s)
        tokens = import_registry(s, registry).tokens()
        s.commit()
    items = [(p.name, p.read_bytes()) for p in sorted((out / "messages").glob("*.xml"))]
    return items, tokens


def test_killed_server_loses_and_doubles_nothing(
    engine: Engine,
    db: sessionmaker[Session],
    day: tuple[list[tuple[str, bytes]], dict[str, str]],
    tmp_path: Path,
) -> None:
    items, tokens = day
    server = Server(engine.url.render_as_string(hide_password=False), tmp_path / "server.log")
    rng = random.Random(20261127)
    kills = 0
    lost_answers = 0
    acknowledged: dict[int, dict[str, Any]] = {}
    started = time.monotonic()

    # Kills land at random moments of the day's stream: while sending the message at each
    # of KILLS random places, within 50 ms (inside a request, its commit, or between two).
    # Placed by message rather than by the clock, so that a fast machine, which sends the
    # whole day in a second, still sees every kill (by the clock it saw two, once).
    kill_at = sorted(rng.sample(range(5, len(items) - 40), KILLS))

    def arm() -> threading.Timer:
        timer = threading.Timer(rng.uniform(0.0, 0.05), server.kill)
        timer.daemon = True
        timer.start()
        return timer

    server.start()
    timer: threading.Timer | None = None
    index = 0
    try:
        with httpx.Client(timeout=30) as client:
            while index < len(items):
                assert time.monotonic() - started < DEADLINE_SECONDS, "crash test ran too long"
                if kill_at and index >= kill_at[0]:
                    kill_at.pop(0)
                    timer = arm()
                name, data = items[index]
                headers = {
                    "Authorization": f"Bearer {tokens[sender_of(data)]}",
                    "Content-Type": "application/xml",
                }
                try:
                    response = client.post(
                        f"{server.base}/api/v1/messages", content=data, headers=headers
                    )
                except httpx.TransportError:
                    # No answer: not acknowledged. Restart and send the same message again.
                    lost_answers += 1
                    assert server.process is not None
                    server.process.wait(10)
                    kills += 1
                    server.start()
                    continue
                assert response.status_code < 500, (name, response.text)
                acknowledged[index] = response.json()
                index += 1
    finally:
        if timer is not None:
            timer.cancel()
        server.stop()

    assert kills >= 3, f"only {kills} kills happened: the test proved little"
    accepted = {i: a for i, a in acknowledged.items() if a["accepted"]}
    with db() as s:
        # 1. nothing stored twice: one inbound message per (sender, content)
        doubled = s.execute(
            select(InboundMessage.sender_code, InboundMessage.content_hash, func.count())
            .group_by(InboundMessage.sender_code, InboundMessage.content_hash)
            .having(func.count() > 1)
        ).all()
        assert doubled == []
        # 2. every acknowledged acceptance is stored, with the receipt it was told about
        stored_guids = set(s.scalars(select(InboundMessage.guid)))
        missing = [a["guid"] for a in accepted.values() if a["guid"] not in stored_guids]
        assert missing == []
        receipt_ids = {a["receiptId"] for a in acknowledged.values() if a.get("receiptId")}
        found = set(s.scalars(select(Receipt.id).where(Receipt.id.in_(receipt_ids))))
        assert found == receipt_ids
        # 3. every list whose three documents arrived has been decided
        live = {
            (d.kind, d.business_key)
            for d in s.scalars(select(Document).where(Document.deleted.is_(False)))
        }
        # a payment's key is its transaction id: find the orders paid by their rows
        paid_orders = set(
            s.scalars(
                select(Document.order_no).where(
                    Document.kind == "payment", Document.deleted.is_(False)
                )
            )
        )
        waiting = s.scalars(select(Declaration).where(Declaration.status == 120)).all()
        complete_but_waiting = [
            d.business_key
            for d in waiting
            if ("order", f"{d.ebp_code}|{d.ebc_code}|{d.order_no}") in live
            and d.order_no in paid_orders
            and ("waybill", f"{d.logistics_code}|{d.logistics_no}") in live
        ]
        assert complete_but_waiting == []
        decided = s.scalar(select(func.count()).where(Declaration.status != 120)) or 0
    assert paid_orders  # the day had payments at all
    assert decided > ORDERS // 2
    print(  # the figures for the closing note (pytest -s)
        f"crash safety: {len(items)} messages, {kills} SIGKILLs, {server.starts} starts, "
        f"{lost_answers} answers lost and re-sent "
        f"({sum(a['duplicate'] for a in acknowledged.values())} of them found stored), "
        f"{len(accepted)} accepted, "
        f"{decided} lists decided, 0 lost, 0 doubled"
    )
