"""The one reading of a month a user gives (``--month``, ``"month"``, ``?month=``).

A month is ``YYYY-MM`` between :data:`FIRST` and :data:`LAST`: the statements, summaries
and statistics of a month count days past its end (due dates, the next month's deadline),
so a month at the edge of the calendar (``9999-12``, ``0000-01``) cannot be one.
"""

from __future__ import annotations

import re

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
