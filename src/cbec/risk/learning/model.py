"""Gradient-boosted trees (LightGBM) over the engineered features: training with early
stopping on the validation period, scoring, and per-row explanations.

Training is deterministic: fixed seeds, ``deterministic=True``, row-wise histograms and a
fixed thread count, so the same table and options give the same model, tree for tree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from cbec.risk.learning.features import (
    Columns,
    Feature,
    FeatureOptions,
    FeatureState,
    Matrix,
    fit,
)
from cbec.risk.learning.mapping import ColumnMapping


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """LightGBM settings and the training protocol."""

    learning_rate: float = 0.05
    num_leaves: int = 63
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    cat_smooth: float = 10.0
    max_cat_to_onehot: int = 4
    #: most boosting rounds; training stops earlier when the validation loss has not
    #: improved for ``early_stopping`` rounds
    max_rounds: int = 3000
    early_stopping: int = 100
    #: after early stopping, fit again on train + valid for the rounds found (scaled by
    #: the larger table): the model then knows the most recent period as well
    refit: bool = True
    seed: int = 1
    #: 1 by default: OpenMP threads spin, and on a busy 2-core machine two of them can
    #: make training twenty times slower
    threads: int = 1

    def params(self) -> dict[str, Any]:
        """LightGBM parameters."""
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "cat_smooth": self.cat_smooth,
            "max_cat_to_onehot": self.max_cat_to_onehot,
            "seed": self.seed,
            "num_threads": self.threads,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one feature moved a row's raw score (log-odds), and the value it had."""

    feature: str
    column: str
    value: Any
    contribution: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """A row's score, its raw score (log-odds) and the features that made it."""

    score: float
    raw_score: float
    #: the raw score of a row about which nothing is known (the base value)
    base: float
    top: tuple[Contribution, ...]


@dataclass(slots=True)
class RiskModel:
    """A trained booster with the feature state it was trained on.

    Predictions run on one thread: a declaration at a time is what real time asks for
    (OpenMP threads would only spin), and batches of tens of thousands take a blink."""

    booster: lgb.Booster
    state: FeatureState

    @property
    def mapping(self) -> ColumnMapping:
        return self.state.mapping

    def features(self, rows: Columns | pl.DataFrame) -> Matrix:
        columns = rows.to_dict(as_series=False) if isinstance(rows, pl.DataFrame) else rows
        return self.state.transform(columns)

    def score(self, rows: Columns | pl.DataFrame) -> Matrix:
        """Probability of the label for each row (higher = riskier)."""
        out: Matrix = np.asarray(
            self.booster.predict(self.features(rows), num_threads=1), dtype=np.float64
        )
        return out

    def raw_score(self, rows: Columns | pl.DataFrame) -> Matrix:
        """The score before the logistic link (log-odds): what contributions add up to."""
        out: Matrix = np.asarray(
            self.booster.predict(self.features(rows), raw_score=True, num_threads=1),
            dtype=np.float64,
        )
        return out

    def contributions(self, rows: Columns | pl.DataFrame) -> Matrix:
        """Per row, each feature's contribution to the raw score, then the base value in
        the last column; each row sums to the raw score (LightGBM's TreeSHAP)."""
        out: Matrix = np.asarray(
            self.booster.predict(self.features(rows), pred_contrib=True, num_threads=1),
            dtype=np.float64,
        )
        return out

    def explain(self, rows: Columns | pl.DataFrame, top: int = 5) -> list[Explanation]:
        """Each row's score with its ``top`` contributions, largest effect first."""
        columns = rows.to_dict(as_series=False) if isinstance(rows, pl.DataFrame) else rows
        matrix = self.state.transform(columns)
        contributions = np.asarray(
            self.booster.predict(matrix, pred_contrib=True, num_threads=1), dtype=np.float64
        )
        features = self.state.features
        out = []
        for i, row in enumerate(contributions):
            raw = float(row.sum())
            order = np.argsort(-np.abs(row[:-1]), kind="stable")[:top]
            out.append(
                Explanation(
                    score=float(1 / (1 + np.exp(-raw))),
                    raw_score=raw,
                    base=float(row[-1]),
                    top=tuple(
                        Contribution(
                            feature=features[j].name,
                            column=features[j].source,
                            value=self._shown(
                                features[j], columns[features[j].source][i], matrix[i, j]
                            ),
                            contribution=float(row[j]),
                        )
                        for j in order
                    ),
                )
            )
        return out

    def explain_record(self, record: Mapping[str, Any], top: int = 5) -> Explanation:
        """One declaration given as ``{column: value}`` (real time): its score and top
        contributions. Columns the record lacks are missing values; a date may be a
        ``date`` or ISO text. The same code path as batch scoring, on one row."""
        m = self.mapping
        columns: dict[str, list[Any]] = {c: [record.get(c)] for c in m.feature_columns}
        day = record.get(m.date)
        columns[m.date] = [dt.date.fromisoformat(day) if isinstance(day, str) else day]
        return self.explain(columns, top=top)[0]

    def _shown(self, feature: Feature, source: Any, computed: float) -> Any:
        """What a person should see of a feature's value: the column's own value, or the
        computed number (or category) of a derived feature; None when missing."""
        if not feature.derived:
            return source.isoformat() if isinstance(source, dt.date) else source
        if math.isnan(computed):
            return None
        if feature.categorical:
            return self.state.category(feature, computed)
        return float(computed)


@dataclass(frozen=True, slots=True)
class Fitted:
    """A trained model and how its training went."""

    model: RiskModel
    #: the model fitted on train only, scored on valid (its figures are the valid report)
    valid_scores: Matrix
    best_iteration: int
    rounds: int


def _dataset(matrix: Matrix, labels: Any, state: FeatureState) -> lgb.Dataset:
    return lgb.Dataset(
        matrix,
        label=np.asarray(labels, dtype=np.float64),
        feature_name=[f"f{i}" for i in range(matrix.shape[1])],
        categorical_feature=state.categorical_indices,
        free_raw_data=False,
    )


def train(
    train_rows: pl.DataFrame,
    valid_rows: pl.DataFrame,
    mapping: ColumnMapping,
    *,
    features: FeatureOptions | None = None,
    options: TrainingOptions | None = None,
) -> Fitted:
    """Fit on ``train_rows``, stop early on ``valid_rows``; then (``options.refit``) fit
    again on both for the rounds found. Both tables are prepared (see ``table.prepare``)."""
    options = options or TrainingOptions()
    params = options.params()
    train_columns = train_rows.to_dict(as_series=False)
    state, matrix = fit(train_columns, mapping, features)
    valid_matrix = state.transform(valid_rows.to_dict(as_series=False))
    train_set = _dataset(matrix, train_columns[mapping.label], state)
    valid_set = _dataset(valid_matrix, valid_rows[mapping.label].to_list(), state)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=options.max_rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(options.early_stopping, verbose=False)],
    )
    best = max(1, int(booster.best_iteration or booster.current_iteration()))
    valid_scores = np.asarray(
        booster.predict(valid_matrix, num_iteration=best, num_threads=1), dtype=np.float64
    )
    if not options.refit:
        final = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        return Fitted(RiskModel(final, state), valid_scores, best, best)
    both = pl.concat([train_rows, valid_rows], how="vertical")
    rounds = max(1, round(best * both.height / train_rows.height))
    both_columns = both.to_dict(as_series=False)
    state, matrix = fit(both_columns, mapping, features)
    refitted = lgb.train(
        params, _dataset(matrix, both_columns[mapping.label], state), num_boost_round=rounds
    )
    return Fitted(RiskModel(refitted, state), valid_scores, best, rounds)
