"""The summary-declaration benchmark: a month of export lists, made up in memory as the
store would hand them over (one row per list line), summarised by the configured key."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from cbec.export.summary import LINE_COLUMNS, parse_key, summarise

COUNTRIES = ("502", "303", "304", "116", "133", "132", "601", "305", "501", "122")
PORTS = ("5141", "2992", "3104", "4604", "8012", "2233", "6401")


@dataclass(frozen=True, slots=True)
class Figures:
    lists: int
    lines: int
    declarations: int
    declaration_lines: int
    links: int
    make_seconds: float
    summarise_seconds: float


def synthetic_lines(
    lists: int, seed: int = 1, enterprises: int = 400, hs_codes: int = 600
) -> pl.DataFrame:
    """``lists`` export lists of 1 to 3 lines: 400 enterprises, 600 HS codes, 10
    destinations, 7 ports, three transport modes, 9610 / 9710 / 9810."""
    rng = np.random.default_rng(seed)
    per_list = rng.choice([1, 2, 3], size=lists, p=[0.6, 0.3, 0.1])
    n = int(per_list.sum())
    list_id = np.repeat(np.arange(1, lists + 1, dtype=np.int64), per_list)
    starts = np.cumsum(per_list) - per_list
    gnum = np.arange(n, dtype=np.int64) - np.repeat(starts, per_list) + 1
    ebc = rng.integers(0, enterprises, size=lists)
    codes = np.array([f"{3301960000 + i}" for i in range(enterprises)])
    hs = np.array([f"{6109100000 + 17 * i:010d}" for i in range(hs_codes)])
    mode = rng.choice(np.array(["9610", "9710", "9810"]), size=lists, p=[0.7, 0.2, 0.1])
    traf = rng.choice(np.array(["5", "2", "4"]), size=lists, p=[0.7, 0.2, 0.1])
    country = rng.choice(np.array(COUNTRIES), size=lists)
    port = np.array(PORTS)[ebc % len(PORTS)]
    # each enterprise sells from its own range of 30 HS codes
    gcode_index = (np.repeat(ebc, per_list) * 7 + rng.integers(0, 30, size=n)) % hs_codes
    return pl.DataFrame(
        {
            "list_id": list_id,
            "invt_no": "51412026E" + pl.Series(list_id).cast(pl.String).str.zfill(9),
            "gnum": gnum,
            "ebc_code": codes[np.repeat(ebc, per_list)],
            "owner_code": codes[np.repeat(ebc, per_list)],
            "trade_mode": np.repeat(mode, per_list),
            "traf_mode": np.repeat(traf, per_list),
            "country": np.repeat(country, per_list),
            "port_code": np.repeat(port, per_list),
            "currency": np.full(n, "142"),
            "gcode": hs[gcode_index],
            "gname": np.array([f"货物{i}" for i in range(hs_codes)])[gcode_index],
            "unit": np.full(n, "011"),
            "qty_e5": rng.integers(1, 50, size=n) * 100_000,
            "price_e5": rng.integers(500, 2_000_000, size=n) * 1000,
            "gross_e5": np.repeat(rng.integers(10, 50_000, size=lists) * 100, per_list),
            "net_e5": np.repeat(rng.integers(10, 40_000, size=lists) * 100, per_list),
        },
        schema=LINE_COLUMNS,
    )


def run(lists: int, key: str, seed: int = 1) -> Figures:
    """Make ``lists`` lists and summarise them; the summary alone is timed separately."""
    started = time.perf_counter()
    frame = synthetic_lines(lists, seed)
    made = time.perf_counter() - started
    started = time.perf_counter()
    result = summarise(frame, parse_key(key))
    seconds = time.perf_counter() - started
    return Figures(
        lists=lists,
        lines=frame.height,
        declarations=result.declarations.height,
        declaration_lines=result.lines.height,
        links=result.links.height,
        make_seconds=made,
        summarise_seconds=seconds,
    )


@dataclass(frozen=True, slots=True)
class StoreFigures:
    lists: int
    lines: int
    declarations: int
    load_seconds: float
    summarise_seconds: float


def through_store(lists: int, url: str, key: str, seed: int = 1) -> StoreFigures:
    """The whole ``cbec export summarise`` on a fresh store at ``url``: ``lists`` released
    B lists are written straight into the tables (not timed as summary), then the month is
    read, grouped and written back (declarations, links, lists marked), in one
    transaction, and committed."""
    from datetime import UTC, date, datetime

    from cbec.export.service import Exports
    from cbec.store import bulk, make_engine, make_session_factory, upgrade
    from cbec.store.models import Document, ExportList, ExportListLine, InboundMessage

    started = time.perf_counter()
    frame = synthetic_lines(lists, seed)
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with factory() as session:
        message = InboundMessage(
            guid="BENCH",
            message_type="CEB603",
            sender_code="bench",
            business_key="bench",
            app_type="1",
            content_hash="bench",
            body="{}",
            received_at=now,
            source="bench",
        )
        session.add(message)
        session.flush()
        document = Document(
            kind="export_list",
            business_key="bench",
            order_no="bench",
            sender_code="bench",
            message_id=message.id,
            created_at=now,
            updated_at=now,
        )
        session.add(document)
        session.flush()
        heads = frame.group_by("list_id", maintain_order=True).agg(
            pl.all().exclude("gnum", "gcode", "gname", "unit", "qty_e5").first(),
            total=pl.col("price_e5").sum(),
        )
        day = date(2026, 10, 15)
        list_ids = bulk.insert_many(
            session,
            ExportList.__tablename__,
            [
                {
                    "business_key": f"bench|{r['invt_no']}",
                    "document_id": document.id,
                    "invt_no": r["invt_no"],
                    "order_no": r["invt_no"],
                    "ebp_code": r["ebc_code"],
                    "ebc_code": r["ebc_code"],
                    "agent_code": r["ebc_code"],
                    "owner_code": r["owner_code"],
                    "cop_no": r["invt_no"][-12:],
                    "trade_mode": r["trade_mode"],
                    "statistics_flag": "B",
                    "customs_code": r["port_code"],
                    "port_code": r["port_code"],
                    "traf_mode": r["traf_mode"],
                    "country": r["country"],
                    "currency": r["currency"],
                    "gross_weight": _decimal(r["gross_e5"]),
                    "net_weight": _decimal(r["net_e5"]),
                    "total_price": _decimal(r["total"]),
                    "ie_date": day,
                    "status": 899,  # closed: released and gone, as a summary takes
                    "awaiting": False,
                    "waiting_for": "",
                    "findings": "[]",
                    "received_at": now,
                    "released_on": day,
                    "released_at": now,
                    "exited_at": now,
                }
                for r in heads.iter_rows(named=True)
            ],
        )
        stored = dict(zip(heads["list_id"].to_list(), list_ids, strict=True))
        bulk.insert_many(
            session,
            ExportListLine.__tablename__,
            [
                {
                    "export_list_id": stored[lid],
                    "gnum": gnum,
                    "gcode": gcode,
                    "gname": gname,
                    "qty": _decimal(qty),
                    "unit": unit,
                    "total_price": _decimal(price),
                }
                for lid, gnum, gcode, gname, unit, qty, price in frame.select(
                    "list_id", "gnum", "gcode", "gname", "unit", "qty_e5", "price_e5"
                ).iter_rows()
            ],
        )
        session.commit()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with factory() as session:
        run = Exports(session).summarise("2026-10", run_on=date(2026, 11, 5), key=key)
        session.commit()
    seconds = time.perf_counter() - started
    engine.dispose()
    return StoreFigures(lists, frame.height, run.declaration_count, loaded, seconds)


def _decimal(value: int) -> Any:
    from decimal import Decimal

    return Decimal(int(value)).scaleb(-5)
