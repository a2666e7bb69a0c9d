"""Reading a catalogue CSV: every cell checked, every problem named by line and column.

Pure: bytes in, validated rows out, or :class:`CatalogFileInvalid` listing what is wrong.
The columns of each kind are documented in ``cbec/catalog/data/README.md``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from cbec.catalog.schemas import HsCodeRow, Kind, PolicyRow, PositiveListRow, Row
from cbec.catalog.units import UNITS
from cbec.errors import FieldError, ValidationFailed

#: Problems reported at most (a wrong file would otherwise print thousands of lines).
MAX_PROBLEMS = 50


class CatalogFileInvalid(ValidationFailed):
    """A catalogue CSV that cannot be loaded; nothing of it was."""

    kind = "catalog_file_invalid"


class _CellError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


Parser = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: whether the header must have it, whether a cell may be empty."""

    name: str
    parse: Parser
    required: bool = False  # the header must name it and no cell may be empty


# --- cell parsers ---------------------------------------------------------------------


def _digits(n: int) -> Parser:
    def parse(value: str) -> str:
        if not re.fullmatch(rf"\d{{{n}}}", value):
            raise _CellError(f"code{n}", f"must be {n} digits, got {value!r}")
        return value

    return parse


def _text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise _CellError("length", f"longer than {max_length} characters")
        return value

    return parse


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "y"}:
        return True
    if lowered in {"0", "false", "no", "n"}:
        return False
    raise _CellError("boolean", f"must be true or false, got {value!r}")


def _decimal(
    *, places: int, maximum: Decimal | None = None, below: Decimal | None = None
) -> Parser:
    def parse(value: str) -> Decimal:
        if value.endswith("%"):
            raise _CellError("decimal", f"give a fraction, not a percentage ({value!r})")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _CellError("decimal", f"not a decimal number: {value!r}") from None
        if not number.is_finite():
            raise _CellError("decimal", f"not a decimal number: {value!r}")
        if number < 0:
            raise _CellError("range", f"must not be negative, got {value}")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise _CellError("decimal", f"more than {places} decimal places: {value}")
        if below is not None and number >= below:
            raise _CellError(
                "range", f"must be a fraction below {below} (13% is 0.13), got {value}"
            )
        if maximum is not None and number > maximum:
            raise _CellError("range", f"must be at most {maximum}, got {value}")
        return number

    return parse


_RATE = _decimal(places=6, below=Decimal(1))
#: Tariff rates above 100% exist (general rates, out-of-quota rates).
_TARIFF = _decimal(places=6, maximum=Decimal(10))


def _unit(value: str) -> str:
    if value not in UNITS:
        raise _CellError("unit", f"not a known customs unit code: {value!r} (035 kg, 011 piece)")
    return value


def _date(value: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise _CellError("date", f"must be a date YYYY-MM-DD, got {value!r}")


def _param_name(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", value):
        raise _CellError("name", f"must be a snake_case name of 2-40 characters, got {value!r}")
    return value


COLUMNS: dict[Kind, tuple[Column, ...]] = {
    "positive-list": (
        Column("tariff_code8", _digits(8), required=True),
        Column("name", _text(200), required=True),
        Column("remark", _text(2000)),
        Column("bonded_only", _bool),
        Column("direct_only", _bool),
        Column("annual_weight_cap_kg", _decimal(places=3)),
    ),
    "hs-codes": (
        Column("code10", _digits(10), required=True),
        Column("name", _text(200), required=True),
        Column("legal_unit", _unit, required=True),
        Column("second_unit", _unit),
        Column("vat_rate", _RATE, required=True),
        Column("consumption_rate", _RATE),
        Column("consumption_specific", _decimal(places=6)),
        Column("consumption_specific_unit", _unit),
        Column("consumption_threshold", _decimal(places=2)),
        Column("consumption_threshold_unit", _unit),
        Column("tariff_rate", _TARIFF, required=True),
        Column("effective_from", _date),
        Column("effective_to", _date),
        Column("remark", _text(2000)),
    ),
    "policy": (
        Column("name", _param_name, required=True),
        Column("value", _decimal(places=5), required=True),
        Column("effective_from", _date, required=True),
        Column("effective_to", _date),
        Column("remark", _text(2000)),
    ),
}
_MODELS: dict[Kind, type[PositiveListRow] | type[HsCodeRow] | type[PolicyRow]] = {
    "positive-list": PositiveListRow,
    "hs-codes": HsCodeRow,
    "policy": PolicyRow,
}


def _problem(line: int, column: str | None, rule: str, message: str) -> FieldError:
    where = f"line {line}" if column is None else f"line {line}, column {column}"
    return FieldError(where, rule, message)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogFileInvalid(
            "the file is not UTF-8 text",
            fields=[_problem(line, None, "encoding", "not UTF-8 text")],
        ) from None


def parse_csv(kind: Kind, data: bytes) -> list[Row]:
    """Validate a whole catalogue CSV of ``kind``; all rows, or :class:`CatalogFileInvalid`.

    The first line is the header; columns may come in any order; optional columns may be
    left out (empty cells take their default). Unknown columns are refused, so a misspelt
    header cannot silently drop data.
    """
    columns = {c.name: c for c in COLUMNS[kind]}
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CatalogFileInvalid(
            "the file is empty", fields=[_problem(1, None, "header", "no header line")]
        ) from None
    problems: list[FieldError] = []
    for name in header:
        if name not in columns:
            problems.append(_problem(1, name, "header", f"unknown column for a {kind} file"))
    if len(set(header)) != len(header):
        problems.append(_problem(1, None, "header", "a column is named twice"))
    problems += [
        _problem(1, c.name, "header", "required column missing")
        for c in columns.values()
        if c.required and c.name not in header
    ]
    if problems:
        raise CatalogFileInvalid(f"the header of this {kind} file is wrong", fields=problems)

    rows: list[Row] = []
    model = _MODELS[kind]
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(header):
            problems.append(
                _problem(
                    line, None, "columns", f"{len(record)} cells, the header has {len(header)}"
                )
            )
            continue
        values: dict[str, Any] = {"line": line}
        bad = False
        for name, raw in zip(header, record, strict=True):
            cell = raw.strip()
            column = columns[name]
            if not cell:
                if column.required:
                    problems.append(_problem(line, name, "required", "must not be empty"))
                    bad = True
                continue
            try:
                values[name] = column.parse(cell)
            except _CellError as exc:
                problems.append(_problem(line, name, exc.rule, exc.message))
                bad = True
        if not bad:
            row_problems = _row_rules(kind, line, values)
            problems += row_problems
            if not row_problems:
                rows.append(model.model_validate(values))
        if len(problems) >= MAX_PROBLEMS:
            break
    if not rows and not problems:
        problems.append(_problem(1, None, "empty", "the file has a header but no rows"))
    problems += _duplicates(rows) if not problems else []
    if problems:
        shown = problems[:MAX_PROBLEMS]
        raise CatalogFileInvalid(
            f"{len(shown)} problem(s) in the {kind} file; nothing was loaded", fields=shown
        )
    return rows


def _row_rules(kind: Kind, line: int, values: dict[str, Any]) -> list[FieldError]:
    """Rules that tie two cells of one row together."""
    problems: list[FieldError] = []
    start, end = values.get("effective_from"), values.get("effective_to")
    if start is not None and end is not None and end < start:
        problems.append(_problem(line, "effective_to", "dates", "before effective_from"))
    if kind == "positive-list" and values.get("bonded_only") and values.get("direct_only"):
        problems.append(
            _problem(
                line, "direct_only", "conflict", "a line cannot be both bonded_only and direct_only"
            )
        )
    if kind == "hs-codes":
        for amount, unit in (
            ("consumption_specific", "consumption_specific_unit"),
            ("consumption_threshold", "consumption_threshold_unit"),
        ):
            if (amount in values) != (unit in values):
                missing = unit if amount in values else amount
                problems.append(
                    _problem(line, missing, "required", f"{amount} and {unit} go together")
                )
    return problems


def _overlap(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    lo = date.min
    hi = date.max
    return (a[0] or lo) <= (b[1] or hi) and (b[0] or lo) <= (a[1] or hi)


def _duplicates(rows: Sequence[Row]) -> list[FieldError]:
    """The same code (or parameter) twice, for dates that overlap."""
    problems: list[FieldError] = []
    seen: dict[str, list[Row]] = {}
    for row in rows:
        if isinstance(row, PositiveListRow):
            key, column = row.tariff_code8, "tariff_code8"
        elif isinstance(row, HsCodeRow):
            key, column = row.code10, "code10"
        else:
            key, column = row.name, "name"
        for earlier in seen.get(key, []):
            if isinstance(row, PositiveListRow) or _overlap(_dates(earlier), _dates(row)):
                problems.append(
                    _problem(
                        row.line,
                        column,
                        "duplicate",
                        f"{key} is already on line {earlier.line} for the same dates",
                    )
                )
                break
        seen.setdefault(key, []).append(row)
    return problems[:MAX_PROBLEMS]


def _dates(row: Row) -> tuple[date | None, date | None]:
    if isinstance(row, PositiveListRow):
        return (None, None)
    return (row.effective_from, row.effective_to)
