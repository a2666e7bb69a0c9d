"""``cbec worker``: one member of the worker group on the shared durable pull consumer.

Each fetch (up to ``CBEC_QUEUE_BATCH`` messages) is split into runs of messages with the same
key; each run is one transaction (:class:`~cbec.queue.handling.Handler`). After it committed
the receipts are published (JetStream de-duplicates them by the inbound sequence) and then
the messages are acknowledged. A worker killed anywhere before the acknowledgement leaves
its messages to be delivered again after ``ack_wait``; intake's idempotent keys then answer
them as re-deliveries of what was stored, with the first receipt. Workers run side by side,
so a modify or delete may overtake the declaration it changes: it is delivered again a little
later (up to ``HOLD_UNTIL_ATTEMPT``), then refused as over HTTP. A run that fails is tried
message by message; a message whose transaction keeps failing is delivered again later, and
dead-lettered with a receipt after ``CBEC_QUEUE_MAX_ATTEMPTS`` deliveries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cbec.queue import broker
from cbec.queue.handling import Delivery, Early, Handler, Reply
from cbec.queue.names import Names

log = logging.getLogger("cbec.queue")


@dataclass(slots=True)
class Stats:
    """What one worker did."""

    fetched: int = 0
    #: fetched again after another worker (or this one) did not acknowledge in time
    redelivered: int = 0
    acknowledged: int = 0
    retried: int = 0
    #: modifies and deletes delivered again because what they change was not there yet
    held: int = 0
    dead_lettered: int = 0
    seconds: float = 0.0


def delivery_of(msg: Msg) -> Delivery:
    meta = msg.metadata
    return Delivery(
        subject=msg.subject,
        data=msg.data,
        headers=dict(msg.headers or {}),
        sequence=meta.sequence.stream,
        attempt=meta.num_delivered,
    )


def runs(msgs: Sequence[Msg]) -> list[list[Msg]]:
    """Consecutive messages with the same key header, in fetch order."""
    out: list[list[Msg]] = []
    for msg in msgs:
        key = (msg.headers or {}).get("Authorization", "")
        if out and (out[-1][0].headers or {}).get("Authorization", "") == key:
            out[-1].append(msg)
        else:
            out.append([msg])
    return out


class Worker:
    """Binds to the group's consumer and processes until stopped (or idle)."""

    def __init__(
        self,
        handler: Handler,
        names: Names,
        *,
        url: str,
        batch: int = 20,
        ack_wait: float = 30.0,
        max_attempts: int = 5,
    ) -> None:
        self.handler = handler
        self.names = names
        self.url = url
        self.batch = batch
        self.ack_wait = ack_wait
        self.max_attempts = max_attempts
        self.stats = Stats()
        self.stop = asyncio.Event()

    async def run(self, idle_exit: float | None = None) -> Stats:
        """Process until :attr:`stop` is set, or (``idle_exit``) until nothing has come
        for that many seconds."""
        started = time.perf_counter()
        nc = await broker.connect(self.url)
        try:
            js = nc.jetstream()
            await broker.ensure_streams(js, self.names)
            await broker.ensure_consumer(js, self.names, self.ack_wait)
            sub = await js.pull_subscribe(
                self.names.inbound_all,
                durable=self.names.consumer,
                stream=self.names.stream,
            )
            last = time.monotonic()
            log.info("worker bound to %s/%s", self.names.stream, self.names.consumer)
            while not self.stop.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=1.0)
                except TimeoutError:  # nats.errors.TimeoutError is one too
                    if idle_exit is not None and time.monotonic() - last >= idle_exit:
                        break
                    continue
                last = time.monotonic()
                self.stats.fetched += len(msgs)
                self.stats.redelivered += sum(m.metadata.num_delivered > 1 for m in msgs)
                for run in runs(msgs):
                    await self._process(js, run)
        finally:
            # Everything answered was published and acknowledged synchronously: close
            # (drain would wait out the pull request still open on the server).
            await nc.close()
            self.stats.seconds = time.perf_counter() - started
        return self.stats

    async def _process(self, js: JetStreamContext, run: list[Msg]) -> None:
        deliveries = [delivery_of(m) for m in run]
        try:
            replies = await asyncio.to_thread(self.handler.handle, deliveries)
        except Exception as exc:
            if len(run) > 1:  # find the one that fails (or is early); the others go through
                for msg in run:
                    await self._process(js, [msg])
                return
            if isinstance(exc, Early):
                await self._early(run[0], deliveries[0])
            else:
                await self._failed(js, run[0], deliveries[0], exc)
            return
        await self._answer(js, run, replies)

    async def _early(self, msg: Msg, delivery: Delivery) -> None:
        log.info("%s: before what it changes; delivered again later", delivery.source)
        self.stats.held += 1
        await msg.nak(delay=0.5 * delivery.attempt)

    async def _failed(
        self, js: JetStreamContext, msg: Msg, delivery: Delivery, exc: Exception
    ) -> None:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
        if delivery.attempt < self.max_attempts:
            log.warning("%s: not stored (%s); delivered again later", delivery.source, error)
            self.stats.retried += 1
            await msg.nak(delay=min(2.0**delivery.attempt / 4, 10.0))
            return
        log.error(
            "%s: dead-lettered after %d attempts: %s", delivery.source, delivery.attempt, error
        )
        replies = await asyncio.to_thread(self.handler.give_up, [delivery], error)
        self.stats.dead_lettered += 1
        await self._answer(js, [msg], replies)

    async def _answer(self, js: JetStreamContext, run: list[Msg], replies: list[Reply]) -> None:
        # Committed: publish the receipts, then acknowledge. A crash in between only
        # means a re-delivery, answered (once, by msg id) with the same receipt.
        for reply in replies:
            await js.publish(
                reply.subject,
                reply.body,
                stream=self.names.receipts_stream,
                headers={"Nats-Msg-Id": reply.msg_id, **reply.headers},
            )
        for msg in run:
            await msg.ack_sync()
        self.stats.acknowledged += len(run)
