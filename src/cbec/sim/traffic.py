"""Orders: what was bought, by whom, paid how, shipped how, and when each document is sent.

An :class:`Order` is the plan from which the four documents of one order (CEB311 order,
CEB411 payment, CEB511 waybill, CEB621 list) and any later ones (a modified order, a
cancellation, a return) are rendered. Amounts follow the platform's equation
``acturalPaid = goodsValue + freight + taxTotal - discount`` and the payment carries
``amountPaid = acturalPaid``; the tax is the CBEC composite tax of :mod:`cbec.sim.goods`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import accumulate

from cbec.sim.draw import weighted
from cbec.sim.enterprises import Enterprise, Market, Offer, Platform, Seller, Site
from cbec.sim.goods import Goods, catalogue_ct, money, order_taxes
from cbec.sim.people import People, Person

#: Per-order limit on the transaction value (goods and freight), CNY.
ORDER_LIMIT = Decimal(5000)
#: Annual limit per buyer, CNY.
ANNUAL_LIMIT = Decimal(26000)
#: An honest buyer never goes above this in the simulated day.
HONEST_ANNUAL_CAP = Decimal(20000)
DAY_SECONDS = 86_400
#: Orders are placed until 23:30, so their documents arrive the same day.
LAST_ORDER = DAY_SECONDS - 1_800

#: Orders placed per hour on a shopping-festival day (relative): midnight rush, evening peak.
_HOURLY = (9, 6, 3, 1.5, 1, 0.8, 1, 1.5, 3, 4, 5, 5, 4.5, 4.5, 4, 4, 4, 4.5, 5, 6, 7, 8, 8.5, 5)
_HOURLY_CUM = list(accumulate(_HOURLY))
_LINES = (1, 2, 3)
_LINES_CUM = list(accumulate((0.68, 0.24, 0.08)))
_QTY = (1, 2, 3, 4, 6)
_QTY_CUM = list(accumulate((0.6, 0.22, 0.1, 0.05, 0.03)))
_HOURS = range(24)


@dataclass(slots=True)
class Line:
    """An order line; the list repeats it (same gnum, item, quantity, price)."""

    gnum: int
    goods: Goods
    qty: int
    price: Decimal
    item_record_no: str

    @property
    def total(self) -> Decimal:
        return self.price * self.qty


@dataclass(slots=True)
class Order:
    """The plan of one order and its documents."""

    index: int
    platform: Platform
    seller: Seller
    sender: Enterprise  # sends the CEB311: the platform or the seller
    payment: Enterprise
    logistics: Enterprise
    site: Site
    trade_mode: str  # 9610 or 1210
    area: Enterprise | None  # the bonded zone operator (1210)
    buyer: Person
    payer: Person
    consignee: str
    consignee_phone: str
    address: str
    district_code: str
    district_label: str  # province, city and district of the address
    lines: list[Line]
    freight: Decimal
    discount: Decimal
    time: int = 0  # seconds after midnight when the order is placed
    patterns: list[str] = field(default_factory=list)
    # amounts (see finalize)
    goods_value: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    actural_paid: Decimal = Decimal(0)
    amount_paid: Decimal = Decimal(0)
    # identifiers (see number)
    order_no: str = ""
    pay_transaction_id: str = ""
    logistics_no: str = ""
    cop_no: str = ""
    bill_no: str | None = None
    flight: str | None = None
    invt_no: str = ""
    buyer_reg_no: str = ""
    # the list's view, where a documents_disagree order makes it differ
    list_logistics: Enterprise | None = None
    list_logistics_no: str = ""
    list_qty: dict[int, int] = field(default_factory=dict)  # gnum -> qty on the list
    disagreement: str | None = None  # documents_disagree: amount, qty or waybill
    # later events
    first_address: str | None = None  # set when the order is modified (appType 2)
    cancel_reason: str | None = None
    return_reason: str | None = None

    @property
    def agent(self) -> Enterprise:
        return self.seller.agent

    @property
    def ebc(self) -> Enterprise:
        return self.seller.enterprise

    @property
    def bonded(self) -> bool:
        return self.trade_mode == "1210"

    def finalize(self) -> None:
        """Compute the amounts from the lines, freight and discount."""
        totals = [line.total for line in self.lines]
        taxes = order_taxes(
            totals,
            self.freight,
            [(line.goods.vat, catalogue_ct(line.goods, line.price)) for line in self.lines],
        )
        self.goods_value = sum(totals, Decimal(0))
        self.discount = min(self.discount, money(self.goods_value / 10))  # coupons: <= 10%
        self.tax_total = sum(taxes, Decimal(0))
        self.actural_paid = self.goods_value + self.freight + self.tax_total - self.discount
        self.amount_paid = self.actural_paid

    @property
    def transaction_value(self) -> Decimal:
        """What counts against the per-order and annual limits."""
        return self.goods_value + self.freight


def _choose(rng: random.Random, weighted: list[tuple[Enterprise, float]]) -> Enterprise:
    return rng.choices([e for e, _ in weighted], weights=[w for _, w in weighted])[0]


#: Shares of consumers living with an earlier consumer, and receiving at a collection point
#: (used by about ``COLLECTION_USERS`` consumers each).
HOUSEHOLD_SHARE = 0.05
COLLECTION_SHARE = 0.06
COLLECTION_USERS = 12
_COLLECTION_POINTS = ("菜鸟驿站", "学生公寓收发室", "大厦前台", "丰巢快递柜", "物业服务中心")


class OrderFactory:
    """Makes honest orders; the fraud patterns reuse its parts."""

    def __init__(self, market: Market, people: People, rng: random.Random, day: date) -> None:
        self.market = market
        self.people = people
        self.rng = rng
        self.day = day
        self.count = 0
        self.year_totals: dict[str, Decimal] = {}
        self.platform_cum = list(accumulate(p.share for p in market.platforms))
        self.consumers: list[Person] = []

    def add_consumers(self, count: int) -> None:
        """``count`` consumers: most with a home of their own, some sharing a household
        with an earlier one (``HOUSEHOLD_SHARE``), some receiving their parcels at a
        collection point that many unrelated consumers of the district use
        (``COLLECTION_SHARE``: a campus dormitory, an office reception, a parcel station)."""
        rng = self.rng
        points: list[Person] = []
        for _ in range(count):
            draw = rng.random()
            if draw < HOUSEHOLD_SHARE and self.consumers:
                self.consumers.append(self.people.relative(rng.choice(self.consumers)))
            elif draw < HOUSEHOLD_SHARE + COLLECTION_SHARE:
                if not points or rng.random() < 1 / COLLECTION_USERS:
                    at = self.people.person()
                    point = rng.choice(_COLLECTION_POINTS)
                    points.append(replace(at, street=at.street.split("号")[0] + "号" + point))
                point_of = rng.choice(points)
                person = self.people.person(point_of.province, point_of.district)
                self.consumers.append(replace(person, street=point_of.street))
            else:
                self.consumers.append(self.people.person())

    # --- parts ---

    def order_time(self) -> int:
        hour = weighted(self.rng, _HOURS, _HOURLY_CUM)
        return min(hour * 3600 + int(self.rng.random() * 3600), LAST_ORDER)

    def platform(self) -> Platform:
        return weighted(self.rng, self.market.platforms, self.platform_cum)

    def seller(self, platform: Platform) -> Seller:
        if platform.self_operated is not None and self.rng.random() < 0.6:
            return platform.self_operated
        return self.rng.choice(platform.sellers)

    def lines(self, seller: Seller, *, bonded: bool = False) -> list[Line]:
        """One to three lines of the seller's goods (only goods stocked in a zone if
        ``bonded``)."""
        rng = self.rng
        count = weighted(rng, _LINES, _LINES_CUM)
        stock = [o for o in seller.offers if o.goods.bonded] if bonded else seller.offers
        offers = rng.sample(stock, min(count, len(stock)))
        lines = []
        for gnum, offer in enumerate(offers, start=1):
            qty = 1
            if offer.price < 1000:
                qty = weighted(rng, _QTY, _QTY_CUM)
            lines.append(Line(gnum, offer.goods, qty, offer.price, offer.item_record_no))
        return lines

    def freight(self) -> Decimal:
        if self.rng.random() < 0.65:
            return Decimal("0.00")
        return Decimal(self.rng.choice((5, 8, 10, 12, 15, 20, 25, 30))).quantize(Decimal("0.01"))

    def discount(self, goods_value: Decimal) -> Decimal:
        if self.rng.random() < 0.75:
            return Decimal("0.00")
        coupon = Decimal(self.rng.choice((5, 10, 20, 30, 50)))
        return money(min(coupon, goods_value / 10))

    def honest_buyer(self, value: Decimal) -> Person:
        """A consumer who stays well inside the annual limit with this order."""
        for _ in range(50):
            buyer = self.rng.choice(self.consumers)
            if self.year_totals.get(buyer.id_number, Decimal(0)) + value <= HONEST_ANNUAL_CAP:
                return buyer
        buyer = self.people.person()
        self.consumers.append(buyer)
        return buyer

    def trade_mode(self, lines: list[Line], bonded_share: float) -> str:
        """1210 for a share of the orders whose goods can all be stocked in a zone."""
        stocked = all(line.goods.bonded for line in lines)
        return "1210" if stocked and self.rng.random() < bonded_share else "9610"

    def pick(self, bonded_share: float) -> tuple[Platform, Seller, str]:
        """A platform, a seller on it and the trade mode (1210 for ``bonded_share`` of the
        orders, from a seller with goods in a zone)."""
        platform = self.platform()
        seller = self.seller(platform)
        if self.rng.random() >= bonded_share:
            return platform, seller, "9610"
        for _ in range(10):
            if any(o.goods.bonded for o in seller.offers):
                return platform, seller, "1210"
            seller = self.seller(platform)
        return platform, seller, "9610"

    # --- orders ---

    def order(
        self,
        *,
        platform: Platform,
        seller: Seller,
        lines: list[Line],
        buyer: Person,
        bonded_share: float,
        payer: Person | None = None,
        payment: Enterprise | None = None,
        consignee: Person | None = None,
        address: tuple[str, str] | None = None,
        freight: Decimal | None = None,
        trade_mode: str | None = None,
    ) -> Order:
        """An order; anything not given is drawn as for an honest order."""
        rng = self.rng
        freight = self.freight() if freight is None else freight
        lines = cap_to_limit(lines, freight)
        if consignee is None:
            consignee = buyer if rng.random() < 0.85 else self.people.relative(buyer)
        full_address, district = address or (consignee.address, consignee.district.code)
        label = consignee.district.label if address is None else ""
        mode = trade_mode or self.trade_mode(lines, bonded_share)
        sender = platform.enterprise
        if rng.random() >= platform.sends_orders:
            sender = seller.enterprise
        order = Order(
            index=self.count,
            platform=platform,
            seller=seller,
            sender=sender,
            payment=payment or _choose(rng, platform.payments),
            logistics=rng.choice(self.market.logistics[seller.site.key]),
            site=seller.site,
            trade_mode=mode,
            area=self.market.areas[seller.site.key] if mode == "1210" else None,
            buyer=buyer,
            payer=payer or buyer,
            consignee=consignee.name,
            consignee_phone=consignee.phone,
            address=full_address,
            district_code=district,
            district_label=label,
            lines=lines,
            freight=freight,
            discount=Decimal("0.00"),
            time=self.order_time(),
        )
        self.count += 1
        order.discount = self.discount(sum((line.total for line in lines), Decimal(0)))
        order.finalize()
        self.year_totals[buyer.id_number] = (
            self.year_totals.get(buyer.id_number, Decimal(0)) + order.transaction_value
        )
        return order

    def honest(self, bonded_share: float) -> Order:
        """An order as most are: a consumer buys one to three items on a platform."""
        platform, seller, mode = self.pick(bonded_share)
        lines = self.lines(seller, bonded=mode == "1210")
        value = sum((line.total for line in lines), Decimal(0))
        buyer = self.honest_buyer(min(value, ORDER_LIMIT))
        return self.order(
            platform=platform,
            seller=seller,
            lines=lines,
            buyer=buyer,
            bonded_share=bonded_share,
            trade_mode=mode,
        )


def cap_to_limit(lines: list[Line], freight: Decimal, limit: Decimal = ORDER_LIMIT) -> list[Line]:
    """Reduce quantities (then drop lines) until goods and freight fit under ``limit``."""
    lines = list(lines)
    while lines and sum((x.total for x in lines), Decimal(0)) + freight > limit:
        biggest = max(lines, key=lambda x: x.total)
        if biggest.qty > 1:
            biggest.qty -= 1
        elif len(lines) > 1:
            lines.remove(biggest)
        else:
            break
    for gnum, line in enumerate(lines, start=1):
        line.gnum = gnum
    return lines


def line_of(offer: Offer, qty: int, gnum: int = 1, price: Decimal | None = None) -> Line:
    """An order line for ``qty`` of an offer (at its price unless ``price`` is given)."""
    return Line(
        gnum, offer.goods, qty, offer.price if price is None else price, offer.item_record_no
    )


# --- numbering ----------------------------------------------------------------------------

#: IATA prefixes of the airlines' air waybills.
_AWB_PREFIX = {"CZ": "784", "MU": "781", "ZH": "479", "CA": "999", "3U": "876", "FM": "774",
               "HU": "880"}  # fmt: skip


class Numbering:
    """Business numbers: order, payment, waybill, list; unique and increasing per issuer."""

    def __init__(self, rng: random.Random, day: date) -> None:
        self.rng = rng
        self.stamp = f"{day:%Y%m%d}"
        self.year = f"{day:%Y}"
        self.counters: dict[str, int] = {}
        self.flights: dict[tuple[str, int], tuple[str, str]] = {}

    def _next(self, key: str, start: int, step: int) -> int:
        value = self.counters.get(key)
        value = start + self.rng.randrange(start) if value is None else value
        value += 1 + self.rng.randrange(step)
        self.counters[key] = value
        return value

    def order_no(self, platform: Enterprise) -> str:
        return f"{platform.prefix}{self.stamp}{self._next('o' + platform.code, 10**7, 9):08d}"

    def pay_transaction_id(self, payment: Enterprise) -> str:
        return f"{payment.prefix}{self.stamp}{self._next('p' + payment.code, 10**11, 50):012d}"

    def logistics_no(self, logistics: Enterprise) -> str:
        return f"{logistics.prefix}{self._next('l' + logistics.code, 10**11, 3):012d}"

    def cop_no(self, agent: Enterprise) -> str:
        return f"{agent.prefix}{self.stamp}{self._next('c' + agent.code, 10**9, 2):010d}"

    def invt_no(self, customs: str) -> str:
        return f"{customs}{self.year}I{self._next('i' + customs, 10**8, 3):09d}"

    def flight(self, site: Site, time: int) -> tuple[str, str]:
        """The flight (number, master air waybill) carrying a parcel ordered at ``time``.

        One flight every three hours per site; parcels ordered before it leave on it.
        """
        slot = time // 10_800
        key = (site.key, slot)
        found = self.flights.get(key)
        if found is None:
            number = f"{site.airline}{self.rng.randrange(1000, 9999)}"
            serial = self.rng.randrange(10**6, 10**7)
            awb = f"{_AWB_PREFIX[site.airline]}-{serial}{serial % 7}"
            found = self.flights[key] = (number, awb)
        return found

    def number(self, order: Order) -> None:
        """Give ``order`` its business numbers (call in order-time order)."""
        order.order_no = self.order_no(order.platform.enterprise)
        order.pay_transaction_id = self.pay_transaction_id(order.payment)
        order.logistics_no = self.logistics_no(order.logistics)
        order.list_logistics = order.logistics
        order.list_logistics_no = order.logistics_no
        order.cop_no = self.cop_no(order.agent)
        customs = order.site.bonded_customs if order.bonded else order.site.direct_customs
        order.invt_no = self.invt_no(customs)
        account = int(order.buyer.id_number[6:17]) * 7_919 % 10**9
        order.buyer_reg_no = f"{order.platform.enterprise.prefix.lower()}{account:09d}"
        if not order.bonded:
            order.flight, order.bill_no = self.flight(order.site, order.time)
