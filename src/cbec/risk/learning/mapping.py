"""The column mapping: which columns of a table are the id, the date, the label, the
revenue and the features, and (optionally) the date ranges of the time-based split.

It is the only thing the train/evaluate core needs to know about a table, so that the KCS
declarations, cbec's own per-declaration features or any other CSV are one call apart. It
is read from a small JSON or TOML file (:func:`load_mapping`) or built in code.

>>> m = ColumnMapping(id="no", date="day", label="seized", numeric=["value"])
>>> m.feature_columns
('value',)
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cbec.errors import BadRequest, FieldError


class MappingInvalid(BadRequest):
    """A mapping file or object that cannot be used; each problem names its field."""

    kind = "mapping_invalid"


class DateRange(BaseModel):
    """Both ends included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


class Split(BaseModel):
    """Date ranges of the time-based split. ``test`` may be left out (train and tune only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    train: DateRange
    valid: DateRange
    test: DateRange | None = None

    @model_validator(mode="after")
    def _in_time_order(self) -> Self:
        if self.valid.start <= self.train.end:
            raise ValueError("valid must start after train ends")
        if self.test is not None and self.test.start <= self.valid.end:
            raise ValueError("test must start after valid ends")
        return self


class ColumnMapping(BaseModel):
    """Names of the table's columns, as the file spells them.

    Besides the plain ``categorical``, ``risk_encoded`` and ``numeric`` features, four
    optional columns switch on the derived features customs selection uses: ``hs_code``
    (its chapter, and the unit value against the HS code's median), ``price`` and
    ``quantity`` (unit value = price / quantity), ``tax_rate`` (duty at stake = price x
    rate / 100). Any of them may also be listed as a plain feature.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    date: str
    label: str
    revenue: str | None = None
    #: a few values each (office, mode of transport, country): LightGBM categoricals
    categorical: list[str] = Field(default_factory=list)
    #: many values each (importer, declarant, seller): fraud rate and row count on train
    risk_encoded: list[str] = Field(default_factory=list)
    numeric: list[str] = Field(default_factory=list)
    hs_code: str | None = None
    price: str | None = None
    quantity: str | None = None
    tax_rate: str | None = None
    #: Score of the analyst rules on the same rows, shown as "rules alone" (never a feature).
    rule_score: str | None = None
    #: Day of the week and of the month as features (off when the calendar says nothing).
    date_parts: bool = True
    #: Date format of the date column (a ``strftime`` pattern); ISO dates when unset.
    date_format: str | None = None
    split: Split | None = None
    #: what the table is, for people reading the model's folder
    description: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        features = [*self.categorical, *self.risk_encoded, *self.numeric]
        if not features and self.hs_code is None and self.price is None:
            raise ValueError("no feature: list categorical, risk_encoded or numeric columns")
        doubled = sorted({c for c in features if features.count(c) > 1})
        if doubled:
            raise ValueError(f"listed twice among the features: {', '.join(doubled)}")
        reserved = {self.id, self.date, self.label, self.rule_score} - {None}
        leaking = sorted(set(features) & reserved)
        if leaking:
            raise ValueError(f"id, date, label or rule score used as a feature: {leaking}")
        if self.quantity is not None and self.price is None:
            raise ValueError("quantity given without price (unit value = price / quantity)")
        return self

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """Every source column a feature is computed from, in a fixed order."""
        seen: dict[str, None] = {}
        for name in (
            *self.categorical,
            *self.risk_encoded,
            *self.numeric,
            self.hs_code,
            self.price,
            self.quantity,
            self.tax_rate,
        ):
            if name is not None:
                seen.setdefault(name)
        return tuple(seen)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every column the table must have to be trained or evaluated on."""
        extra = (self.revenue, self.rule_score)
        names = (self.id, self.date, self.label, *self.feature_columns, *extra)
        return tuple(dict.fromkeys(n for n in names if n is not None))


def _problems(exc: ValidationError, where: str) -> list[FieldError]:
    out = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"]) or "(mapping)"
        out.append(FieldError(f"{where}: {path}", error["type"], error["msg"]))
    return out


def parse_mapping(data: Any, where: str = "mapping") -> ColumnMapping:
    """A mapping from already-parsed JSON/TOML data, or :class:`MappingInvalid`."""
    try:
        return ColumnMapping.model_validate(data)
    except ValidationError as exc:
        raise MappingInvalid(
            f"{where} is not a valid column mapping", fields=_problems(exc, where)
        ) from None


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping from a ``.json`` or ``.toml`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingInvalid(f"cannot read mapping file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise MappingInvalid(f"mapping file {path} is not valid {path.suffix[1:]}: {exc}") from None
    return parse_mapping(data, str(path))
