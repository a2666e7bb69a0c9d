"""Reading a table: each bad cell named by column and row, never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from cbec.risk.learning.table import TableInvalid, prepare, read_csv
from tests.risk.learning.factories import mapping, table


def _csv(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "t.csv"
    frame.write_csv(path)
    return path


def test_a_csv_is_typed_once(tmp_path: Path) -> None:
    frame = read_csv(_csv(tmp_path, table(20)), mapping())
    assert frame.schema["day"] == pl.Date
    assert frame.schema["seized"] == pl.Int8
    assert frame.schema["weight"] == pl.Float64
    assert frame.schema["port"] == pl.String
    assert frame["day"][0] == dt.date.fromisoformat(table(20)["day"][0])


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(TableInvalid) as caught:
        read_csv(_csv(tmp_path, table(20).drop("importer", "rules")), mapping())
    problems = [str(f) for f in caught.value.fields]
    assert any("column 'importer'" in p for p in problems)
    assert any("column 'rules'" in p for p in problems)


def test_an_unparseable_date_names_its_row_and_line(tmp_path: Path) -> None:
    frame = table(20).with_columns(
        pl.when(pl.int_range(pl.len()) == 6)
        .then(pl.lit("2026-13-45"))
        .otherwise("day")
        .alias("day")
    )
    with pytest.raises(TableInvalid) as caught:
        read_csv(_csv(tmp_path, frame), mapping())
    problem = str(caught.value.fields[0])
    assert "column 'day', row 7 (line 8)" in problem
    assert "'2026-13-45' is not a date" in problem


def test_a_bad_number_and_a_bad_label(tmp_path: Path) -> None:
    weight = table(5).with_columns(pl.col("weight").cast(pl.String))
    weight = weight.with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("12kg"))
        .otherwise("weight")
        .alias("weight")
    )
    with pytest.raises(TableInvalid) as caught:
        prepare(weight, mapping())
    assert "column 'weight', row 3: '12kg' is not a number" in str(caught.value.fields[0])
    label = table(5).with_columns(pl.lit("maybe").alias("seized"))
    with pytest.raises(TableInvalid) as caught:
        prepare(label, mapping())
    assert "'maybe' is not a 0/1 label" in str(caught.value.fields[0])


def test_typed_frames_pass_and_empty_cells_are_missing() -> None:
    frame = table(5).with_columns(
        pl.col("day").str.to_date(),
        pl.lit("").alias("port"),
        pl.lit(None, dtype=pl.Float64).alias("rate"),
    )
    out = prepare(frame, mapping())
    assert out["port"].null_count() == 5
    assert out["rate"].null_count() == 5
    assert prepare(out, mapping()).equals(out)  # preparing twice changes nothing


def test_a_custom_date_format() -> None:
    frame = table(3).with_columns(pl.lit("11/11/2026").alias("day"))
    out = prepare(frame, mapping(date_format="%d/%m/%Y"))
    assert out["day"].to_list() == [dt.date(2026, 11, 11)] * 3
