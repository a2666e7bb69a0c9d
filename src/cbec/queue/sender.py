"""Publishing messages to the inbound stream, as an enterprise does (``cbec queue send``):
each to ``<prefix>.in.<copCode>`` with its sender's API key in the ``Authorization``
header. JetStream acknowledges each publish once it is stored; a publish repeated within
the duplicate window (same sender, same bytes) is stored once, and after that intake's
idempotent keys answer it as a re-delivery."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nats.js import JetStreamContext

from cbec.intake.prepare import cop_code_hint
from cbec.queue import broker
from cbec.queue.handling import KEY_HEADER
from cbec.queue.names import Names

_JSON_COP_CODE = re.compile(rb'"copCode"\s*:\s*"([A-Za-z0-9]{1,18})"')


@dataclass(slots=True)
class Sent:
    """What was published: stream sequences by message name; names not sent, and why."""

    sequences: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    #: published again within the duplicate window: stored once
    duplicates: list[str] = field(default_factory=list)


def sender_code(data: bytes) -> str | None:
    """The BaseTransfer/copCode of an XML or JSON message, when it can be read cheaply."""
    code = cop_code_hint(data)
    if code is None:
        match = _JSON_COP_CODE.search(data[:1_000_000])
        code = match.group(1).decode("ascii") if match else None
    return code


async def publish(
    js: JetStreamContext,
    names: Names,
    items: Iterable[tuple[str, bytes]],
    key_for: Callable[[str], str | None],
    *,
    code: str | None = None,
) -> Sent:
    """Publish each (name, bytes); ``key_for(copCode)`` gives the sender's API key (None:
    skipped). ``code`` routes every message as that sender's instead of reading copCode."""
    sent = Sent()
    for name, data in items:
        who = code or sender_code(data)
        if who is None:
            sent.skipped[name] = "no BaseTransfer/copCode to route it by (pass --code)"
            continue
        key = key_for(who)
        if key is None:
            sent.skipped[name] = f"no API key for {who}"
            continue
        fmt = "application/json" if name.lower().endswith(".json") else "application/xml"
        ack = await js.publish(
            names.inbound(who),
            data,
            stream=names.stream,
            headers={
                KEY_HEADER: f"Bearer {key}",
                "Content-Type": fmt,
                # the same bytes under the same key, published again within the
                # window (a retried publish), are stored once
                "Nats-Msg-Id": hashlib.sha256(key.encode() + b"\0" + data).hexdigest(),
            },
        )
        sent.sequences[name] = ack.seq
        if ack.duplicate:
            sent.duplicates.append(name)
    return sent


async def send(
    url: str,
    names: Names,
    items: Iterable[tuple[str, bytes]],
    key_for: Callable[[str], str | None],
    *,
    code: str | None = None,
) -> Sent:
    """Connect, make sure the streams exist, publish, close."""
    nc = await broker.connect(url)
    try:
        js = nc.jetstream()
        await broker.ensure_streams(js, names)
        return await publish(js, names, items, key_for, code=code)
    finally:
        await nc.drain()
