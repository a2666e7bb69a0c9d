"""One simulated day in memory: market, consumers, honest and fraudulent orders, the
schedule of arriving messages, and the registry and labels documents.

Everything random comes from generators seeded with ``--seed`` (one per concern, so that
changing, say, the fraud rate does not reshuffle the market). Nothing reads the clock.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from cbec.sim import fraud, render
from cbec.sim.enterprises import Market, build_market
from cbec.sim.people import People
from cbec.sim.traffic import DAY_SECONDS, Numbering, Order, OrderFactory

REGISTRY_FORMAT = "cbec-registry/1"
LABELS_FORMAT = "cbec-labels/1"

#: Share of messages delivered a second time, byte for byte, later in the day.
REDELIVERED = 0.01
#: Share of orders modified (CEB311 appType 2, new address) before their list.
MODIFIED = 0.01
#: Share of lists cancelled (CEB623) and of lists whose goods are returned (CEB625).
CANCELLED = 0.005
RETURNED = 0.003
#: Share of messages pretty-printed (senders differ).
PRETTY = 0.03
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
class Day:
    """A generated day before it is written."""

    options: Options
    market: Market
    orders: list[Order]
    truth: fraud.Truth
    events: list[Event]


@dataclass(slots=True)
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
    """``registry.json``: every enterprise filed for the day (``cbec-registry/1``)."""
    return {
        "format": REGISTRY_FORMAT,
        "enterprises": [e.registry_entry() for e in market.enterprises],
    }


def labels_document(day: Day) -> dict[str, Any]:
    """``labels.json``: the ground truth (``cbec-labels/1``), keys sorted."""
    orders = {o.order_no: sorted(o.patterns) for o in day.orders if o.patterns}
    return {
        "format": LABELS_FORMAT,
        "seed": day.options.seed,
        "orders": dict(sorted(orders.items())),
        "enterprises": dict(sorted(day.truth.enterprises.items())),
        "identities": dict(sorted(day.truth.identities.items())),
        "networks": day.truth.networks,
        "patterns": dict(fraud.PATTERNS),
    }
