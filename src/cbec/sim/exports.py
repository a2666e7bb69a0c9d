"""A simulated month of exports: export orders (CEB303) and lists (CEB603) in 9610 retail,
9710 B2B direct and 9810 overseas-warehouse modes, most with the summary flag B, a few
summary applications (CEB701), and a few lists planted to disagree with their order.
Every list has its waybill (CEB505, from the carrier); each day the site operator reports
the day's waybills arrived (CEB507) and the carrier reports them gone the next day
(CEB509), except a few lists planted without an arrival (they wait, never released) and
a few released but not yet gone (released, left out of the summary).

``cbec sim-exports --month 2026-10 --lists 5000 --out DIR`` writes ``registry.json`` (the
same market as ``cbec sim``), ``messages/`` in arrival order and ``exports-truth.json``
(the lists planted to be rejected, per trade mode counts).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cbec.messages import codec
from cbec.messages.models import (
    CEB303Message,
    CEB505Message,
    CEB507Message,
    CEB509Message,
    CEB603Message,
    CEB701Message,
    DeclarationMessage,
)
from cbec.sim.enterprises import Enterprise, Market, Seller, build_market
from cbec.sim.simulation import registry_document
from cbec.sim.writer import message_name

TRUTH_FORMAT = "cbec-exports-truth/1"
#: customs country codes of common destinations: USA, UK, Germany, Japan, Korea,
#: Singapore, Australia, France, Canada, Malaysia
COUNTRIES = ("502", "303", "304", "116", "133", "132", "601", "305", "501", "122")
#: transport mode: air, sea, road
TRAF_MODES = (("5", 0.7), ("2", 0.2), ("4", 0.1))
MODES = (("9610", 0.7), ("9710", 0.2), ("9810", 0.1))
#: an arrival report or departure: (day, carrier, site operator, customs code)
Report = tuple[date, Enterprise, Enterprise, str]


@dataclass(frozen=True, slots=True)
class Options:
    month: str = "2026-10"
    lists: int = 1000
    seed: int = 1
    #: share of lists with the summary flag B (the rest: A, simplified)
    summary_share: float = 0.85
    #: share of lists made to disagree with their order (rejected)
    bad_share: float = 0.02
    #: share of sellers that file a summary application (itemNameFlag 1)
    applying_share: float = 0.2
    #: share of lists whose goods no arrival report names (they wait, never released)
    no_arrival_share: float = 0.02
    #: share of lists whose goods arrive but have not left (released, not summarised)
    not_exited_share: float = 0.03
    #: waybills per arrival report or departure message (a longer one is split)
    per_report: int = 500


@dataclass(slots=True)
class Month:
    options: Options
    market: Market
    #: (day, second, sender code, message type, key, message) in arrival order
    messages: list[tuple[date, int, str, str, str, DeclarationMessage]] = field(
        default_factory=list
    )
    rejected: list[str] = field(default_factory=list)  # copNo of planted bad lists
    #: copNo of the lists planted without an arrival report / without a departure
    no_arrival: list[str] = field(default_factory=list)
    not_exited: list[str] = field(default_factory=list)
    modes: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)

    def truth_document(self) -> dict[str, Any]:
        return {
            "format": TRUTH_FORMAT,
            "month": self.options.month,
            "lists": self.options.lists,
            "tradeModes": dict(sorted(self.modes.items())),
            "statisticsFlags": dict(sorted(self.flags.items())),
            "rejected": sorted(self.rejected),
            "withoutArrival": sorted(self.no_arrival),
            "notExited": sorted(self.not_exited),
        }


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, share in weighted:
        total += share
        if roll < total:
            return value
    return weighted[-1][0]


def _transfer(sender: Enterprise) -> dict[str, str]:
    return {
        "copCode": sender.code,
        "copName": sender.name,
        "dxpMode": "DXP",
        "dxpId": sender.dxp_id,
    }


def generate_month(options: Options) -> Month:
    """Generate the month in memory."""
    year, month = (int(x) for x in options.month.split("-"))
    first = date(year, month, 1)
    days = ((date(year + month // 12, month % 12 + 1, 1)) - first).days
    rng = random.Random(f"cbec-sim-exports/{options.seed}/{options.month}")
    market = build_market(random.Random(f"cbec-sim/{options.seed}/market"))
    sellers: list[tuple[Enterprise, Seller]] = [
        (p.enterprise, s) for p in market.platforms for s in p.sellers
    ]
    out = Month(options, market)
    bad = set(rng.sample(range(options.lists), round(options.lists * options.bad_share)))
    planted = rng.sample(
        [n for n in range(options.lists) if n not in bad],
        round(options.lists * (options.no_arrival_share + options.not_exited_share)),
    )
    no_arrival = set(planted[: round(options.lists * options.no_arrival_share)])
    not_exited = set(planted) - no_arrival
    #: (day, carrier, site operator, customs) -> the waybills arrived / gone
    arrived: dict[Report, list[str]] = {}
    gone: dict[Report, list[str]] = {}
    for n in range(options.lists):
        platform, seller = rng.choice(sellers)
        day = first + timedelta(days=rng.randrange(days))
        second = rng.randrange(8 * 3600, 22 * 3600)
        mode = _pick(rng, MODES)
        flag = "B" if rng.random() < options.summary_share else "A"
        out.modes[mode] += 1
        out.flags[flag] += 1
        offers = rng.sample(seller.offers, min(len(seller.offers), rng.choice((1, 1, 2, 3))))
        lines = [
            (g, o, rng.randint(1, 5 if mode == "9610" else 50)) for g, o in enumerate(offers, 1)
        ]
        order_no = f"EX{options.month.replace('-', '')}{n:08d}"
        cop_no = f"EL{options.month.replace('-', '')}{n:08d}"
        ebc = seller.enterprise
        if mode != "9810":
            total = sum((o.price * q for _, o, q in lines), Decimal(0))
            guid = f"CEB303-{order_no}"
            order = CEB303Message.model_validate(
                {
                    "guid": guid,
                    "order": {
                        "orderHead": {
                            "guid": guid,
                            "appType": "1",
                            "appTime": f"{day:%Y%m%d}{_hms(second)}",
                            "appStatus": "2",
                            "orderType": "E",
                            "orderNo": order_no,
                            "ebpCode": platform.code,
                            "ebpName": platform.name,
                            "ebcCode": ebc.code,
                            "ebcName": ebc.name,
                            "goodsValue": total,
                            "freight": Decimal(0),
                            "currency": "142",
                        },
                        "orderList": [
                            {
                                "gnum": str(g),
                                "itemNo": o.goods.sku,
                                "itemName": o.goods.name,
                                "barCode": o.goods.barcode,
                                "unit": o.goods.unit,
                                "currency": "142",
                                "qty": Decimal(q),
                                "price": o.price,
                                "totalPrice": o.price * q,
                            }
                            for g, o, q in lines
                        ],
                    },
                    "baseTransfer": _transfer(platform),
                }
            )
            out.messages.append((day, second, platform.code, "CEB303", order_no, order))
        listed_lines = lines
        if n in bad and mode != "9810":
            g, o, q = lines[0]
            listed_lines = [(g, o, q + 1), *lines[1:]]
            out.rejected.append(cop_no)
        net = sum((o.goods.net_kg * q for _, o, q in listed_lines), Decimal(0))
        gross = sum((o.goods.gross_kg * q for _, o, q in listed_lines), Decimal("0.1"))
        site = seller.site
        logistics = market.logistics[site.key][0]
        waybill_no = f"EY{options.month.replace('-', '')}{n:08d}"
        out.messages.append(
            (
                day,
                second,
                logistics.code,
                "CEB505",
                waybill_no,
                _waybill(logistics, waybill_no, ebc, day, second, gross, listed_lines),
            )
        )
        operator = market.areas.get(site.key, logistics)
        if n in no_arrival:
            out.no_arrival.append(cop_no)
        else:
            report = (day, logistics, operator, site.direct_customs)
            arrived.setdefault(report, []).append(waybill_no)
            if n in not_exited:
                out.not_exited.append(cop_no)
            elif listed_lines is lines:  # goods of a rejected list never leave
                gone.setdefault(report, []).append(waybill_no)
        guid = f"CEB603-{cop_no}"
        listed = CEB603Message.model_validate(
            {
                "guid": guid,
                "inventory": {
                    "inventoryHead": {
                        "guid": guid,
                        "appType": "1",
                        "appTime": f"{day:%Y%m%d}{_hms(min(second + 600, 86399))}",
                        "appStatus": "2",
                        "customsCode": site.direct_customs,
                        "ebpCode": platform.code,
                        "ebpName": platform.name,
                        "orderNo": order_no,
                        "logisticsCode": logistics.code,
                        "logisticsName": logistics.name,
                        "logisticsNo": waybill_no,
                        "copNo": cop_no,
                        "ieFlag": "E",
                        "portCode": site.direct_port,
                        "ieDate": f"{day:%Y%m%d}",
                        "statisticsFlag": flag,
                        "agentCode": seller.agent.code,
                        "agentName": seller.agent.name,
                        "ebcCode": ebc.code,
                        "ebcName": ebc.name,
                        "ownerCode": ebc.code,
                        "ownerName": ebc.name,
                        "tradeMode": mode,
                        "trafMode": _pick(rng, TRAF_MODES),
                        "country": rng.choice(COUNTRIES),
                        "freight": Decimal(0),
                        "insuredFee": Decimal(0),
                        "currency": "142",
                        "packNo": "1",
                        "grossWeight": gross.quantize(Decimal("0.001")),
                        "netWeight": max(net, Decimal("0.001")).quantize(Decimal("0.001")),
                    },
                    "inventoryList": [
                        {
                            "gnum": str(g),
                            "itemNo": o.goods.sku,
                            "itemName": o.goods.name,
                            "gcode": o.goods.hs,
                            "gname": o.goods.gname,
                            "gmodel": o.goods.gmodel,
                            "barCode": o.goods.barcode,
                            "country": "142",
                            "currency": "142",
                            "qty": Decimal(q),
                            "unit": o.goods.unit,
                            "qty1": o.goods.qty1 * q,
                            "unit1": o.goods.unit1,
                            "price": o.price,
                            "totalPrice": o.price * q,
                        }
                        for g, o, q in listed_lines
                    ],
                },
                "baseTransfer": _transfer(seller.agent),
            }
        )
        out.messages.append((day, second + 1, seller.agent.code, "CEB603", cop_no, listed))
    _applications(out, rng, sellers, first, days)
    _transport(out, arrived, gone)
    out.messages.sort(key=lambda m: (m[0], m[1], m[3], m[4]))
    return out


def _applications(
    out: Month, rng: random.Random, sellers: list[tuple[Enterprise, Seller]], first: date, days: int
) -> None:
    seen: set[str] = set()
    last = first + timedelta(days=days - 1)
    for _, seller in sellers:
        ebc = seller.enterprise
        if ebc.code in seen or rng.random() >= out.options.applying_share:
            continue
        seen.add(ebc.code)
        cop_no = f"SA{out.options.month.replace('-', '')}{len(seen):06d}"
        guid = f"CEB701-{cop_no}"
        message = CEB701Message.model_validate(
            {
                "guid": guid,
                "summaryApply": {
                    "summaryApplyHead": {
                        "guid": guid,
                        "appType": "1",
                        "appTime": f"{last:%Y%m%d}230000",
                        "appStatus": "2",
                        "customsCode": seller.site.direct_customs,
                        "copNo": cop_no,
                        "agentCode": seller.agent.code,
                        "agentName": seller.agent.name,
                        "ebcCode": ebc.code,
                        "ebcName": ebc.name,
                        "declAgentCode": seller.agent.code,
                        "declAgentName": seller.agent.name,
                        "startTime": f"{first:%Y%m%d}",
                        "endTime": f"{last:%Y%m%d}",
                        "summaryFlag": "1",
                        "itemNameFlag": "1",
                    },
                },
                "baseTransfer": _transfer(seller.agent),
            }
        )
        out.messages.append((last, 86000, seller.agent.code, "CEB701", cop_no, message))


def _waybill(
    carrier: Enterprise,
    waybill_no: str,
    ebc: Enterprise,
    day: date,
    second: int,
    gross: Decimal,
    lines: list[Any],
) -> CEB505Message:
    guid = f"CEB505-{waybill_no}"
    return CEB505Message.model_validate(
        {
            "guid": guid,
            "logistics": {
                "guid": guid,
                "appType": "1",
                "appTime": f"{day:%Y%m%d}{_hms(second)}",
                "appStatus": "2",
                "logisticsCode": carrier.code,
                "logisticsName": carrier.name,
                "logisticsNo": waybill_no,
                "freight": Decimal(0),
                "insuredFee": Decimal(0),
                "currency": "142",
                "grossWeight": gross.quantize(Decimal("0.001")),
                "packNo": "1",
                "goodsInfo": "; ".join(o.goods.gname for _, o, _ in lines)[:200],
                "ebcCode": ebc.code,
                "ebcName": ebc.name,
            },
            "baseTransfer": _transfer(carrier),
        }
    )


def _transport(out: Month, arrived: dict[Report, list[str]], gone: dict[Report, list[str]]) -> None:
    """Each day's arrival reports (sent by the site operator at the end of the day) and
    departures (sent by the carrier the next morning), split every ``per_report``
    waybills."""
    size = out.options.per_report
    for kind, reports in (("CEB507", arrived), ("CEB509", gone)):
        for (day, carrier, operator, customs), waybills in sorted(
            reports.items(), key=lambda r: (r[0][0], r[0][1].code, r[0][2].code)
        ):
            parts = [waybills[i : i + size] for i in range(0, len(waybills), size)]
            for seq, part in enumerate(parts, start=1):
                cop_no = f"{'AR' if kind == 'CEB507' else 'DP'}{day:%Y%m%d}{carrier.code[-6:]}"
                head: dict[str, Any] = {
                    "appType": "1",
                    "appStatus": "2",
                    "customsCode": customs,
                    "copNo": cop_no,
                    "logisticsCode": carrier.code,
                    "logisticsName": carrier.name,
                    "trafMode": "5",
                    "msgCount": str(len(parts)),
                    "msgSeqNo": str(seq),
                }
                lines = [{"gnum": str(g), "logisticsNo": no} for g, no in enumerate(part, start=1)]
                if kind == "CEB507":
                    guid = f"CEB507-{cop_no}-{seq}"
                    message: DeclarationMessage = CEB507Message.model_validate(
                        {
                            "guid": guid,
                            "arrival": {
                                "arrivalHead": {
                                    "guid": guid,
                                    "appTime": f"{day:%Y%m%d}230000",
                                    "operatorCode": operator.code,
                                    "operatorName": operator.name,
                                    "ieFlag": "E",
                                    **head,
                                },
                                "arrivalList": lines,
                            },
                            "baseTransfer": _transfer(operator),
                        }
                    )
                    sent = (day, 85000 + seq, operator.code)
                else:
                    guid = f"CEB509-{cop_no}-{seq}"
                    leave = day + timedelta(days=1)
                    message = CEB509Message.model_validate(
                        {
                            "guid": guid,
                            "departure": {
                                "departureHead": {
                                    "guid": guid,
                                    "appTime": f"{leave:%Y%m%d}090000",
                                    **head,
                                    "leaveTime": f"{leave:%Y%m%d}080000",
                                },
                                "departureList": lines,
                            },
                            "baseTransfer": _transfer(carrier),
                        }
                    )
                    sent = (leave, 32400 + seq, carrier.code)
                out.messages.append((sent[0], sent[1], sent[2], kind, f"{cop_no}-{seq}", message))


def _hms(second: int) -> str:
    return f"{second // 3600:02d}{second % 3600 // 60:02d}{second % 60:02d}"


def write_month(month: Month, out: Path) -> Path:
    """``registry.json``, ``messages/`` and ``exports-truth.json`` under ``out``."""
    folder = out / "messages"
    folder.mkdir(parents=True, exist_ok=False)
    for n, (_, _, _, kind, key, message) in enumerate(month.messages, start=1):
        (folder / message_name(n, kind, key)).write_bytes(codec.to_xml(message))
    (out / "registry.json").write_text(
        json.dumps(registry_document(month.market), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "exports-truth.json").write_text(
        json.dumps(month.truth_document(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return folder
