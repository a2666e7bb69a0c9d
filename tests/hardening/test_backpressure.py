"""Back-pressure: past the bound on messages processed at once, a sender gets 503 with
Retry-After at once (nothing stored), never a timeout; sent again, the message is taken."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.backpressure import Backpressure
from cbec.bench.http import Server, sender_of
from cbec.catalog import service as catalog_service
from cbec.registry.service import import_registry
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from cbec.store.models import InboundMessage


def test_the_request_past_the_bound_is_refused_at_once() -> None:
    release = asyncio.Event()

    async def slow_app(scope, receive, send):  # type: ignore[no-untyped-def]
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Backpressure(slow_app, limit=2, retry_after=3)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://cbec") as client:
            first = asyncio.create_task(client.post("/api/v1/messages", content=b"a"))
            second = asyncio.create_task(client.post("/api/v1/messages/batch", content=b"b"))
            await asyncio.sleep(0.05)
            third = await asyncio.wait_for(client.post("/api/v1/messages", content=b"c"), 1)
            assert guard.in_flight == 2
            release.set()
            return [await first, await second, third]

    first, second, third = asyncio.run(scenario())
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 503)
    assert third.headers["Retry-After"] == "3"
    assert "nothing was stored" in third.json()["detail"]
    assert guard.in_flight == 0
    assert guard.refused == 1


def test_other_routes_are_not_bounded() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = Backpressure(app, limit=1)
    guard.in_flight = 1  # as if a message were being processed

    async def get() -> int:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://cbec") as client:
            return (await client.get("/api/v1/receipts")).status_code

    assert asyncio.run(get()) == 200


@pytest.fixture
def signed_in_day(
    tmp_path: Path, db: sessionmaker[Session]
) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    out = tmp_path / "day"
    write(generate(Options(orders=12, seed=41)), out, as_zip=False)
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    with db() as s:
        catalog_service.seed(s)
        tokens = import_registry(s, registry).tokens()
        s.commit()
    return [(p.name, p.read_bytes()) for p in sorted((out / "messages").glob("*.xml"))], tokens


def test_an_overloaded_server_says_503_and_loses_nothing(
    engine: Engine,
    db: sessionmaker[Session],
    signed_in_day: tuple[list[tuple[str, bytes]], dict[str, str]],
    tmp_path: Path,
) -> None:
    items, tokens = signed_in_day
    server = Server(
        engine.url.render_as_string(hide_password=False),
        tmp_path / "server.log",
        env={"CBEC_MAX_INFLIGHT_MESSAGES": "1"},
    )
    server.start()

    def post(item: tuple[str, bytes]) -> httpx.Response:
        _name, data = item
        headers = {
            "Authorization": f"Bearer {tokens[sender_of(data)]}",
            "Content-Type": "application/xml",
        }
        return httpx.post(
            f"{server.base}/api/v1/messages", content=data, headers=headers, timeout=30
        )

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(post, items))
        refused = [item for item, a in zip(items, answers, strict=True) if a.status_code == 503]
        assert refused, "no request was refused: the bound did not bite"
        assert {a.status_code for a in answers} <= {200, 503}
        assert all(a.headers.get("Retry-After") == "1" for a in answers if a.status_code == 503)
        taken = sum(a.status_code == 200 and _new(a) for a in answers)
        with db() as s:
            assert s.scalar(select(func.count()).select_from(InboundMessage)) == taken
        again = [post(item) for item in refused]  # one at a time: all taken now
        assert [a.status_code for a in again] == [200] * len(refused)
        with db() as s:
            stored = s.scalar(select(func.count()).select_from(InboundMessage))
        assert stored == taken + sum(_new(a) for a in again)
    finally:
        server.stop()
    print(f"back-pressure: {len(items)} at once, {len(refused)} refused with 503, taken on retry")


def _new(answer: httpx.Response) -> bool:
    """Whether an answer stored a new message (not a re-delivery, not a rejection)."""
    body = answer.json()
    return bool(body["accepted"] and not body["duplicate"])
