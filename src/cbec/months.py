"""The one reading of a month a user gives (``--month``, ``"month"``, ``?month=``), and
the calendar span of the days and times users give.

A month is ``YYYY-MM`` between :data:`FIRST` and :data:`LAST`: the statements, summaries
and statistics of a month count days past its end (due dates, the next month's deadline),
so a month at the edge of the calendar (``9999-12``, ``0000-01``) cannot be one. Days and
times (``--before``, ``?since=``, ``--to``) keep to the same span: shifted between Beijing
time and UTC or counted back by a window, one at the edge would leave the calendar.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from cbec.errors import BadRequest, FieldError

FIRST = (1900, 1)
LAST = (2999, 12)
SPAN = f"{FIRST[0]}-{FIRST[1]:02d}..{LAST[0]}-{LAST[1]:02d}"


def parse_month(
    text: str, path: str = "month", *, rule: str = "pattern=YYYY-MM", compact: bool = False
) -> tuple[int, int]:
    """``"2026-10"`` -> ``(2026, 10)`` (also ``"202610"`` when ``compact``); otherwise a
    BadRequest naming ``path`` and the rule broken: ``rule`` for the form, ``range=...``
    for a month outside :data:`FIRST` .. :data:`LAST`.

    >>> parse_month("2026-10"), parse_month("202611", compact=True)
    ((2026, 10), (2026, 11))
    >>> parse_month("9999-12")
    Traceback (most recent call last):
    ...
    cbec.errors.BadRequest: '9999-12' is not a month from 1900-01 to 2999-12
    """
    found = re.fullmatch(r"(\d{4})-?(\d{2})" if compact else r"(\d{4})-(\d{2})", text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        message = f"{text!r} is not a month of the form YYYY-MM"
        raise BadRequest(message, fields=[FieldError(path, rule, message)])
    year, month = int(found.group(1)), int(found.group(2))
    if not FIRST <= (year, month) <= LAST:
        message = f"{text!r} is not a month from {SPAN.replace('..', ' to ')}"
        raise BadRequest(message, fields=[FieldError(path, f"range={SPAN}", message)])
    return year, month


def check_day(value: date, path: str) -> date:
    """``value`` if it is within the span, else a BadRequest naming ``path``.

    >>> check_day(date(1, 1, 1), "--before")
    Traceback (most recent call last):
    ...
    cbec.errors.BadRequest: 0001-01-01 is not a day from 1900-01-01 to 2999-12-31
    """
    if not date(*FIRST, 1) <= value <= date(LAST[0], 12, 31):
        message = f"{value} is not a day from {FIRST[0]}-01-01 to {LAST[0]}-12-31"
        raise BadRequest(message, fields=[FieldError(path, f"range={SPAN}", message)])
    return value


def check_moment(value: datetime, path: str) -> datetime:
    """``value`` if its day is within the span (then no shift of time zone or window
    leaves the calendar), else a BadRequest naming ``path``.

    >>> check_moment(datetime(9999, 12, 31, 23, 59), "since")
    Traceback (most recent call last):
    ...
    cbec.errors.BadRequest: 9999-12-31 is not a day from 1900-01-01 to 2999-12-31
    """
    check_day(value.date(), path)
    return value
