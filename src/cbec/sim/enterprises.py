"""The enterprises of a simulated market: who sells where, who pays, ships and declares.

Every enterprise gets a 10-character customs registration code and an 18-character unified
social credit code (USCC, GB 32100). A customs code reads region (4 digits: the
administrative prefix of the city) + economic zone type (6 a comprehensive bonded zone,
9 elsewhere) + kind of enterprise (6 private, 4 foreign-owned, 8 customs broker) + serial,
so ``4401960001`` is a private company in Guangzhou outside a zone. A USCC reads
registering authority 9 (market regulation) + type 1 (enterprise) + the 6-digit division
code + the 9-character organisation code (GB 11714, with its own check digit) + the
GB 32100 check digit. The customs (关区) codes of the sites below are modelled on the
districts of Guangzhou (51xx), Hangzhou (29xx), Ningbo (31xx), Zhengzhou (46xx), Chongqing
(80xx), Shanghai (22xx) and Haikou (64xx) customs; they are illustrative, not checked.

The first three enterprises are those of ``tests/fixtures/xml/ceb311_order.xml``, so the
sample order is filed under the registry that ``cbec sim`` writes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from stdnum.cn import uscc

from cbec.registry.roles import Role
from cbec.sim.goods import CATALOGUE, Goods, by_category


@dataclass(frozen=True, slots=True)
class Site:
    """A city with a comprehensive bonded zone (1210) and an airport (9610)."""

    key: str
    city: str
    region: str  # first 4 characters of the customs codes of enterprises registered here
    division: str  # administrative division code in the USCC
    zone: str  # the bonded zone
    bonded_customs: str  # declaring customs and port for bonded (1210) lists
    direct_customs: str  # declaring customs for direct purchase (9610) lists
    direct_port: str  # port of entry for direct purchase (9610) lists
    airline: str  # two-letter code of the airline flying parcels in


SITES: tuple[Site, ...] = (
    Site("GZ", "广州", "4401", "440115", "南沙综合保税区", "5165", "5141", "5141", "CZ"),
    Site("HZ", "杭州", "3301", "330114", "杭州综合保税区", "2991", "2992", "2992", "MU"),
    Site("NB", "宁波", "3302", "330206", "宁波保税区", "3105", "3104", "3104", "ZH"),
    Site("ZZ", "郑州", "4101", "410173", "郑州新郑综合保税区", "4612", "4604", "4604", "CA"),
    Site("CQ", "重庆", "5000", "500106", "重庆西永综合保税区", "8013", "8012", "8012", "3U"),
    Site("SH", "上海", "3101", "310115", "洋山特殊综合保税区", "2249", "2233", "2233", "FM"),
    Site("HK", "海口", "4601", "460106", "海口综合保税区", "6402", "6401", "6401", "HU"),
)
SITE_BY_KEY: dict[str, Site] = {s.key: s for s in SITES}


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One filed enterprise, as written to ``registry.json`` (plus simulation details)."""

    code: str
    uscc: str
    name: str
    roles: tuple[str, ...]
    status: str
    filing_date: date
    dxp_id: str
    site: str
    prefix: str  # two letters this enterprise puts in front of its numbers

    def registry_entry(self) -> dict[str, object]:
        """The ``cbec-registry/1`` entry."""
        return {
            "customsCode": self.code,
            "uscc": self.uscc,
            "name": self.name,
            "roles": list(self.roles),
            "status": self.status,
            "filingDate": self.filing_date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Offer:
    """A catalogue item an e-commerce enterprise sells, at its own price."""

    goods: Goods
    price: Decimal
    item_record_no: str  # the bonded item record number (1210)


@dataclass(slots=True)
class Seller:
    """An e-commerce enterprise (ebc): where it stocks goods, who declares for it, what."""

    enterprise: Enterprise
    site: Site
    agent: Enterprise
    offers: list[Offer]
    ems_no: str  # its bonded account book in the zone


@dataclass(slots=True)
class Platform:
    """An e-commerce platform, its sellers and the payment companies its buyers use."""

    enterprise: Enterprise
    share: float  # of all (honest) orders
    sellers: list[Seller]
    payments: list[tuple[Enterprise, float]]
    sends_orders: float  # share of orders the platform itself sends (the rest: the seller)
    self_operated: Seller | None = None  # the platform selling its own goods


@dataclass(slots=True)
class Market:
    """Everything filed with customs for one simulated day."""

    enterprises: list[Enterprise]
    platforms: list[Platform]  # honest platforms
    fake_platform: Platform
    colluding_payment: Enterprise
    logistics: dict[str, list[Enterprise]]  # by site key
    areas: dict[str, Enterprise]  # bonded zone operator, by site key


# --- codes --------------------------------------------------------------------------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body: str) -> str:
    """The 9-character GB 11714 organisation code for an 8-digit ``body``.

    >>> organisation_code("60003734")
    '600037341'
    """
    total = sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(division: str, org_body: str) -> str:
    """A valid USCC: ``91`` + division + organisation code + GB 32100 check digit.

    >>> make_uscc("110000", "60003734")
    '91110000600037341L'
    """
    body = "91" + division + organisation_code(org_body)
    return body + uscc.calc_check_digit(body)


class _Codes:
    """Hands out unique customs codes, USCCs and DXP ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serials: dict[str, int] = {}
        self.used: set[str] = set()

    def customs(self, region: str, zone: str, kind: str) -> str:
        while True:
            serial = self.serials.get(region, 0) + 1
            self.serials[region] = serial
            code = f"{region}{zone}{kind}{serial:04d}"
            if code not in self.used:
                self.used.add(code)
                return code

    def uscc(self, division: str) -> str:
        while True:
            value = make_uscc(division, f"{self.rng.randrange(10_000_000, 100_000_000)}")
            if value not in self.used:
                self.used.add(value)
                return value

    def dxp(self) -> str:
        return f"DXPENT{self.rng.randrange(10**9, 10**10)}"


_PREFIX_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codes = _Codes(rng)
        self.enterprises: list[Enterprise] = []
        self.names: set[str] = set()
        self.prefixes: set[str] = set()

    def filing_date(self, first: date = date(2016, 1, 1), last: date = date(2025, 12, 31)) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def prefix(self) -> str:
        while True:
            value = "".join(self.rng.choice(_PREFIX_LETTERS) for _ in range(2))
            if value not in self.prefixes:
                self.prefixes.add(value)
                return value

    def add(
        self,
        name: str,
        roles: tuple[Role, ...],
        site: Site,
        *,
        zone: str = "9",
        kind: str = "6",
        code: str | None = None,
        uscc_value: str | None = None,
        division: str | None = None,
        filed: date | None = None,
        status: str = "active",
    ) -> Enterprise:
        if name in self.names:
            raise ValueError(f"duplicate enterprise name {name}")
        self.names.add(name)
        if code is None:
            code = self.codes.customs(site.region, zone, kind)
        else:
            self.codes.used.add(code)
        enterprise = Enterprise(
            code=code,
            uscc=uscc_value or self.codes.uscc(division or site.division),
            name=name,
            roles=tuple(str(r) for r in roles),
            status=status,
            filing_date=filed or self.filing_date(),
            dxp_id=self.codes.dxp(),
            site=site.key,
            prefix=self.prefix(),
        )
        self.enterprises.append(enterprise)
        return enterprise

    def unique_name(self, make: list[str], suffixes: list[str], city: str) -> str:
        for _ in range(1000):
            name = f"{city}{self.rng.choice(make)}{self.rng.choice(suffixes)}"
            if name not in self.names:
                return name
        raise RuntimeError("ran out of enterprise names")


_WORDS = [
    "环球", "优品", "海悦", "嘉禾", "瑞丰", "恒信", "佳源", "禾美", "臻品", "汇通", "博源",
    "欣荣", "德润", "鼎盛", "卓越", "锦程", "华美", "康泰", "鸿运", "美联", "易达", "优贝",
    "爱婴", "乐购", "海蓝", "新澳", "纽澜", "日和", "韩品", "欧悦", "盛世", "晨光", "悦享",
    "金帆", "远航", "启明", "丰泽", "安吉", "泰和", "明德", "天逸", "蓝湾", "百川", "云帆",
]  # fmt: skip
_EBC_SUFFIXES = [
    "贸易有限公司", "国际贸易有限公司", "电子商务有限公司", "供应链管理有限公司",
    "跨境电子商务有限公司", "进出口有限公司",
]  # fmt: skip
_SPECIALITIES: list[tuple[str, ...]] = [
    ("cosmetics",), ("cosmetics", "personal_care"), ("infant",), ("infant", "personal_care"),
    ("health",), ("health", "food"), ("food", "wine"), ("wine",), ("shoes", "bags"),
    ("bags", "accessories", "apparel"), ("appliance",), ("appliance", "personal_care"),
    ("seafood",), ("cosmetics", "health"), ("infant", "health"),
]  # fmt: skip


def _price(rng: random.Random, goods: Goods) -> Decimal:
    """A seller's price: somewhere in the range, ending in 0, 8 or 9 yuan (or .90)."""
    low, high = int(goods.price_min), int(goods.price_max)
    value = rng.randint(low, high)
    value = max(low, value - value % 10 + rng.choice((0, 8, 9)))
    if value > high:
        value = high
    cents = rng.choice(("0.00", "0.00", "0.00", "0.90"))
    price = Decimal(value) + Decimal(cents)
    return min(price, goods.price_max)


def _offers(
    rng: random.Random, seller_code: str, site: Site, categories: tuple[str, ...], count: int
) -> list[Offer]:
    pool = [g for c in categories for g in by_category(c)]
    chosen = rng.sample(pool, min(count, len(pool)))
    chosen.sort(key=CATALOGUE.index)
    return [
        Offer(
            goods=g,
            price=_price(rng, g),
            item_record_no=f"{site.key}{site.bonded_customs}{seller_code[-6:]}{CATALOGUE.index(g):04d}",
        )
        for g in chosen
    ]


def build_market(rng: random.Random) -> Market:
    """The market: platforms, sellers, payment, logistics, brokers and zone operators."""
    b = _Builder(rng)
    gz = SITE_BY_KEY["GZ"]

    # The sample order's enterprises (tests/fixtures/xml/ceb311_order.xml).
    sample_platform = b.add(
        "南沙优选跨境平台", (Role.PLATFORM,), gz, code="4401960001", filed=date(2024, 3, 1)
    )
    sample_seller = b.add(
        "广州环球优品贸易有限公司", (Role.ECOMMERCE,), gz, code="4401960002",
        filed=date(2024, 3, 1),
    )  # fmt: skip
    sample_payment = b.add(
        "广州快付支付有限公司", (Role.PAYMENT,), gz, code="4401960003", filed=date(2024, 3, 1)
    )

    # Payment companies.
    payments = [sample_payment]
    for name, site_key in (
        ("杭州云汇支付服务有限公司", "HZ"),
        ("上海浦联支付科技有限公司", "SH"),
        ("上海申汇通支付有限公司", "SH"),
        ("广州南粤易付科技有限公司", "GZ"),
    ):
        payments.append(b.add(name, (Role.PAYMENT,), SITE_BY_KEY[site_key]))
    colluding = b.add(
        "广州粤捷付网络科技有限公司",
        (Role.PAYMENT,),
        gz,
        filed=date(2026, 8, 18),
    )

    # Per site: bonded zone operator, two logistics companies, two customs brokers.
    areas: dict[str, Enterprise] = {}
    logistics: dict[str, list[Enterprise]] = {}
    agents: dict[str, list[Enterprise]] = {}
    carriers = ["国际物流", "供应链", "国际货运代理", "速递", "跨境物流"]
    brokers = ["报关有限公司", "报关行有限公司", "国际报关有限公司", "关务服务有限公司"]
    for site in SITES:
        areas[site.key] = b.add(
            f"{site.city}{site.zone.removeprefix(site.city)}仓储管理有限公司",
            (Role.AREA,),
            site,
            zone="6",
        )
        logistics[site.key] = [
            b.add(b.unique_name(_WORDS, [c + "有限公司" for c in carriers], site.city),
                  (Role.LOGISTICS,), site)
            for _ in range(2)
        ]  # fmt: skip
        agents[site.key] = [
            b.add(b.unique_name(_WORDS, brokers, site.city), (Role.AGENT,), site, kind="8")
            for _ in range(2)
        ]

    accounts: set[str] = set()

    def account(site: Site) -> str:
        # A bonded account is one enterprise's: drawn again on the rare collision (clearance
        # sends a list naming another enterprise's account to review, C11.account).
        while True:
            ems_no = f"T{site.bonded_customs}W{rng.randrange(10**6):06d}"
            if ems_no not in accounts:
                accounts.add(ems_no)
                return ems_no

    def seller(enterprise: Enterprise, site: Site, categories: tuple[str, ...], n: int) -> Seller:
        return Seller(
            enterprise=enterprise,
            site=site,
            agent=rng.choice(agents[site.key]),
            offers=_offers(rng, enterprise.code, site, categories, n),
            ems_no=account(site),
        )

    def sellers(site_keys: list[str], count: int) -> list[Seller]:
        out = []
        for _ in range(count):
            site = SITE_BY_KEY[rng.choice(site_keys)]
            name = b.unique_name(_WORDS, _EBC_SUFFIXES, site.city)
            foreign = rng.random() < 0.3
            enterprise = b.add(
                name, (Role.ECOMMERCE,), site, zone="6" if rng.random() < 0.5 else "9",
                kind="4" if foreign else "6",
            )  # fmt: skip
            out.append(seller(enterprise, site, rng.choice(_SPECIALITIES), rng.randint(3, 7)))
        return out

    honest: list[Platform] = []
    first_sellers = [seller(sample_seller, gz, ("infant", "cosmetics"), 6), *sellers(["GZ"], 7)]
    honest.append(
        Platform(
            sample_platform, 0.24, first_sellers, [(sample_payment, 0.5), (payments[4], 0.5)], 0.8
        )
    )
    # name, site, share of orders, payment companies (indexes into payments, by use),
    # share of orders the platform sends itself, sites of its sellers
    for name, site_key, share, pay, own, mine in (
        ("钱塘全球购", "HZ", 0.22, [1, 2, 0], 0.9, ["HZ", "NB"]),
        ("甬城海淘", "NB", 0.12, [1, 3], 0.7, ["NB", "HZ"]),
        ("中原e购国际", "ZZ", 0.12, [3, 2], 0.8, ["ZZ"]),
        ("浦江国际购", "SH", 0.14, [2, 1, 4], 0.85, ["SH", "NB"]),
        ("椰城免税购", "HK", 0.06, [0, 4], 0.75, ["HK"]),
    ):
        site = SITE_BY_KEY[site_key]
        platform = b.add(name, (Role.PLATFORM,), site)
        weights = [0.6, 0.3, 0.1][: len(pay)]
        honest.append(
            Platform(
                platform,
                share,
                sellers(mine, rng.randint(5, 8)),
                [(payments[i], w) for i, w in zip(pay, weights, strict=True)],
                own,
            )
        )
    # A platform that also sells its own goods: one code as ebpCode and ebcCode.
    cq = SITE_BY_KEY["CQ"]
    own_shop = b.add("山城跨境优品商城", (Role.PLATFORM, Role.ECOMMERCE), cq)
    own_seller = seller(own_shop, cq, ("cosmetics", "infant", "health", "food"), 14)
    honest.append(
        Platform(
            own_shop,
            0.10,
            [own_seller, *sellers(["CQ"], 4)],
            [(payments[2], 0.5), (payments[3], 0.5)],
            1.0,
            self_operated=own_seller,
        )
    )

    # The fake platform: filed recently, paid only through the small colluding company.
    fake = b.add("环球臻选商城", (Role.PLATFORM,), gz, filed=date(2026, 9, 6))
    fake_sellers = [
        seller(
            b.add(b.unique_name(_WORDS, _EBC_SUFFIXES, gz.city), (Role.ECOMMERCE,), gz,
                  filed=date(2026, 9, 10) + timedelta(days=i)),
            gz,
            ("health", "cosmetics"),
            5,
        )
        for i in range(2)
    ]  # fmt: skip
    fake_platform = Platform(fake, 0.0, fake_sellers, [(colluding, 1.0)], 1.0)

    # Registry noise: filed enterprises that send nothing today.
    b.add(b.unique_name(_WORDS, _EBC_SUFFIXES, "宁波"), (Role.ECOMMERCE,), SITE_BY_KEY["NB"],
          status="revoked")  # fmt: skip
    b.add(b.unique_name(_WORDS, ["速递有限公司"], "郑州"), (Role.LOGISTICS,), SITE_BY_KEY["ZZ"],
          status="suspended")  # fmt: skip

    return Market(
        enterprises=b.enterprises,
        platforms=honest,
        fake_platform=fake_platform,
        colluding_payment=colluding,
        logistics=logistics,
        areas=areas,
    )
