"""Feature engineering for tabular declarations: fitted on the training rows only, then
applied unchanged to any later row, in batch or one at a time.

What a :class:`ColumnMapping` asks for becomes these features, in this order:

* each ``categorical`` column: a LightGBM categorical (codes by frequency on train;
  values seen fewer than ``min_category_rows`` times, or never, count as missing);
* each ``risk_encoded`` column (importer, declarant, seller...: too many values for a
  categorical): its smoothed fraud rate on train (out-of-fold for the training rows
  themselves, so a row never sees its own label) and its number of training rows;
* each ``numeric`` column as it is;
* with ``hs_code``: its 2-digit chapter (categorical; list the code itself under
  ``risk_encoded`` for the HS6 code's fraud rate);
* with ``price`` and ``quantity``: unit value, and its ratio to the median unit value of
  the same HS6 code on train (falling back to the heading, then the chapter);
* with ``price`` and ``tax_rate``: the duty at stake (price x rate / 100);
* with ``date_parts``: the day of the week and of the month of the date.

The fitted state (:class:`FeatureState`) is plain data, saved as JSON beside the model.
Rows are read as columns of Python values (:data:`Columns`), so that one declaration
scored in real time goes through the very code that built the training matrix.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from cbec.risk.learning.mapping import ColumnMapping

#: Columns of values by column name: a prepared table's ``to_dict(as_series=False)``, or
#: one declaration as ``{column: [value]}``.
Columns = Mapping[str, Sequence[Any]]
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FeatureOptions:
    """Knobs of the feature engineering (saved with the state)."""

    #: categorical values rarer than this on train are treated as missing
    min_category_rows: int = 5
    #: pseudo-rows of the overall rate mixed into each value's rate (smoothing)
    smoothing: float = 20.0
    #: folds of the out-of-fold risk encoding of the training rows
    folds: int = 5
    #: training rows of an HS code before its median unit value is used
    min_hs_rows: int = 5
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Feature:
    """One column of the matrix: its name for people, the source column it comes from,
    and whether it is the source's value itself or computed from it (``derived``)."""

    name: str
    source: str
    categorical: bool = False
    derived: bool = False
    #: the table of ``FeatureState.codes`` a categorical reads
    codes: str | None = None


@dataclass(slots=True)
class FeatureState:
    """Everything learned from the training rows that turns a row into features."""

    mapping: ColumnMapping
    options: FeatureOptions
    features: list[Feature] = field(default_factory=list)
    #: categorical column (or "hs2") -> value -> code
    codes: dict[str, dict[str, int]] = field(default_factory=dict)
    #: risk-encoded column -> value -> [rows, positives]
    risk: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    prior: float = 0.0
    #: HS level (6, 4, 2) -> code prefix -> median unit value on train
    hs_medians: dict[int, dict[str, float]] = field(default_factory=dict)

    # --- persistence -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping.model_dump(mode="json"),
            "options": {k: getattr(self.options, k) for k in FeatureOptions.__slots__},
            "features": [asdict(f) for f in self.features],
            "codes": self.codes,
            "risk": self.risk,
            "prior": self.prior,
            "hs_medians": {str(k): v for k, v in self.hs_medians.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureState:
        return cls(
            mapping=ColumnMapping.model_validate(data["mapping"]),
            options=FeatureOptions(**data["options"]),
            features=[Feature(**f) for f in data["features"]],
            codes=data["codes"],
            risk=data["risk"],
            prior=float(data["prior"]),
            hs_medians={int(k): v for k, v in data["hs_medians"].items()},
        )

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def category(self, feature: Feature, code: float) -> str | None:
        """The value a categorical feature's code stands for."""
        table = self.codes.get(feature.codes or "", {})
        return next((v for v, c in table.items() if c == code), None)

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.categorical]

    # --- applying ------------------------------------------------------------------------

    def transform(self, columns: Columns) -> Matrix:
        """The feature matrix of ``columns`` (rows of a prepared table)."""
        return np.column_stack(self._blocks(columns, out_of_fold=None))

    def _blocks(self, columns: Columns, out_of_fold: _Folds | None) -> list[Matrix]:
        m = self.mapping
        blocks: list[Matrix] = []
        for name in m.categorical:
            blocks.append(self._code(name, _texts(columns[name])))
        for name in m.risk_encoded:
            values = _texts(columns[name])
            blocks.extend(self._risk(name, values, out_of_fold))
        for name in m.numeric:
            blocks.append(_floats(columns[name]))
        hs = _texts(columns[m.hs_code]) if m.hs_code is not None else None
        if hs is not None:
            blocks.append(self._code("hs2", [_prefix(h, 2) for h in hs]))
        if m.price is not None and m.quantity is not None:
            unit = _unit_values(_floats(columns[m.price]), _floats(columns[m.quantity]))
            blocks.append(unit)
            if hs is not None:
                blocks.append(unit / self._reference(hs))
        if m.price is not None and m.tax_rate is not None:
            blocks.append(_floats(columns[m.price]) * _floats(columns[m.tax_rate]) / 100)
        if m.date_parts:
            days: Sequence[dt.date | None] = columns[m.date]
            blocks.append(np.array([d.isoweekday() if d else math.nan for d in days], float))
            blocks.append(np.array([d.day if d else math.nan for d in days], float))
        return blocks

    def _code(self, name: str, values: Sequence[str | None]) -> Matrix:
        # unknown and rare values are missing (NaN), as LightGBM expects of categoricals
        codes = self.codes[name]
        return np.array([codes.get(v, math.nan) if v else math.nan for v in values], float)

    def _risk(
        self, name: str, values: Sequence[str | None], out_of_fold: _Folds | None
    ) -> tuple[Matrix, Matrix]:
        table = self.risk[name]
        alpha, prior = self.options.smoothing, self.prior
        counts = np.array([table.get(v, (0, 0))[0] if v else 0 for v in values], float)
        if out_of_fold is None:
            rates = [
                (table.get(v, (0, 0))[1] + alpha * prior) if v else alpha * prior for v in values
            ]
            return np.array(rates, float) / (counts + alpha), counts
        return out_of_fold.rates(values, alpha), counts

    def _reference(self, hs: Sequence[str | None]) -> Matrix:
        """Median unit value on train of each row's HS6 code, or heading, or chapter."""
        out = np.full(len(hs), np.nan)
        for i, code in enumerate(hs):
            if code is None:
                continue
            for level in (6, 4, 2):
                median = self.hs_medians.get(level, {}).get(code[:level])
                if median is not None and median > 0:
                    out[i] = median
                    break
        return out


@dataclass(frozen=True, slots=True)
class _Folds:
    """Out-of-fold rates for the training rows: each row's rate from the other folds."""

    fold: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int8]
    prior: float
    folds: int

    def rates(self, values: Sequence[str | None], alpha: float) -> Matrix:
        keys = np.array(values, dtype=object)
        out = np.empty(len(keys))
        for k in range(self.folds):
            inside = self.fold == k
            rows: Counter[str | None] = Counter(keys[~inside].tolist())
            hits: Counter[str | None] = Counter(keys[~inside & (self.labels == 1)].tolist())
            out[inside] = [
                (hits[v] + alpha * self.prior) / (rows[v] + alpha) if v is not None else self.prior
                for v in keys[inside].tolist()
            ]
        return out


def _texts(values: Sequence[Any]) -> list[str | None]:
    return [None if v is None or v == "" else str(v) for v in values]


def _floats(values: Sequence[Any]) -> Matrix:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _prefix(code: str | None, digits: int) -> str | None:
    return code[:digits] if code is not None and len(code) >= digits else None


def _unit_values(price: Matrix, quantity: Matrix) -> Matrix:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(quantity > 0, price / quantity, np.nan)


def _hs_normal(code: str | None, digits: int = 6) -> str | None:
    """HS codes read as numbers lose their leading zero (``10121`` is ``010121``)."""
    if code is None:
        return None
    code = code.split(".")[0].strip()
    return code.zfill(digits) if code.isdigit() and len(code) < digits else code


def normalise(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """Cleans the HS code column of a prepared table (zero-padded to 6 digits)."""
    if mapping.hs_code is None:
        return frame
    return frame.with_columns(
        pl.col(mapping.hs_code).map_elements(_hs_normal, return_dtype=pl.String)
    )


def fit(
    columns: Columns, mapping: ColumnMapping, options: FeatureOptions | None = None
) -> tuple[FeatureState, Matrix]:
    """Learn the feature state from training rows (labels included) and return it with the
    training matrix, whose risk encodings are out-of-fold."""
    options = options or FeatureOptions()
    labels = np.asarray(columns[mapping.label], dtype=np.int8)
    state = FeatureState(mapping=mapping, options=options, prior=float(labels.mean()))
    m = mapping

    def add(name: str, source: str, *, codes: str | None = None, derived: bool = False) -> None:
        state.features.append(Feature(name, source, codes is not None, derived, codes))

    def learn_codes(key: str, values: Sequence[str | None]) -> None:
        counts = Counter(v for v in values if v is not None)
        kept = [v for v, n in counts.items() if n >= options.min_category_rows]
        kept.sort(key=lambda v: (-counts[v], v))
        state.codes[key] = {v: i for i, v in enumerate(kept)}

    def learn_risk(key: str, values: Sequence[str | None]) -> None:
        table: dict[str, list[int]] = {}
        for v, y in zip(values, labels.tolist(), strict=True):
            if v is not None:
                entry = table.setdefault(v, [0, 0])
                entry[0] += 1
                entry[1] += y
        state.risk[key] = table

    for name in m.categorical:
        learn_codes(name, _texts(columns[name]))
        add(name, name, codes=name)
    for name in m.risk_encoded:
        learn_risk(name, _texts(columns[name]))
        add(f"{name} (risk)", name)
        add(f"{name} (training rows)", name)
    for name in m.numeric:
        add(name, name)
    if m.hs_code is not None:
        hs = _texts(columns[m.hs_code])
        learn_codes("hs2", [_prefix(h, 2) for h in hs])
        add(f"{m.hs_code} chapter (HS2)", m.hs_code, codes="hs2", derived=True)
    if m.price is not None and m.quantity is not None:
        add(f"unit value ({m.price} / {m.quantity})", m.price, derived=True)
        unit = _unit_values(_floats(columns[m.price]), _floats(columns[m.quantity]))
        if m.hs_code is not None:
            state.hs_medians = _medians(_texts(columns[m.hs_code]), unit, options.min_hs_rows)
            add("unit value / HS median", m.price, derived=True)
    if m.price is not None and m.tax_rate is not None:
        add(f"duty at stake ({m.price} x {m.tax_rate})", m.tax_rate, derived=True)
    if m.date_parts:
        add("day of week", m.date, derived=True)
        add("day of month", m.date, derived=True)

    folds = _Folds(
        fold=np.random.default_rng(options.seed).integers(0, options.folds, len(labels)),
        labels=labels,
        prior=state.prior,
        folds=options.folds,
    )
    matrix = np.column_stack(state._blocks(columns, out_of_fold=folds))
    return state, matrix


def _medians(hs: Sequence[str | None], unit: Matrix, min_rows: int) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for level in (6, 4, 2):
        groups: dict[str, list[float]] = {}
        for code, value in zip(hs, unit.tolist(), strict=True):
            if code is not None and len(code) >= level and not math.isnan(value):
                groups.setdefault(code[:level], []).append(value)
        out[level] = {
            k: float(np.median(v)) for k, v in sorted(groups.items()) if len(v) >= min_rows
        }
    return out
