"""Connecting to NATS and declaring the two streams and the workers' consumer."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from cbec.queue.names import Names

#: How long a receipt stays in the receipts stream for its sender to read (7 days).
RECEIPTS_MAX_AGE_SECONDS = 7 * 24 * 3600
#: Publishes with the same Nats-Msg-Id within this window are stored once.
DUPLICATE_WINDOW_SECONDS = 120.0


class Unreachable(RuntimeError):
    """The NATS server does not answer."""


async def connect(url: str, *, timeout: float = 2.0) -> Client:
    """A connection to ``url``; :class:`Unreachable` when nothing answers there."""
    # Once connected the client reconnects by itself; but nothing listening at all should
    # be said at once, not after every reconnect attempt.
    parsed = urlsplit(url)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout
        )
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        raise Unreachable(f"NATS at {url} does not answer: {exc or type(exc).__name__}") from exc
    try:
        return await nats.connect(
            servers=[url],
            connect_timeout=timeout,
            allow_reconnect=True,
            max_reconnect_attempts=30,
            reconnect_time_wait=1,
        )
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise Unreachable(f"NATS at {url} does not answer: {exc or type(exc).__name__}") from exc


async def ensure_streams(js: JetStreamContext, names: Names) -> None:
    """Create the inbound stream (work queue: a message is gone once a worker acked it)
    and the receipts stream (kept for a week), when they do not exist yet."""
    wanted = [
        StreamConfig(
            name=names.stream,
            subjects=[names.inbound_all],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        ),
        StreamConfig(
            name=names.receipts_stream,
            subjects=[names.receipts_all],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=RECEIPTS_MAX_AGE_SECONDS,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        ),
    ]
    for config in wanted:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)


def consumer_config(names: Names, ack_wait: float) -> ConsumerConfig:
    """The durable pull consumer every worker of the group binds to: explicit acks, a
    message handed to another worker when unacknowledged for ``ack_wait`` seconds."""
    return ConsumerConfig(
        durable_name=names.consumer,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait,
        max_deliver=-1,  # the worker dead-letters a message that keeps failing
        max_ack_pending=1000,
    )


async def ensure_consumer(js: JetStreamContext, names: Names, ack_wait: float) -> None:
    try:
        await js.consumer_info(names.stream, names.consumer)
    except NotFoundError:
        await js.add_consumer(names.stream, consumer_config(names, ack_wait))


async def delete_all(js: JetStreamContext, names: Names) -> None:
    """Remove both streams (and so the consumer): for tests and benchmarks."""
    for stream in (names.stream, names.receipts_stream):
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream)
