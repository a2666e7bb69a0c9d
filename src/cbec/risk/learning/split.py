"""The time-based split: train on the past, tune on what came next, report on what came
after that. Never shuffled, so a model is judged on declarations it could not have seen.

>>> import datetime as dt
>>> days = pl.Series([dt.date(2026, 1, d) for d in range(1, 11)])
>>> s = chronological_split(days, valid_share=0.2, test_share=0.2)
>>> (s.train.end.day, s.valid.start.day, s.valid.end.day, s.test.start.day)
(6, 7, 8, 9)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from cbec.errors import BadRequest
from cbec.risk.learning.mapping import DateRange, Split


class SplitInvalid(BadRequest):
    kind = "split_invalid"


@dataclass(frozen=True, slots=True)
class Parts:
    """The rows of each period; rows dated outside every range are left out."""

    train: pl.DataFrame
    valid: pl.DataFrame
    test: pl.DataFrame | None
    split: Split


def _within(frame: pl.DataFrame, date: str, period: DateRange) -> pl.DataFrame:
    return frame.filter(pl.col(date).is_between(period.start, period.end, closed="both"))


def split_by_dates(frame: pl.DataFrame, date: str, split: Split) -> Parts:
    """Rows of ``frame`` whose ``date`` falls in each range of ``split`` (ends included)."""
    train = _within(frame, date, split.train)
    valid = _within(frame, date, split.valid)
    test = _within(frame, date, split.test) if split.test is not None else None
    for name, part in (("train", train), ("valid", valid), ("test", test)):
        if part is not None and part.height == 0:
            period = getattr(split, name)
            raise SplitInvalid(f"no row dated in the {name} period {period.start}..{period.end}")
    return Parts(train, valid, test, split)


def chronological_split(
    dates: pl.Series, *, valid_share: float = 0.15, test_share: float = 0.15
) -> Split:
    """Date ranges holding about the last ``test_share`` of the rows for test, the
    ``valid_share`` before them for valid and the rest for train. A day is never cut in
    two, so each range ends on a day boundary."""
    if valid_share <= 0 or test_share < 0 or valid_share + test_share >= 1:
        raise SplitInvalid("valid and test shares must be positive and sum to less than 1")
    counts = dates.value_counts(name="n").sort(by=dates.name)
    days: list[dt.date] = counts[dates.name].to_list()
    cumulative: list[int] = counts["n"].cum_sum().to_list()
    total = cumulative[-1] if cumulative else 0
    wanted = 3 if test_share > 0 else 2
    if len(days) < wanted:
        raise SplitInvalid(f"the table spans {len(days)} day(s): at least {wanted} are needed")

    def last_day_before(share: float, floor: int) -> int:
        """Index of the last day whose cumulative count stays within ``share``."""
        index = floor
        while index + 1 < len(days) and cumulative[index + 1] <= share * total:
            index += 1
        return index

    train_end = last_day_before(1 - valid_share - test_share, 0)
    train_end = min(train_end, len(days) - wanted)
    if test_share == 0:
        return Split(
            train=DateRange(start=days[0], end=days[train_end]),
            valid=DateRange(start=days[train_end + 1], end=days[-1]),
        )
    valid_end = last_day_before(1 - test_share, train_end + 1)
    valid_end = min(valid_end, len(days) - 2)
    return Split(
        train=DateRange(start=days[0], end=days[train_end]),
        valid=DateRange(start=days[train_end + 1], end=days[valid_end]),
        test=DateRange(start=days[valid_end + 1], end=days[-1]),
    )
