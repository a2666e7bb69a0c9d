"""Queue tests run against the real nats-server (JetStream) at CBEC_QUEUE_URL's default,
127.0.0.1:4222, and are skipped, saying why, when it does not answer. Each test gets its
own subjects, streams and consumer (a random suffix), removed afterwards, so that runs at
the same time on one server never see each other's messages."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from cbec.config import Settings
from cbec.queue import broker
from cbec.queue.names import Names

NATS_URL = Settings().queue_url


async def _probe(url: str) -> None:
    nc = await broker.connect(url, timeout=1.0)
    try:
        await nc.jetstream().account_info()
    finally:
        await nc.close()


@pytest.fixture(scope="session")
def nats_url() -> str:
    try:
        asyncio.run(_probe(NATS_URL))
    except (broker.Unreachable, nats.errors.Error, OSError, TimeoutError) as exc:
        pytest.skip(
            f"NATS JetStream at {NATS_URL} is unreachable ({exc}); start it with "
            "'nats-server -a 127.0.0.1 -p 4222 -js' (.ci/run does)"
        )
    return NATS_URL


@pytest.fixture
def names(nats_url: str) -> Iterator[Names]:
    """Names of this test only; both streams are deleted afterwards."""
    suffix = secrets.token_hex(4)
    made = Names(
        prefix=f"cbectest{suffix}",
        stream=f"CBECTEST_{suffix}_IN",
        receipts_stream=f"CBECTEST_{suffix}_RECEIPTS",
        consumer=f"workers-{suffix}",
    )
    yield made

    async def clean() -> None:
        nc = await broker.connect(nats_url)
        try:
            await broker.delete_all(nc.jetstream(), made)
        finally:
            await nc.close()

    asyncio.run(clean())


async def read_receipts(url: str, names: Names, expected: int, timeout: float = 10) -> list[Any]:
    """Every receipt published so far (JSON bodies), in order; waits for ``expected``."""
    nc = await broker.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            names.receipts_all,
            stream=names.receipts_stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30),
        )
        out: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(out) < expected and loop.time() < deadline:
            try:
                msgs = await sub.fetch(100, timeout=0.5)
            except TimeoutError:  # nats.errors.TimeoutError is one too
                continue
            for m in msgs:
                out.append({"subject": m.subject, **json.loads(m.data)})
                await m.ack()
        return out
    finally:
        await nc.close()


async def consumer_state(url: str, names: Names) -> dict[str, int]:
    nc = await broker.connect(url)
    try:
        info = await nc.jetstream().consumer_info(names.stream, names.consumer)
        return {
            "pending": info.num_pending or 0,
            "ack_pending": info.num_ack_pending or 0,
            "redelivered": info.num_redelivered or 0,
            "acked_seq": info.ack_floor.stream_seq if info.ack_floor else 0,
        }
    finally:
        await nc.close()


async def create_group(url: str, names: Names, ack_wait: float) -> None:
    """The streams and the group's consumer, as a deployment declares them before its
    workers start."""
    nc = await broker.connect(url)
    try:
        js = nc.jetstream()
        await broker.ensure_streams(js, names)
        await broker.ensure_consumer(js, names, ack_wait)
    finally:
        await nc.close()
