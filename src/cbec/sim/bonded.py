"""Bonded stock for a simulated day: the CEB711 entries that put into each seller's bonded
account the 1210 goods the day sells (with a margin), sent by the zone operator some days
before, and a stocktake plan with planted discrepancies (goods gone without a list).

``cbec sim --bonded-stock`` writes the entries to ``DIR/bonded/`` (ingest them before the
day) and the plan to ``DIR/stocktake.json``: for each planted item, officers who count it
after the day find ``missing`` units fewer than the book.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cbec.messages import codec
from cbec.messages.models import CEB711Message
from cbec.sim.enterprises import Enterprise
from cbec.sim.goods import Goods
from cbec.sim.simulation import Day
from cbec.sim.writer import message_name

STOCKTAKE_FORMAT = "cbec-stocktake/1"


@dataclass(frozen=True, slots=True)
class Entry:
    """One CEB711 entry: who sends it and the message."""

    sender: str
    entry_no: str
    message: CEB711Message


@dataclass(frozen=True, slots=True)
class Stock:
    entries: list[Entry]
    #: items whose count will be short: (emsNo, itemRecordNo, barCode, missing units)
    planted: list[tuple[str, str, str, int]]
    #: (emsNo, itemRecordNo) -> units the day's 1210 lists ask for, and units entered
    sold: dict[tuple[str, str], int]
    entered: dict[tuple[str, str], int]

    def stocktake_document(self) -> dict[str, Any]:
        return {
            "format": STOCKTAKE_FORMAT,
            "note": "count = book stock after the day minus missing (goods gone without a list)",
            "counts": [
                {"emsNo": e, "itemRecordNo": i, "barCode": b, "missing": m}
                for e, i, b, m in self.planted
            ],
        }


def bonded_stock(day: Day, *, spare: float = 0.25, planted: int = 3, seed: int = 0) -> Stock:
    """The entries that stock the day's bonded (1210) sales: per seller's account, every
    item its lists take, ``spare`` more (at least one unit), entered 20 days before."""
    rng = random.Random(f"cbec-sim/{day.options.seed}/{seed}/bonded")
    items: dict[str, dict[str, tuple[Goods, int]]] = {}
    owners: dict[str, tuple[Enterprise, Enterprise, str]] = {}
    for order in day.orders:
        if order.trade_mode != "1210" or order.area is None:
            continue
        ems = order.seller.ems_no
        owners.setdefault(ems, (order.area, order.seller.enterprise, order.site.bonded_customs))
        book = items.setdefault(ems, {})
        for line in order.lines:
            goods, qty = book.get(line.item_record_no, (line.goods, 0))
            book[line.item_record_no] = (goods, qty + line.qty)
    when = day.options.day - timedelta(days=20)
    entries: list[Entry] = []
    sold: dict[tuple[str, str], int] = {}
    entered: dict[tuple[str, str], int] = {}
    for n, ems in enumerate(sorted(items), start=1):
        area, seller, customs = owners[ems]
        entry_no = f"RK{when:%Y%m%d}{n:06d}"
        lines = []
        for gnum, (item, (goods, qty)) in enumerate(sorted(items[ems].items()), start=1):
            amount = qty + max(1, math.ceil(qty * spare))
            sold[(ems, item)], entered[(ems, item)] = qty, amount
            lines.append(
                {
                    "gnum": str(gnum),
                    "itemRecordNo": item,
                    "itemNo": goods.sku,
                    "gcode": goods.hs,
                    "gname": goods.gname,
                    "gmodel": goods.gmodel,
                    "barCode": goods.barcode,
                    "country": goods.country,
                    "qty": Decimal(amount),
                    "unit": goods.unit,
                }
            )
        guid = f"CEB711-{entry_no}"
        message = CEB711Message.model_validate(
            {
                "guid": guid,
                "bondedEntry": {
                    "bondedEntryHead": {
                        "guid": guid,
                        "appType": "1",
                        "appTime": f"{when:%Y%m%d}100000",
                        "appStatus": "2",
                        "customsCode": customs,
                        "entryNo": entry_no,
                        "emsNo": ems,
                        "areaCode": area.code,
                        "areaName": area.name,
                        "ebcCode": seller.code,
                        "ebcName": seller.name,
                        "entryTime": f"{when:%Y%m%d}080000",
                    },
                    "bondedEntryList": lines,
                },
                "baseTransfer": {
                    "copCode": area.code,
                    "copName": area.name,
                    "dxpMode": "DXP",
                    "dxpId": area.dxp_id,
                },
            }
        )
        entries.append(Entry(area.code, entry_no, message))
    candidates = sorted(sold)
    chosen = rng.sample(candidates, min(planted, len(candidates)))
    barcodes = {
        (ems, item): goods.barcode
        for ems, book in items.items()
        for item, (goods, _) in book.items()
    }
    return Stock(
        entries,
        [(ems, item, barcodes[(ems, item)], 1) for ems, item in sorted(chosen)],
        sold,
        entered,
    )


def write(stock: Stock, out: Path) -> Path:
    """``DIR/bonded/*.xml`` (ingest before the day) and ``DIR/stocktake.json``."""
    folder = out / "bonded"
    folder.mkdir(parents=True, exist_ok=True)
    for n, entry in enumerate(stock.entries, start=1):
        (folder / message_name(n, "CEB711", entry.entry_no)).write_bytes(
            codec.to_xml(entry.message)
        )
    (out / "stocktake.json").write_text(
        json.dumps(stock.stocktake_document(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return folder
