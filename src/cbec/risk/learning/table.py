"""The table the core learns from: a polars DataFrame whose mapped columns are checked and
typed once, at the edge. Bad input is named by column and row, never a traceback.

After :func:`prepare`: the date column is a ``Date``, the label an ``Int8`` of 0/1, numeric
features, price, quantity, tax rate, revenue and rule score ``Float64`` (empty = null),
categorical features, the HS code and the id ``String`` (empty = null).

>>> import polars as pl
>>> m = ColumnMapping(id="no", date="day", label="seized", numeric=["value"])
>>> raw = pl.DataFrame({"no": ["a"], "day": ["2026-11-11"], "seized": ["1"], "value": ["9.5"]})
>>> prepare(raw, m).row(0)
('a', datetime.date(2026, 11, 11), 1, 9.5)
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cbec.errors import BadRequest, FieldError
from cbec.risk.learning.mapping import ColumnMapping


class TableInvalid(BadRequest):
    """A table that does not fit its mapping; each problem names the column and the row."""

    kind = "table_invalid"


def _numeric_columns(mapping: ColumnMapping) -> list[str]:
    names = [*mapping.numeric, mapping.price, mapping.quantity, mapping.tax_rate]
    names += [mapping.revenue, mapping.rule_score]
    return list(dict.fromkeys(n for n in names if n is not None))


def _text_columns(mapping: ColumnMapping) -> list[str]:
    names = [mapping.id, *mapping.categorical, *mapping.risk_encoded, mapping.hs_code]
    return list(dict.fromkeys(n for n in names if n is not None))


def read_csv(path: Path, mapping: ColumnMapping, *, with_label: bool = True) -> pl.DataFrame:
    """Read the mapped columns of a CSV file (UTF-8, header row), or of a Parquet file (a
    ``.parquet`` name, as ``cbec risk features --out`` writes one), and :func:`prepare` them."""
    if path.suffix == ".parquet":
        return _read_parquet(path, mapping, with_label)
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TableInvalid(f"cannot read {path} as CSV: {exc}") from None
    wanted = _wanted(mapping, with_label)
    _check_columns(header, wanted, str(path))
    try:
        raw = pl.read_csv(path, columns=wanted, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TableInvalid(f"cannot read {path} as CSV: {exc}") from None
    return prepare(raw, mapping, with_label=with_label, where=str(path), header_lines=1)


def _read_parquet(path: Path, mapping: ColumnMapping, with_label: bool) -> pl.DataFrame:
    try:
        header = list(pl.read_parquet_schema(path))
        wanted = _wanted(mapping, with_label)
        _check_columns(header, wanted, str(path))
        raw = pl.read_parquet(path, columns=wanted)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TableInvalid(f"cannot read {path} as Parquet: {exc}") from None
    return prepare(raw, mapping, with_label=with_label, where=str(path))


def _wanted(mapping: ColumnMapping, with_label: bool) -> list[str]:
    return [c for c in mapping.required_columns if with_label or c != mapping.label]


def _check_columns(present: list[str], wanted: list[str], where: str) -> None:
    missing = [c for c in wanted if c not in present]
    if missing:
        raise TableInvalid(
            f"{where} lacks {len(missing)} column(s) named in the mapping",
            fields=[
                FieldError(f"{where}: column {c!r}", "missing_column", "named in the mapping")
                for c in missing
            ],
        )


def _first_bad(raw: pl.Series, parsed: pl.Series) -> int | None:
    """Index of the first value that is there but did not parse."""
    there = raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "")
    bad = (there & parsed.is_null()).arg_true()
    return int(bad[0]) if len(bad) else None


def _bad_cell(
    where: str, column: str, index: int, header_lines: int, value: object, what: str
) -> TableInvalid:
    line = f" (line {index + 1 + header_lines})" if header_lines else ""
    path = f"{where}: column {column!r}, row {index + 1}{line}"
    return TableInvalid(
        f"{where}: unparseable {what} in column {column!r}",
        fields=[FieldError(path, what.replace(" ", "_"), f"{value!r} is not {what}")],
    )


def prepare(
    frame: pl.DataFrame,
    mapping: ColumnMapping,
    *,
    with_label: bool = True,
    where: str = "table",
    header_lines: int = 0,
) -> pl.DataFrame:
    """The mapped columns of ``frame``, typed as the core expects (see the module doc).

    Raises :class:`TableInvalid` naming the first bad cell of each column: a missing
    column, an unparseable date, number or label.
    """
    wanted = _wanted(mapping, with_label)
    _check_columns(frame.columns, wanted, where)
    out: dict[str, pl.Series] = {}
    for name in _text_columns(mapping):
        series = frame[name].cast(pl.String)
        out[name] = series.str.strip_chars().replace("", None)
    for name in _numeric_columns(mapping):
        raw = frame[name]
        if raw.dtype.is_numeric() or raw.dtype == pl.Boolean:
            out[name] = raw.cast(pl.Float64)
            continue
        text = raw.cast(pl.String).str.strip_chars()
        # yes/no features are numbers too (True/False as Python's CSV writer spells them)
        text = text.str.to_lowercase().replace({"true": "1", "false": "0"})
        parsed = text.cast(pl.Float64, strict=False)
        bad = _first_bad(raw, parsed)
        if bad is not None:
            raise _bad_cell(where, name, bad, header_lines, raw[bad], "a number")
        out[name] = parsed
    out[mapping.date] = _dates(frame[mapping.date], mapping, where, header_lines)
    if with_label:
        out[mapping.label] = _labels(frame[mapping.label], mapping.label, where, header_lines)
    return pl.DataFrame([out[c].alias(c) for c in wanted])


def _dates(raw: pl.Series, mapping: ColumnMapping, where: str, header_lines: int) -> pl.Series:
    if raw.dtype == pl.Date:
        parsed = raw
    elif raw.dtype == pl.Datetime:
        parsed = raw.dt.date()
    else:
        text = raw.cast(pl.String).str.strip_chars()
        if mapping.date_format:
            parsed = text.str.to_date(mapping.date_format, strict=False)
        else:
            # ISO dates, or ISO date-times of which the day is kept
            parsed = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    missing = parsed.is_null().arg_true()
    if len(missing):
        index = int(missing[0])
        raise _bad_cell(where, mapping.date, index, header_lines, raw[index], "a date")
    return parsed


def _labels(raw: pl.Series, name: str, where: str, header_lines: int) -> pl.Series:
    text = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
    parsed = text.replace_strict(
        {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1},
        default=None,
        return_dtype=pl.Int8,
    )
    bad = parsed.is_null().arg_true()
    if len(bad):
        index = int(bad[0])
        raise _bad_cell(where, name, index, header_lines, raw[index], "a 0/1 label")
    return parsed
