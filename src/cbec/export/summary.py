"""Summary declarations, set-based: the month's released summary-flag (B) export lists,
line by line, grouped into export declarations by a configurable key.

The input is one row per list line (:data:`LINE_COLUMNS`); amounts and quantities travel as
integers in units of 10^-5 (the CEB decimal(19,5)), so sums are exact. A declaration is one
group of lines sharing the key (by default consignor, transport mode, producer, country of
arrival, exit port, 10-digit HS code and currency) within one e-commerce enterprise; its
goods lines gather the same HS code and unit (and, for an enterprise whose application asks
for it with ``itemNameFlag`` 1, the same goods name). Every list line is linked to the
declaration line it went into. A list's weights are shared among its lines by value.

>>> frame = pl.DataFrame({
...     "list_id": [1, 2, 2], "invt_no": ["A", "B", "B"], "gnum": [1, 1, 2],
...     "ebc_code": ["E1"] * 3, "owner_code": ["O"] * 3, "trade_mode": ["9610"] * 3,
...     "traf_mode": ["5"] * 3, "country": ["502"] * 3, "port_code": ["5141"] * 3,
...     "currency": ["142"] * 3, "gcode": ["6109100021", "6109100021", "4202210090"],
...     "gname": ["T恤", "T恤", "手袋"], "unit": ["011"] * 3,
...     "qty_e5": [100000, 200000, 100000], "price_e5": [5000000, 10000000, 30000000],
...     "gross_e5": [30000, 90000, 90000], "net_e5": [20000, 60000, 60000],
... })
>>> result = summarise(frame, ("ebc_code", "gcode"))
>>> result.declarations.select("decl", "gcode", "list_count", "price_e5").rows()
[(0, '6109100021', 2, 15000000), (1, '4202210090', 1, 30000000)]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from cbec.errors import BadRequest
from cbec.months import parse_month

#: The columns of the input, one row per list line.
LINE_COLUMNS: dict[str, type[pl.DataType]] = {
    "list_id": pl.Int64,
    "invt_no": pl.String,
    "gnum": pl.Int64,
    "ebc_code": pl.String,
    "owner_code": pl.String,
    "trade_mode": pl.String,
    "traf_mode": pl.String,
    "country": pl.String,
    "port_code": pl.String,
    "currency": pl.String,
    "gcode": pl.String,
    "gname": pl.String,
    "unit": pl.String,
    "qty_e5": pl.Int64,
    "price_e5": pl.Int64,
    "gross_e5": pl.Int64,  # the list's gross weight, repeated on each of its lines
    "net_e5": pl.Int64,
}

#: Fields a declaration may be grouped by (the configurable key).
KEY_FIELDS = (
    "ebc_code",
    "owner_code",
    "trade_mode",
    "traf_mode",
    "country",
    "port_code",
    "gcode",
    "currency",
)
#: Always in the key: a declaration belongs to one enterprise, in one trade mode (so that
#: 9610, 9710 and 9810 are reported apart), in one currency.
ALWAYS = ("ebc_code", "trade_mode", "currency")
#: Head fields every declaration carries (taken from its first line when not in the key).
HEAD_FIELDS = (
    "ebc_code",
    "owner_code",
    "trade_mode",
    "traf_mode",
    "country",
    "port_code",
    "currency",
)


class SummaryKeyError(ValueError):
    """A summary key naming an unknown field."""


def parse_key(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"ebc_code,gcode"`` -> the key, with the fields that are always in it.

    >>> parse_key("gcode, country")
    ('ebc_code', 'trade_mode', 'currency', 'gcode', 'country')
    """
    fields = [f.strip() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    unknown = [f for f in fields if f not in KEY_FIELDS]
    if unknown:
        raise SummaryKeyError(
            f"unknown summary key field(s) {', '.join(unknown)}; use {', '.join(KEY_FIELDS)}"
        )
    return tuple(dict.fromkeys([*ALWAYS, *fields]))


@dataclass(frozen=True, slots=True)
class Summary:
    """``declarations``: one row per declaration (``decl`` numbers them from 0) with its
    head fields, ``list_count``, ``line_count`` and summed ``price_e5``, ``gross_e5``,
    ``net_e5``; ``lines``: the declarations' goods lines (``decl``, ``decl_gnum``,
    ``gcode``, ``gname``, ``unit``, ``qty_e5``, ``price_e5``); ``links``: each list line's
    declaration and declaration line (``list_id``, ``invt_no``, ``gnum``, ``decl``,
    ``decl_gnum``)."""

    declarations: pl.DataFrame
    lines: pl.DataFrame
    links: pl.DataFrame


def summarise(
    lines: pl.DataFrame,
    key: Sequence[str],
    *,
    item_name_flags: Mapping[str, str] | None = None,
    named: Mapping[str, Collection[str]] | None = None,
) -> Summary:
    """Group list lines into declarations.

    ``key``: the grouping fields (see :func:`parse_key`); ``item_name_flags``: ebc code ->
    ``"1"`` to keep goods names apart in the declaration lines; ``named``: ebc code -> the
    only lists to summarise for it (an application with ``summaryFlag`` 2).
    """
    key = parse_key(key)
    frame = lines.lazy()
    if named:
        chosen = pl.DataFrame(
            [(ebc, invt) for ebc, invts in named.items() for invt in invts],
            schema={"ebc_code": pl.String, "invt_no": pl.String},
            orient="row",
        ).lazy()
        restricted = pl.col("ebc_code").is_in(list(named))
        frame = pl.concat(
            [
                frame.filter(~restricted),
                frame.filter(restricted).join(chosen, on=["ebc_code", "invt_no"], how="semi"),
            ]
        )
    by_name = [ebc for ebc, flag in (item_name_flags or {}).items() if flag == "1"]
    frame = frame.with_columns(
        name_key=pl.when(pl.col("ebc_code").is_in(by_name))
        .then(pl.col("gname"))
        .otherwise(pl.lit("")),
        # a list's weights shared among its lines by value (the last 10^-5 on the first line)
        list_price=pl.col("price_e5").sum().over("list_id"),
        list_lines=pl.len().over("list_id"),
    ).with_columns(
        gross_share=_share("gross_e5"),
        net_share=_share("net_e5"),
    )
    table = frame.with_row_index("_row").collect()
    heads = [f for f in HEAD_FIELDS if f not in key]
    # Declarations numbered in order of first appearance (the input is in list order):
    # deterministic without sorting by the key; each row learns its declaration from the
    # row numbers gathered per group (cheaper than joining back on the key's columns).
    groups = (
        table.lazy()
        .group_by(list(key), maintain_order=True)
        .agg(
            *[pl.col(f).first() for f in heads],
            list_count=pl.col("list_id").n_unique(),
            price_e5=pl.col("price_e5").sum(),
            gross_e5=pl.col("gross_share").sum(),
            net_e5=pl.col("net_share").sum(),
            _rows=pl.col("_row"),
        )
        .with_row_index("decl")
        .with_columns(pl.col("decl").cast(pl.Int64))
        .collect()
    )
    table = table.with_columns(decl=_per_row(groups, table.height))
    line_key = ["decl", "gcode", "unit", "name_key"]
    goods = (
        table.lazy()
        .group_by(line_key, maintain_order=True)
        .agg(
            gname=pl.col("gname").get(pl.col("price_e5").arg_max()),
            qty_e5=pl.col("qty_e5").sum(),
            price_e5=pl.col("price_e5").sum(),
            _rows=pl.col("_row"),
        )
        .with_columns(decl_gnum=(pl.int_range(pl.len()).over("decl") + 1).cast(pl.Int64))
        .collect()
    )
    links = table.with_columns(
        decl_gnum=_per_row(goods.select("decl_gnum", "_rows"), table.height, "decl_gnum")
    ).select("list_id", "invt_no", "gnum", "decl", "decl_gnum")
    counts = goods.group_by("decl").agg(line_count=pl.len())
    return Summary(
        groups.drop("_rows").join(counts, on="decl").sort("decl"),
        goods.drop("name_key", "_rows").sort("decl", "decl_gnum"),
        links,
    )


def _per_row(groups: pl.DataFrame, height: int, column: str = "decl") -> pl.Series:
    """The value of ``column`` of each input row, from the row numbers each group holds."""
    exploded = groups.select(column, "_rows").explode("_rows").sort("_rows")
    assert exploded.height == height
    return exploded[column]


def _share(column: str) -> pl.Expr:
    first = pl.int_range(pl.len()).over("list_id") == 0
    total = pl.col(column)
    by_value = (
        pl.when(pl.col("list_price") > 0)
        # in floating point: weight x value in 10^-5 units overflows 64-bit integers for
        # large B2B lines; the rest (below) keeps the shares summing exactly
        .then(
            (total.cast(pl.Float64) * pl.col("price_e5") / pl.col("list_price"))
            .floor()
            .cast(pl.Int64)
        )
        .otherwise(total // pl.col("list_lines"))
    )
    # what integer division leaves goes to the list's first line, so shares add up
    rest = total - by_value.sum().over("list_id")
    return pl.when(first).then(by_value + rest).otherwise(by_value)


def is_late(period: str, run_on: date, deadline_day: int = 15) -> bool:
    """Whether summarising ``period`` (YYYY-MM) on ``run_on`` is after the deadline (the
    ``deadline_day`` of the next month).

    >>> is_late("2026-10", date(2026, 11, 15)), is_late("2026-12", date(2027, 1, 16))
    (False, True)
    """
    year, month = parse_period(period)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return run_on > date(year, month, deadline_day)


def parse_period(period: str) -> tuple[int, int]:
    """``"2026-10"`` -> (2026, 10); ValueError otherwise."""
    try:
        return parse_month(period, rule="export.month")
    except BadRequest as exc:
        raise ValueError(exc.detail) from None
