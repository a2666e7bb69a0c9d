"""The whole numbers the store can hold, as the types of the parameters that reach it.

A number beyond its column's range is not "not found": SQLite cannot bind an int of
2**63 or more (OverflowError), PostgreSQL refuses 2**31 for an INTEGER column. Every API
and web parameter that the store compares with a column is one of the types below, so that
such a number is a 422 naming the parameter and the bound, never a 500; the ``cbec``
commands give their options and arguments the same bounds (Typer ``min=``/``max=``).

The types carry only the bounds (``annotated_types``): FastAPI takes them as they are for a
path parameter, and with ``Annotated[Id, Query(alias=...)]`` for a query parameter.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

#: The largest value of an ``Integer`` column on PostgreSQL (INTEGER, 32 bits).
INTEGER_MAX = 2**31 - 1
#: The largest value of a ``BigInteger`` column (PostgreSQL BIGINT; SQLite's INTEGER).
BIGINT_MAX = 2**63 - 1
#: The largest value of a ``SmallInteger`` column on PostgreSQL (SMALLINT, 16 bits).
SMALLINT_MAX = 2**15 - 1

#: The id of a row whose key is an ``Integer`` column (rule sets, cases, ratings, ...).
Id = Annotated[int, Interval(ge=1, le=INTEGER_MAX)]
#: The id of a row whose key is a ``BigInteger`` column (``BigIntPK``: receipts, ...).
BigId = Annotated[int, Interval(ge=1, le=BIGINT_MAX)]
#: A paging cursor or offset compared with a ``BigInteger`` id (0: from the start).
Cursor = Annotated[int, Interval(ge=0, le=BIGINT_MAX)]
#: A value of a ``SmallInteger`` column (a declaration's status code).
Small = Annotated[int, Interval(ge=0, le=SMALLINT_MAX)]
