"""One simulated day, end to end: market, consumers, honest and fraudulent orders, the
schedule of arriving messages, and the files written.

Everything random comes from generators seeded with ``--seed`` (one per concern, so that
changing, say, the fraud rate does not reshuffle the market). Nothing reads the clock.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import random
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from cbec.messages.codec import to_xml
from cbec.sim import fraud, render
from cbec.sim.enterprises import Market, build_market
from cbec.sim.fastxml import message_bytes, model_of
from cbec.sim.people import People
from cbec.sim.traffic import DAY_SECONDS, Numbering, Order, OrderFactory
from cbec.sim.writer import (
    LABELS_FORMAT,
    REGISTRY_FORMAT,
    FolderSink,
    Member,
    ZipSink,
    deflate,
    message_name,
    write_json,
)

#: Share of messages delivered a second time, byte for byte, later in the day.
REDELIVERED = 0.01
#: Share of orders modified (CEB311 appType 2, new address) before their list.
MODIFIED = 0.01
#: Share of lists cancelled (CEB623) and of lists whose goods are returned (CEB625).
CANCELLED = 0.005
RETURNED = 0.003
#: Share of messages pretty-printed (senders differ).
PRETTY = 0.03

#: A rendered message: file name, bytes, arrival (Y, M, D, h, m, s).
Rendered = tuple[str, bytes, tuple[int, int, int, int, int, int]]
#: From this many messages on, two processes render the messages.
PARALLEL_FROM = 40_000
#: Orders placed after this (16:00) are not cancelled or returned the same day.
LAST_RETURNABLE = 57_600

_CANCEL_REASONS = ("消费者取消订单", "库存不足，商家取消订单", "收货地址无法送达，取消订单")
_RETURN_REASONS = ("商品破损，消费者申请退货", "七天无理由退货", "商品与描述不符，退货退款")


@dataclass(frozen=True, slots=True)
class Options:
    """The options of ``cbec sim``."""

    orders: int = 1000
    seed: int = 1
    day: date = date(2026, 11, 11)
    bonded_share: float = 0.4
    fraud_rate: float = 0.05

    def __post_init__(self) -> None:
        if self.orders < 1:
            raise ValueError("--orders must be at least 1")
        for name in ("bonded_share", "fraud_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1")


@dataclass(slots=True)
class Summary:
    """What was generated, for the command's report."""

    messages: Counter[str] = field(default_factory=Counter)
    trade_modes: Counter[str] = field(default_factory=Counter)
    patterns: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)  # redelivered, modified, ...
    orders: int = 0
    files: Path | None = None
    registry: Path | None = None
    labels: Path | None = None
    enterprises: int = 0


@dataclass(slots=True)
class Day:
    """A generated day before it is written."""

    options: Options
    market: Market
    orders: list[Order]
    truth: fraud.Truth
    events: list[Event]


@dataclass(frozen=True, slots=True)
class Event:
    """One message arriving: ``(arrival, tie)`` orders the day."""

    arrival: int
    tie: int
    kind: str  # CEB311, CEB311M (first version of a modified order), CEB411, ...
    order: int  # index into Day.orders
    stamp: render.Stamp
    aux: int = 0  # CEB411: payTime (seconds)
    pretty: bool = False
    redelivery: bool = False


def _rng(seed: int, concern: str) -> random.Random:
    return random.Random(f"cbec-sim/{seed}/{concern}")


def guid(rng: random.Random) -> str:
    """An uppercase version-4 UUID drawn from ``rng`` (what ``uuid4`` looks like).

    >>> guid(random.Random(1))[14], len(guid(random.Random(1)))
    ('4', 36)
    """
    h = f"{rng.getrandbits(128):032X}"
    variant = "89AB"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def generate(options: Options) -> Day:
    """Generate the day in memory (no files)."""
    seed = options.seed
    market = build_market(_rng(seed, "market"))
    people = People(_rng(seed, "people"), options.day)
    factory = OrderFactory(market, people, _rng(seed, "orders"), options.day)

    budget = round(options.orders * options.fraud_rate)
    counts = fraud.allocate(budget)
    fraudster = fraud.Fraudster(factory, market, _rng(seed, "fraud"), options.bonded_share)
    bad = fraudster.make(counts)
    honest_count = max(0, options.orders - len(bad))
    factory.add_consumers(max(10, int(honest_count * 0.75)))
    orders = bad + [factory.honest(options.bonded_share) for _ in range(honest_count)]

    orders.sort(key=lambda o: (o.time, o.index))
    numbering = Numbering(_rng(seed, "numbers"), options.day)
    for order in orders:
        numbering.number(order)
    _swap_waybills(orders, _rng(seed, "swap"))
    _later_events(orders, people, _rng(seed, "later"))
    events = _schedule(orders, market, _rng(seed, "schedule"))
    return Day(options, market, orders, fraudster.truth, events)


def _swap_waybills(orders: list[Order], rng: random.Random) -> None:
    """Point the lists of waybill-disagreeing orders at an earlier honest order's waybill."""
    honest = [o for o in orders if not o.patterns]
    times = [o.time for o in honest]
    if not honest:
        return
    for order in orders:
        if order.disagreement != "waybill":
            continue
        end = max(1, bisect.bisect_right(times, order.time))
        other = honest[rng.randrange(max(0, end - 50), end)]
        order.list_logistics = other.logistics
        order.list_logistics_no = other.logistics_no


def _later_events(orders: list[Order], people: People, rng: random.Random) -> None:
    """Choose the honest orders that are modified, cancelled or returned.

    Cancellations and returns come hours after the list, so they are chosen among orders
    placed before 16:00.
    """
    honest = [o for o in orders if not o.patterns]
    n = len(orders)

    def how_many(share: float) -> int:
        return max(1, round(n * share)) if n >= 20 else 0

    modified = rng.sample(honest, min(len(honest), how_many(MODIFIED)))
    for order in modified:  # the buyer corrects the street address
        order.first_address = order.address
        order.address = order.district_label + people.street()
    early = [o for o in honest if o.time < LAST_RETURNABLE and o.first_address is None]
    later = rng.sample(early, min(len(early), how_many(CANCELLED) + how_many(RETURNED)))
    for order in later[: how_many(CANCELLED)]:
        order.cancel_reason = rng.choice(_CANCEL_REASONS)
    for order in later[how_many(CANCELLED) :]:
        order.return_reason = rng.choice(_RETURN_REASONS)


def _schedule(orders: list[Order], market: Market, rng: random.Random) -> list[Event]:
    """When each message is sent (appTime) and arrives; sorted by arrival."""
    legacy = {market.logistics["HK"][0].code, market.logistics["ZZ"][1].code}
    events: list[Event] = []

    def within(low: int, high: int) -> int:
        return low + int(rng.random() * (high - low + 1))

    def add(kind: str, index: int, sent: int, sender: str, aux: int = 0) -> Event:
        sent = min(sent, DAY_SECONDS - 1)
        arrival = min(sent + within(0, 20), DAY_SECONDS - 1)
        stamp = render.Stamp(
            guid=guid(rng),
            app_time=_clock(sent),
            app_type="2" if kind == "CEB311" and orders[index].first_address else "1",
            version="v1.0" if sender in legacy else "1.0",
        )
        event = Event(arrival, rng.getrandbits(32), kind, index, stamp, aux, rng.random() < PRETTY)
        events.append(event)
        return event

    for i, order in enumerate(orders):
        t0 = order.time
        base = t0
        if order.first_address is not None:
            first = t0 + within(0, 60)
            add("CEB311M", i, first, order.sender.code)
            base = first + within(60, 300)
            add("CEB311", i, base, order.sender.code)
            base += 30
        else:
            add("CEB311", i, t0 + within(0, 600), order.sender.code)
        paid = t0 + within(5, 120)
        add("CEB411", i, paid + within(0, 480), order.payment.code, aux=paid)
        add("CEB511", i, base + within(0, 600), order.logistics.code)
        listed = add("CEB621", i, base + within(0, 600), order.agent.code)
        if order.cancel_reason is not None:
            add("CEB623", i, listed.arrival + within(1_800, 21_600), order.agent.code)
        if order.return_reason is not None:
            add("CEB625", i, listed.arrival + within(7_200, 21_600), order.agent.code)

    for event in list(events):
        room = DAY_SECONDS - 1 - event.arrival
        if rng.random() < REDELIVERED and room >= 300:
            events.append(
                Event(
                    event.arrival + within(300, min(10_800, room)),
                    rng.getrandbits(32),
                    event.kind,
                    event.order,
                    event.stamp,
                    event.aux,
                    event.pretty,
                    redelivery=True,
                )
            )
    events.sort(key=lambda e: (e.arrival, e.tie))
    return events


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}{rest // 60:02d}{rest % 60:02d}"


def render_event(day: Day, event: Event) -> tuple[str, render.Message]:
    """The message type and content (plain data) of one event."""
    order = day.orders[event.order]
    stamp_day = f"{day.options.day:%Y%m%d}"
    stamp = render.Stamp(
        event.stamp.guid, stamp_day + event.stamp.app_time, event.stamp.app_type,
        event.stamp.version,
    )  # fmt: skip
    kind = event.kind
    if kind == "CEB311M":
        return "CEB311", render.order_message(order, stamp, first_version=True)
    if kind == "CEB311":
        return kind, render.order_message(order, stamp)
    if kind == "CEB411":
        return kind, render.payment_message(order, stamp, stamp_day + _clock(event.aux))
    if kind == "CEB511":
        return kind, render.waybill_message(order, stamp)
    if kind == "CEB621":
        return kind, render.inventory_message(order, stamp, stamp_day)
    if kind == "CEB623":
        return kind, render.cancel_message(order, stamp)
    return kind, render.refund_message(order, stamp)


def registry_document(market: Market) -> dict[str, Any]:
    return {
        "format": REGISTRY_FORMAT,
        "enterprises": [e.registry_entry() for e in market.enterprises],
    }


def labels_document(day: Day) -> dict[str, Any]:
    orders = {o.order_no: sorted(o.patterns) for o in day.orders if o.patterns}
    return {
        "format": LABELS_FORMAT,
        "seed": day.options.seed,
        "orders": dict(sorted(orders.items())),
        "enterprises": dict(sorted(day.truth.enterprises.items())),
        "identities": dict(sorted(day.truth.identities.items())),
        "patterns": dict(fraud.PATTERNS),
    }


def message_type_of(event: Event) -> str:
    return "CEB311" if event.kind == "CEB311M" else event.kind


def _messages(day: Day, share: int, shares: int, exact: bool) -> Iterator[Rendered]:
    """Every ``shares``-th message from the ``share``-th: (file name, bytes, arrival)."""
    year, month, dd = day.options.day.year, day.options.day.month, day.options.day.day
    events = day.events
    orders = day.orders
    for index in range(share, len(events), shares):
        event = events[index]
        message_type, content = render_event(day, event)
        if exact:
            data = to_xml(model_of(message_type, content), pretty=event.pretty)
        else:
            data = message_bytes(message_type, content, pretty=event.pretty)
        name = message_name(index + 1, message_type, orders[event.order].order_no)
        hours, rest = divmod(event.arrival, 3600)
        yield name, data, (year, month, dd, hours, rest // 60, rest % 60)


def _write_folder_share(day: Day, location: Path, share: int, shares: int, exact: bool) -> None:
    with FolderSink(location) as sink:
        for name, data, arrival in _messages(day, share, shares, exact):
            sink.write(name, data, arrival)


def _deflate_share(day: Day, share: int, shares: int, exact: bool, channel: Connection) -> None:
    """Compress every ``shares``-th message and send the members, in batches, in order."""
    batch: list[Member] = []
    for name, data, arrival in _messages(day, share, shares, exact):
        batch.append(deflate(name, data, arrival))
        if len(batch) == 500:
            channel.send(batch)
            batch = []
    channel.send(batch)
    channel.send(None)
    channel.close()


def _fork(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[BaseProcess]:
    context = multiprocessing.get_context("fork")
    processes: list[BaseProcess] = [
        context.Process(target=target, args=args, name=f"cbec-sim-writer-{i}")
        for i, args in enumerate(arguments)
    ]
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork() while threads run (pytest's, say); the writers only
        # render, compress and write, then exit.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        for process in processes:
            process.start()
    return processes


def _join(processes: list[BaseProcess]) -> None:
    for process in processes:
        process.join()
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"writing messages failed in {', '.join(failed)}")


def _write_folder(day: Day, location: Path, workers: int, exact: bool) -> None:
    """Write the files with ``workers`` forked processes, each every ``workers``-th one.

    Rendering is deterministic given the day, so who writes a file does not matter.
    """
    if workers == 1:
        _write_folder_share(day, location, 0, 1, exact)
        return
    _join(_fork(_write_folder_share, [(day, location, k, workers, exact) for k in range(workers)]))


def _write_zip(day: Day, sink: ZipSink, workers: int, exact: bool) -> None:
    """Fill the zip; forked workers render and compress, this process appends in order."""
    if workers == 1:
        for name, data, arrival in _messages(day, 0, 1, exact):
            sink.write(name, data, arrival)
        return
    pipes = [multiprocessing.Pipe(duplex=False) for _ in range(workers)]
    processes = _fork(
        _deflate_share, [(day, k, workers, exact, pipes[k][1]) for k in range(workers)]
    )
    for _, sending in pipes:
        sending.close()
    pending: list[deque[Member]] = [deque() for _ in range(workers)]
    try:
        for index in range(len(day.events)):
            share = index % workers
            if not pending[share]:
                batch = pipes[share][0].recv()
                if batch is None:
                    raise RuntimeError(f"writer {share} ended early")
                pending[share].extend(batch)
            sink.add(pending[share].popleft())
    except EOFError:
        raise RuntimeError("a writer process died") from None
    finally:
        _join(processes)


def _workers(day: Day) -> int:
    if len(day.events) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(2, os.cpu_count() or 1)


def write(
    day: Day,
    out: Path,
    *,
    as_zip: bool,
    exact: bool = False,
    workers: int | None = None,
) -> Summary:
    """Write the registry, the labels and the messages of ``day`` under ``out``.

    Large days are rendered by two forked processes (``workers`` overrides). ``exact``
    serialises every message through the models and ``to_xml`` (slow; the same bytes,
    which the tests check).
    """
    summary = Summary(orders=len(day.orders), enterprises=len(day.market.enterprises))
    summary.trade_modes.update(o.trade_mode for o in day.orders)
    for order in day.orders:
        summary.patterns.update(order.patterns)
    summary.messages.update(message_type_of(e) for e in day.events)
    summary.events.update(
        modified=sum(o.first_address is not None for o in day.orders),
        redelivered=sum(e.redelivery for e in day.events),
    )
    workers = workers or _workers(day)
    if as_zip:
        with ZipSink(out) as zipped:
            _write_zip(day, zipped, workers, exact)
        summary.files = zipped.location
    else:
        summary.files = FolderSink.prepare(out)
        _write_folder(day, summary.files, workers, exact)
    summary.registry = out / "registry.json"
    write_json(summary.registry, registry_document(day.market))
    summary.labels = out / "labels.json"
    write_json(summary.labels, labels_document(day))
    return summary


def run(options: Options, out: Path, *, as_zip: bool = False) -> Summary:
    """Generate and write one day."""
    return write(generate(options), out, as_zip=as_zip)
