"""The grouping of list lines into declarations, against a plain-Python reference."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbec.export.summary import LINE_COLUMNS, SummaryKeyError, is_late, parse_key, summarise

KEY = ("ebc_code", "traf_mode", "owner_code", "country", "port_code", "gcode", "currency")


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LINE_COLUMNS)


def line(list_id: int, gnum: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "list_id": list_id,
        "invt_no": f"I{list_id}",
        "gnum": gnum,
        "ebc_code": "E1",
        "owner_code": "E1",
        "trade_mode": "9610",
        "traf_mode": "5",
        "country": "502",
        "port_code": "5141",
        "currency": "142",
        "gcode": "6109100021",
        "gname": "T恤",
        "unit": "011",
        "qty_e5": 100000,
        "price_e5": 4000000,
        "gross_e5": 120000,
        "net_e5": 100000,
    }
    row.update(values)
    return row


def test_trade_modes_never_share_a_declaration() -> None:
    result = summarise(frame([line(1, 1), line(2, 1, trade_mode="9710")]), ("ebc_code",))
    assert sorted(result.declarations["trade_mode"].to_list()) == ["9610", "9710"]


def test_key_without_hs_code_puts_goods_in_lines_of_one_declaration() -> None:
    rows = [line(1, 1), line(1, 2, gcode="4202210090", gname="手袋", price_e5=30000000)]
    narrow = summarise(frame(rows), ("ebc_code",))
    assert narrow.declarations.height == 1
    # lines numbered in order of first appearance
    assert narrow.lines.sort("decl_gnum")["gcode"].to_list() == ["6109100021", "4202210090"]
    wide = summarise(frame(rows), KEY)
    assert wide.declarations.height == 2


def test_item_name_flag_keeps_names_apart_for_that_enterprise_only() -> None:
    rows = [
        line(1, 1, gname="红"),
        line(2, 1, gname="蓝"),
        line(3, 1, ebc_code="E2", gname="红"),
        line(4, 1, ebc_code="E2", gname="蓝"),
    ]
    result = summarise(frame(rows), KEY, item_name_flags={"E1": "1", "E2": "0"})
    per_ebc = result.lines.join(result.declarations.select("decl", "ebc_code"), on="decl")
    assert per_ebc.group_by("ebc_code").len().sort("ebc_code").rows() == [("E1", 2), ("E2", 1)]


def test_named_lists_restrict_only_their_enterprise() -> None:
    rows = [line(1, 1), line(2, 1), line(3, 1, ebc_code="E2")]
    result = summarise(frame(rows), KEY, named={"E1": ["I2"]})
    assert sorted(result.links["invt_no"].to_list()) == ["I2", "I3"]


def test_parse_key_refuses_unknown_fields() -> None:
    with pytest.raises(SummaryKeyError, match="colour"):
        parse_key("gcode,colour")


def test_deadline() -> None:
    assert not is_late("2026-10", date(2026, 11, 15))
    assert is_late("2026-10", date(2026, 11, 16))
    assert is_late("2026-12", date(2027, 1, 16), deadline_day=15)
    assert not is_late("2026-12", date(2027, 1, 20), deadline_day=20)


LINES = st.lists(
    st.tuples(
        st.integers(1, 8),  # list
        st.sampled_from(["E1", "E2"]),
        st.sampled_from(["502", "304"]),
        st.sampled_from(["6109100021", "4202210090", "3304990099"]),
        st.sampled_from(["9610", "9710", "9810"]),
        st.integers(1, 10**9),  # price
        st.integers(1, 10**6),  # qty
        st.integers(1, 10**7),  # weight
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(LINES, st.sampled_from([KEY, ("ebc_code",), ("ebc_code", "country")]))
def test_every_line_lands_once_and_totals_match_a_reference(
    raw: list[tuple[int, str, str, str, str, int, int, int]], key: tuple[str, ...]
) -> None:
    rows, heads, gnums = [], {}, defaultdict(int)
    for list_id, ebc, country, gcode, mode, price, qty, weight in raw:
        # a list has one head: its first line's enterprise, country, mode and weights
        ebc, country, mode, weight = heads.setdefault(list_id, (ebc, country, mode, weight))
        gnums[list_id] += 1
        rows.append(
            line(
                list_id,
                gnums[list_id],
                ebc_code=ebc,
                owner_code=ebc,
                country=country,
                gcode=gcode,
                trade_mode=mode,
                price_e5=price,
                qty_e5=qty,
                gross_e5=weight,
                net_e5=weight,
            )
        )
    result = summarise(frame(rows), key)
    # every list line linked exactly once
    assert result.links.height == len(rows)
    assert result.links.select("list_id", "gnum").n_unique() == len(rows)
    # reference: group by the full key in plain Python
    fields = parse_key(key)
    expected: dict[tuple[object, ...], int] = defaultdict(int)
    for r in rows:
        expected[tuple(r[f] for f in fields)] += int(r["price_e5"])  # type: ignore[call-overload]
    got = {
        tuple(d[f] for f in fields): d["price_e5"]
        for d in result.declarations.iter_rows(named=True)
    }
    assert got == dict(expected)
    assert result.lines["price_e5"].sum() == sum(expected.values())
    # weights are shared out without losing or making any
    assert result.declarations["gross_e5"].sum() == sum(w for _, _, _, w in heads.values())


def test_large_b2b_lines_share_weights_without_overflow() -> None:
    big = 10**6 * 100_000  # one million CNY in 10^-5 units
    heavy = 20_000 * 100_000  # twenty tonnes
    rows = [
        line(1, 1, price_e5=big, gross_e5=heavy, net_e5=heavy),
        line(1, 2, gcode="4202210090", price_e5=2 * big, gross_e5=heavy, net_e5=heavy),
    ]
    result = summarise(frame(rows), KEY)
    shares = sorted(result.declarations["gross_e5"].to_list())
    assert shares == [heavy // 3 + 1, 2 * heavy // 3]  # the rest on the list's first line
    assert sum(shares) == heavy
