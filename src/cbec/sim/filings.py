"""What the enterprises of a simulated day filed or will pay besides their messages: the
product catalogue of each platform (``catalogues.json``, ``cbec-catalogues/1``) and how each
guarantee pays the month's tax statement (``tax.json``, ``cbec-tax/1``).

The story: honest platforms file the goods their sellers sell, before the day; on one of
them (the marketplace ``甬城海淘``) the sellers file their own goods instead, and one
platform's catalogue is a little stale (one item its sellers sell was never filed). The
fake platform filed a token catalogue: two items of other goods, none of what it clears.
Honest guarantees (each seller stands guarantee for its lists) mostly pay by the due date,
some a few days late, some in two parts; the fake platform's sellers pay nothing, or a
part, late. Drawn from their own generator, so the messages of a seed do not change.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from cbec.sim.enterprises import Platform, Seller
from cbec.sim.goods import CATALOGUE, Goods
from cbec.sim.simulation import Day

CATALOGUES_FORMAT = "cbec-catalogues/1"
TAX_FORMAT = "cbec-tax/1"
#: the honest platform whose sellers file their own catalogues
MARKETPLACE = "甬城海淘"

_BRANDS = (
    "SAKURA", "LUMIÈRE", "KIWI VALE", "NORDMILK", "HANA", "OCEANIA", "BELLA NOTTE", "ALPENHOF",
    "MAPLE LEAF", "GOLDEN COAST", "SEOUL DEW", "RIVIERA", "AURORA", "EDELWEISS", "PACIFICA",
)  # fmt: skip


def brand_of(goods: Goods) -> str:
    """A made-up brand per catalogue item (the same on every platform)."""
    return _BRANDS[CATALOGUE.index(goods) % len(_BRANDS)]


def _item(goods: Goods, filed_on: date) -> dict[str, str]:
    return {
        "itemNo": goods.sku,
        "goodsName": goods.name,
        "hsCode": goods.hs,
        "brand": brand_of(goods),
        "spec": goods.gmodel,
        "filedOn": filed_on.isoformat(),
    }


def _goods_of(sellers: list[Seller]) -> list[Goods]:
    found = {o.goods for s in sellers for o in s.offers}
    return sorted(found, key=CATALOGUE.index)


def _filed_on(rng: random.Random, filing: date, day: date) -> date:
    """Some day between the enterprise's filing and a week before the simulated day."""
    first, last = filing, day - timedelta(days=7)
    if last <= first:
        return min(first, day)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def catalogues_document(day: Day) -> dict[str, Any]:
    """``catalogues.json``: the catalogues filed by the day's platforms and sellers."""
    rng = random.Random(f"cbec-sim/{day.options.seed}/catalogues")
    on = day.options.day
    market = day.market
    out: list[dict[str, Any]] = []
    stale = rng.choice([p for p in market.platforms if p.enterprise.name != MARKETPLACE])
    for platform in market.platforms:
        if platform.enterprise.name == MARKETPLACE:
            for seller in platform.sellers:
                filed = _filed_on(rng, seller.enterprise.filing_date, on)
                items = [_item(g, filed) for g in _goods_of([seller])]
                out.append({"enterpriseCode": seller.enterprise.code, "items": items})
            continue
        goods = _goods_of(platform.sellers)
        if platform is stale and len(goods) > 8:
            goods.remove(rng.choice(goods))  # never filed: a small share of its lines
        filed = _filed_on(rng, platform.enterprise.filing_date, on)
        out.append(
            {"enterpriseCode": platform.enterprise.code, "items": [_item(g, filed) for g in goods]}
        )
    fake = market.fake_platform
    sold = set(_goods_of(fake.sellers))
    others = [g for g in CATALOGUE if g not in sold]
    token = sorted(rng.sample(others, 2), key=CATALOGUE.index)
    out.append(
        {
            "enterpriseCode": fake.enterprise.code,
            "items": [_item(g, fake.enterprise.filing_date) for g in token],
        }
    )
    out.sort(key=lambda c: c["enterpriseCode"])
    return {"format": CATALOGUES_FORMAT, "catalogues": out}


def _guarantees(platforms: list[Platform]) -> list[Seller]:
    seen: dict[str, Seller] = {}
    for platform in platforms:
        for seller in platform.sellers:
            seen.setdefault(seller.enterprise.code, seller)
    return [seen[code] for code in sorted(seen)]


def tax_document(day: Day) -> dict[str, Any]:
    """``tax.json``: how each guarantee pays the statement of the day's month: payments as
    days after the due date (negative: before) and shares of the stated total."""
    rng = random.Random(f"cbec-sim/{day.options.seed}/tax")
    payers: dict[str, Any] = {}
    for seller in _guarantees(day.market.platforms):
        draw = rng.random()
        if draw < 0.8:
            payments = [{"daysAfterDue": -rng.randint(0, 10), "share": 1.0}]
        elif draw < 0.9:
            payments = [
                {"daysAfterDue": -rng.randint(5, 12), "share": 0.6},
                {"daysAfterDue": -rng.randint(0, 4), "share": 0.4},
            ]
        else:
            payments = [{"daysAfterDue": rng.randint(1, 8), "share": 1.0}]
        payers[seller.enterprise.code] = {"story": "honest", "payments": payments}
    fake_sellers = sorted(day.market.fake_platform.sellers, key=lambda s: s.enterprise.code)
    for index, seller in enumerate(fake_sellers):
        payments = [] if index % 2 == 0 else [{"daysAfterDue": rng.randint(15, 25), "share": 0.3}]
        payers[seller.enterprise.code] = {"story": "fake_platform", "payments": payments}
    return {
        "format": TAX_FORMAT,
        "day": day.options.day.isoformat(),
        "guarantees": dict(sorted(payers.items())),
    }
