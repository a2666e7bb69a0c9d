"""Fraud patterns: orders that a risk engine should find, and their ground truth.

About ``--fraud-rate`` of the day's orders are made by the patterns below (each order is
labelled with the patterns that touch it). Everything else about these orders looks like
honest traffic; the documents of an order agree unless the pattern is that they do not.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cbec.sim.enterprises import Enterprise, Market, Seller
from cbec.sim.people import Person, spoil_check_digit
from cbec.sim.regions import PROVINCES, District
from cbec.sim.traffic import (
    ANNUAL_LIMIT,
    LAST_ORDER,
    ORDER_LIMIT,
    Order,
    OrderFactory,
    line_of,
)

IDENTITY_POOL = "identity_pool"
FAKE_PLATFORM = "fake_platform"
UNDERVALUED = "undervalued"
BUYER_NOT_PAYER = "buyer_not_payer"
ANNUAL_QUOTA_OVERRUN = "annual_quota_overrun"
DOCUMENTS_DISAGREE = "documents_disagree"
INVALID_ID = "invalid_id"
SMUGGLING_RING = "smuggling_ring"

#: What each pattern is (written to labels.json).
PATTERNS: dict[str, str] = {
    IDENTITY_POOL: (
        "A small pool of identities splits one consignment of the same goods into orders "
        "under the per-order limit, on one platform and seller within about two hours, shipped "
        "to two or three shared addresses and phone numbers. The identities are labelled."
    ),
    FAKE_PLATFORM: (
        "A recently filed platform whose orders are all paid through one small, recently "
        "filed payment company that serves no one else (suspected false transactions and "
        "forged payment records). The platform and the payment company are labelled."
    ),
    UNDERVALUED: (
        "Declared unit prices of 10-30% of the catalogue's lowest price, consistently on the "
        "order, payment and list (the tax is computed on the low price)."
    ),
    BUYER_NOT_PAYER: (
        "The payment's payer (payerIdNumber, payerName) is another person than the order's "
        "and list's buyer."
    ),
    ANNUAL_QUOTA_OVERRUN: (
        "One buyer whose orders of the day add up to more than the 26,000 CNY annual limit "
        "(goods and freight), each order under the per-order limit. The buyer is labelled."
    ),
    DOCUMENTS_DISAGREE: (
        "One document disagrees with the others: the payment's amountPaid differs from "
        "acturalPaid, or a list line's qty is below the order's, or the list names the "
        "waybill (logisticsNo) of another order."
    ),
    INVALID_ID: (
        "The buyer's resident ID number has a wrong GB 11643 check digit (consistently on all "
        "documents). The ID is labelled; it is the only kind of invalid ID in the traffic."
    ),
    SMUGGLING_RING: (
        "A smuggling network grown by fission: cells of bought identities from all over the "
        "country buy on the ordinary platforms and ship to each cell's one or two drop "
        "addresses (written in varying formats: with or without the province, spaced, "
        "full-width digits) and its receivers' phones; some orders are paid by the ring's "
        "financiers, and each new cell's receiver also buys for the cell that recruited it. "
        "Members, receivers and financiers are labelled; each ring is in ``networks``."
    ),
}

#: Order in which patterns get their minimum number of orders when the budget is small.
_PRIORITY = (
    BUYER_NOT_PAYER,
    UNDERVALUED,
    DOCUMENTS_DISAGREE,
    FAKE_PLATFORM,
    IDENTITY_POOL,
    ANNUAL_QUOTA_OVERRUN,
    INVALID_ID,
    SMUGGLING_RING,
)
_MINIMUM = {IDENTITY_POOL: 4, ANNUAL_QUOTA_OVERRUN: 6, SMUGGLING_RING: 12}
_WEIGHT = {
    FAKE_PLATFORM: 0.26,
    IDENTITY_POOL: 0.22,
    UNDERVALUED: 0.13,
    BUYER_NOT_PAYER: 0.13,
    ANNUAL_QUOTA_OVERRUN: 0.12,
    DOCUMENTS_DISAGREE: 0.10,
    INVALID_ID: 0.04,
    SMUGGLING_RING: 0.20,
}


def allocate(budget: int) -> dict[str, int]:
    """How many orders each pattern gets out of ``budget`` (largest remainder).

    >>> allocate(0)[FAKE_PLATFORM]
    0
    >>> sum(allocate(50).values())
    50
    """
    counts = dict.fromkeys(_PRIORITY, 0)
    remaining = budget
    for pattern in _PRIORITY:
        need = _MINIMUM.get(pattern, 1)
        if remaining >= need:
            counts[pattern] = need
            remaining -= need
    active = [p for p in _PRIORITY if counts[p]]
    if not active or remaining == 0:
        return counts
    total = sum(_WEIGHT[p] for p in active)
    exact = {p: remaining * _WEIGHT[p] / total for p in active}
    floors = {p: math.floor(v) for p, v in exact.items()}
    left = remaining - sum(floors.values())
    for p in sorted(active, key=lambda p: (floors[p] - exact[p], _PRIORITY.index(p)))[:left]:
        floors[p] += 1
    for p in active:
        counts[p] += floors[p]
    return counts


@dataclass(slots=True)
class Truth:
    """Ground truth collected while making the day's fraud."""

    enterprises: dict[str, list[str]] = field(default_factory=dict)
    identities: dict[str, list[str]] = field(default_factory=dict)
    #: groups that act together (identity pools, rings): pattern, identities, phones and
    #: addresses, for judging discovered networks
    networks: list[dict[str, Any]] = field(default_factory=list)

    def enterprise(self, enterprise: Enterprise, pattern: str) -> None:
        tags = self.enterprises.setdefault(enterprise.code, [])
        if pattern not in tags:
            tags.append(pattern)

    def identity(self, id_number: str, pattern: str) -> None:
        tags = self.identities.setdefault(id_number, [])
        if pattern not in tags:
            tags.append(pattern)


class Fraudster:
    """Makes the orders of each pattern with the honest order factory's parts."""

    def __init__(
        self, factory: OrderFactory, market: Market, rng: random.Random, bonded_share: float
    ) -> None:
        self.f = factory
        self.market = market
        self.rng = rng
        self.bonded_share = bonded_share
        self.truth = Truth()
        self.truth.enterprise(market.fake_platform.enterprise, FAKE_PLATFORM)
        self.truth.enterprise(market.colluding_payment, FAKE_PLATFORM)

    def make(self, counts: dict[str, int]) -> list[Order]:
        """The orders of every pattern, ``counts[pattern]`` of each (overruns may add one)."""
        orders: list[Order] = []
        makers = {
            FAKE_PLATFORM: self.fake_platform,
            IDENTITY_POOL: self.identity_pool,
            UNDERVALUED: self.undervalued,
            BUYER_NOT_PAYER: self.buyer_not_payer,
            ANNUAL_QUOTA_OVERRUN: self.quota_overrun,
            DOCUMENTS_DISAGREE: self.documents_disagree,
            INVALID_ID: self.invalid_id,
            SMUGGLING_RING: self.smuggling_ring,
        }
        for pattern in _PRIORITY:
            if counts.get(pattern, 0) > 0:
                made = makers[pattern](counts[pattern])
                for order in made:
                    order.patterns.append(pattern)
                orders.extend(made)
        return orders

    # --- helpers ---

    def _honest_like(self) -> Order:
        """An order like an honest one, by a new consumer (so no honest buyer is touched)."""
        platform, seller, mode = self.f.pick(self.bonded_share)
        return self.f.order(
            platform=platform,
            seller=seller,
            lines=self.f.lines(seller, bonded=mode == "1210"),
            buyer=self.f.people.person(),
            bonded_share=self.bonded_share,
            trade_mode=mode,
        )

    def _sellers(self) -> list[Seller]:
        return [s for p in self.market.platforms for s in p.sellers]

    # --- patterns ---

    def fake_platform(self, count: int) -> list[Order]:
        """Orders on the fake platform, paid through the colluding company."""
        platform = self.market.fake_platform
        orders = []
        for _ in range(count):
            seller = self.rng.choice(platform.sellers)
            lines = self.f.lines(seller)
            for line in lines:  # stock up: several units of each
                line.qty = max(line.qty, self.rng.randint(2, 5))
            orders.append(
                self.f.order(
                    platform=platform,
                    seller=seller,
                    lines=lines,
                    buyer=self.f.people.person(),
                    bonded_share=self.bonded_share,
                    payment=self.market.colluding_payment,
                )
            )
        return orders

    def identity_pool(self, count: int) -> list[Order]:
        """Consignments split among pools of three or more identities."""
        orders: list[Order] = []
        while len(orders) < count:
            size = min(count - len(orders), self.rng.randint(6, 14))
            if count - len(orders) - size < 4:  # no pool smaller than four orders
                size = count - len(orders)
            orders.extend(self._pool(size))
        return orders

    def _pool(self, size: int) -> list[Order]:
        rng = self.rng
        people = self.f.people
        stocked = [
            (s, o)
            for s in self._sellers()
            for o in s.offers
            if o.goods.bonded and Decimal(300) <= o.price <= Decimal(1500)
        ]
        seller, offer = rng.choice(stocked)
        platform = next(p for p in self.market.platforms if seller in p.sellers)
        identities = [people.person() for _ in range(max(3, math.ceil(size / 3)))]
        drop = people.person()  # the receiving end: a few shared addresses and phones
        addresses = [
            (drop.district.label + people.street(), drop.district.code)
            for _ in range(rng.randint(2, 3))
        ]
        phones = [people.phone() for _ in range(rng.randint(1, 2))]
        qty = max(1, int((ORDER_LIMIT * Decimal("0.9")) // offer.price))
        start = rng.randrange(LAST_ORDER - 7_200)
        mode = "1210" if rng.random() < self.bonded_share else "9610"
        orders = []
        for i in range(size):
            identity = identities[i % len(identities)]
            order = self.f.order(
                platform=platform,
                seller=seller,
                lines=[line_of(offer, qty - rng.randint(0, min(2, qty - 1)))],
                buyer=identity,
                bonded_share=self.bonded_share,
                consignee=replace(identity, phone=rng.choice(phones)),
                address=rng.choice(addresses),
                freight=Decimal("0.00"),
                trade_mode=mode,
            )
            order.time = start + i * rng.randint(120, 600)
            orders.append(order)
        used = identities[: min(size, len(identities))]
        for identity in used:
            self.truth.identity(identity.id_number, IDENTITY_POOL)
        self.truth.networks.append(
            {
                "pattern": IDENTITY_POOL,
                "identities": sorted(p.id_number for p in used),
                "phones": sorted(phones),
                "addresses": sorted(a for a, _ in addresses),
            }
        )
        return orders

    def undervalued(self, count: int) -> list[Order]:
        """Honest-looking orders declared at 10-30% of the lowest price."""
        orders = []
        for _ in range(count):
            order = self._honest_like()
            for line in order.lines:
                share = Decimal(self.rng.randint(10, 30)) / 100
                line.price = max(
                    Decimal("1.00"), (line.goods.price_min * share).quantize(Decimal(1))
                )
            order.finalize()
            orders.append(order)
        return orders

    def buyer_not_payer(self, count: int) -> list[Order]:
        """Honest-looking orders paid by someone else."""
        orders = []
        for _ in range(count):
            order = self._honest_like()
            order.payer = self.f.people.person()
            orders.append(order)
        return orders

    def quota_overrun(self, count: int) -> list[Order]:
        """Buyers with about eight orders each, together above 26,000 CNY."""
        buyers = max(1, count // 8)
        sizes = [count // buyers + (1 if i < count % buyers else 0) for i in range(buyers)]
        return [order for size in sizes for order in self._overrun(size)]

    def _overrun(self, size: int) -> list[Order]:
        """One buyer's orders of the day, together above the annual limit."""
        rng = self.rng
        buyer = self.f.people.person()
        dear = [(s, o) for s in self._sellers() for o in s.offers if o.price >= Decimal(400)]
        orders: list[Order] = []
        total = Decimal(0)
        while len(orders) < size or total <= ANNUAL_LIMIT:
            seller, offer = rng.choice(dear)
            platform = next(p for p in self.market.platforms if seller in p.sellers)
            target = Decimal(rng.randint(4_300, 4_950))
            qty = max(1, int(target // offer.price))
            order = self.f.order(
                platform=platform,
                seller=seller,
                lines=[line_of(offer, qty)],
                buyer=buyer,
                bonded_share=self.bonded_share,
                freight=Decimal("0.00"),
            )
            total += order.transaction_value
            orders.append(order)
        self.truth.identity(buyer.id_number, ANNUAL_QUOTA_OVERRUN)
        return orders

    def documents_disagree(self, count: int) -> list[Order]:
        """Orders whose payment amount, list quantity or list waybill differs."""
        orders = []
        kinds = ("amount", "qty", "waybill")
        for i in range(count):
            order = self._honest_like()
            kind = kinds[i % 3]
            line = min(order.lines, key=lambda x: x.price)
            if kind == "qty" and line.qty == 1:
                if order.transaction_value + line.price > ORDER_LIMIT:
                    kind = "amount"
                else:
                    line.qty = 2
                    order.finalize()
            if kind == "amount":
                cut = Decimal(self.rng.randint(10, 40)) / 100
                order.amount_paid = (order.actural_paid * (1 - cut)).quantize(Decimal("0.01"))
            elif kind == "qty":
                order.list_qty[line.gnum] = line.qty - 1
            order.disagreement = kind  # a waybill is swapped by swap_waybills, once numbered
            orders.append(order)
        return orders

    def smuggling_ring(self, count: int) -> list[Order]:
        """Rings of cells of bought identities (one ring per ``RING_ORDERS`` orders)."""
        return [o for size in _ring_sizes(count) for o in _RingMaker(self, size).make()]

    def invalid_id(self, count: int) -> list[Order]:
        """Orders by buyers whose ID number has a wrong check digit."""
        orders = []
        for _ in range(count):
            order = self._honest_like()
            bad = replace(order.buyer, id_number=spoil_check_digit(order.buyer.id_number))
            order.buyer = order.payer = bad
            self.truth.identity(bad.id_number, INVALID_ID)
            orders.append(order)
        return orders


# --- smuggling rings ----------------------------------------------------------------------

#: Orders per ring: a bigger day has more rings rather than one giant one.
RING_ORDERS = 400
#: Members per cell, about.
CELL_MEMBERS = 12

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def address_variant(district: District, street: str, variant: int) -> str:
    """One way of writing the address ``district`` + ``street``, as people write it.

    >>> d = District("440106", "广东省", "广州市", "天河区")
    >>> [address_variant(d, "体育西路88号", v) for v in range(5)]  # doctest: +NORMALIZE_WHITESPACE
    ['广东省广州市天河区体育西路88号', '广州市天河区体育西路88号',
     '广东省 广州市 天河区 体育西路88号', '广东省广州市天河区体育西路８８号',
     '广东广州天河区体育西路88号']
    """
    if variant == 1:
        return district.label.removeprefix(district.province) + street or district.label + street
    if variant == 2:
        parts = [district.province, district.city, district.name]
        return " ".join(dict.fromkeys(parts)) + " " + street
    if variant == 3:
        return district.label + street.translate(_FULL_WIDTH)
    if variant == 4:
        province = district.province.removesuffix("省").removesuffix("市")
        city = district.city.removesuffix("市")
        return "".join(dict.fromkeys((province, city))) + district.name + street
    return district.label + street


@dataclass(slots=True)
class _Cell:
    receivers: list[Person]
    phones: list[str]
    drops: list[tuple[District, str]]
    members: list[Person] = field(default_factory=list)


def _ring_sizes(count: int) -> list[int]:
    rings = max(1, round(count / RING_ORDERS))
    return [count // rings + (1 if i < count % rings else 0) for i in range(rings)]


class _RingMaker:
    """One ring's cells, members and orders, made with its :class:`Fraudster`'s parts."""

    def __init__(self, fraudster: Fraudster, size: int) -> None:
        self.x = fraudster
        self.size = size

    def make(self) -> list[Order]:
        x = self.x
        rng, people = x.rng, x.f.people
        financiers = [people.person() for _ in range(rng.randint(2, 3))]
        members_wanted = max(4, self.size // 2)
        cells: list[_Cell] = []
        for c in range(max(2, round(members_wanted / CELL_MEMBERS))):
            receiver = people.person()
            drops = [(receiver.district, people.street()) for _ in range(rng.randint(1, 2))]
            phones = [receiver.phone] + ([people.phone()] if rng.random() < 0.4 else [])
            cell = _Cell([receiver], phones, drops)
            if c:  # fission: the new cell's receiver was a member of an older cell
                cells[rng.randrange(c)].members.append(receiver)
            cells.append(cell)
        # one cell bought a batch of identities from one place, of one generation (a third
        # of the ring's members); the others' come from anywhere in the country
        batch = self._batch(max(4, members_wanted // 3), far_from=cells[0].receivers[0])
        cells[0].members.extend(batch)
        for i in range(members_wanted - len(batch)):
            member = people.person(province=PROVINCES[rng.randrange(len(PROVINCES))])
            cells[1 + i % (len(cells) - 1)].members.append(member)
        buyers = [(cell, m) for cell in cells for m in cell.members]
        orders: list[Order] = []
        for i in range(self.size):
            cell, member = buyers[i % len(buyers)] if i < len(buyers) else rng.choice(buyers)
            orders.append(self._order(cell, member, financiers))
        used = {o.buyer.id_number for o in orders} | {o.payer.id_number for o in orders}
        for number in sorted(used):
            x.truth.identity(number, SMUGGLING_RING)
        x.truth.networks.append(
            {
                "pattern": SMUGGLING_RING,
                "identities": sorted(used),
                "phones": sorted({p for cell in cells for p in cell.phones}),
                "addresses": sorted({d.label + s for cell in cells for d, s in cell.drops}),
                "cells": len(cells),
                "provinces": len({o.buyer.id_number[:2] for o in orders}),
            }
        )
        return orders

    def _batch(self, size: int, far_from: Person) -> list[Person]:
        """``size`` identities born in one prefecture (4-digit area) in one decade, in
        another province than ``far_from``'s."""
        rng, people = self.x.rng, self.x.f.people
        others = [p for p in PROVINCES if p.code != far_from.province.code]
        province = others[rng.randrange(len(others))]
        first = people.person(province=province)
        batch = [first]
        for _ in range(200 * size):
            if len(batch) == size:
                break
            other = people.person(province=province)
            same_place = other.id_number[:4] == first.id_number[:4]
            if same_place and other.birth.year // 10 == first.birth.year // 10:
                batch.append(other)
        return batch

    def _order(self, cell: _Cell, member: Person, financiers: list[Person]) -> Order:
        x = self.x
        rng = x.rng
        platform, seller, mode = x.f.pick(x.bonded_share)
        lines = x.f.lines(seller, bonded=mode == "1210")
        for line in lines:  # for resale: a few of each
            line.qty = max(line.qty, rng.randint(2, 4))
        district, street = rng.choice(cell.drops)
        receiver = rng.choice(cell.receivers)
        consignee = replace(
            member if rng.random() < 0.5 else receiver, phone=rng.choice(cell.phones)
        )
        return x.f.order(
            platform=platform,
            seller=seller,
            lines=lines,
            buyer=member,
            payer=rng.choice(financiers) if rng.random() < 0.35 else member,
            bonded_share=x.bonded_share,
            consignee=consignee,
            address=(address_variant(district, street, rng.randrange(5)), district.code),
            trade_mode=mode,
        )
