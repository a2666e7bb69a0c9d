"""The time-based split: train before valid before test, by date, never shuffled."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cbec.risk.learning.mapping import DateRange, Split
from cbec.risk.learning.split import SplitInvalid, chronological_split, split_by_dates


def day(n: int) -> dt.date:
    return dt.date(2026, 1, 1) + dt.timedelta(days=n)


FRAME = pl.DataFrame({"d": [day(n) for n in range(30) for _ in range(n % 3 + 1)]})


def test_rows_fall_in_their_date_ranges_ends_included() -> None:
    split = Split(
        train=DateRange(start=day(0), end=day(9)),
        valid=DateRange(start=day(10), end=day(19)),
        test=DateRange(start=day(20), end=day(24)),
    )
    parts = split_by_dates(FRAME, "d", split)
    assert parts.train["d"].max() == day(9)
    assert parts.valid["d"].min() == day(10)
    assert parts.valid["d"].max() == day(19)
    assert parts.test is not None
    assert parts.test["d"].max() == day(24)
    # days 25..29 lie in no range and are left out
    assert (
        parts.train.height + parts.valid.height + parts.test.height
        == FRAME.filter(pl.col("d") <= day(24)).height
    )


def test_an_empty_period_is_an_error() -> None:
    split = Split(
        train=DateRange(start=day(0), end=day(9)),
        valid=DateRange(start=day(100), end=day(120)),
    )
    with pytest.raises(SplitInvalid, match="no row dated in the valid period"):
        split_by_dates(FRAME, "d", split)


def test_chronological_split_cuts_at_day_boundaries() -> None:
    split = chronological_split(FRAME["d"], valid_share=0.2, test_share=0.2)
    assert split.test is not None
    assert split.train.end < split.valid.start
    assert split.valid.end < split.test.start
    parts = split_by_dates(FRAME, "d", split)
    shares = [
        p.height / FRAME.height for p in (parts.train, parts.valid, parts.test) if p is not None
    ]
    assert shares[0] == pytest.approx(0.6, abs=0.06)
    assert shares[2] == pytest.approx(0.2, abs=0.06)
    assert sum(shares) == 1


def test_chronological_split_needs_enough_days() -> None:
    with pytest.raises(SplitInvalid, match="spans 2 day"):
        chronological_split(pl.Series("d", [day(0), day(1)]))
    with pytest.raises(SplitInvalid, match="shares"):
        chronological_split(FRAME["d"], valid_share=0.6, test_share=0.5)
