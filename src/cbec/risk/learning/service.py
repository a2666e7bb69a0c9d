"""The train/evaluate core in one call each: any table + its column mapping in, a trained
model and its figures out. The KCS benchmark, the CLI and (later) training on cbec's own
per-declaration features all go through :func:`train_table` and :func:`evaluate_table`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
import polars as pl

from cbec.errors import BadRequest
from cbec.risk.learning.features import FeatureOptions, normalise
from cbec.risk.learning.mapping import ColumnMapping, Split
from cbec.risk.learning.metrics import SHARES, Report, report
from cbec.risk.learning.model import Fitted, RiskModel, TrainingOptions, train
from cbec.risk.learning.split import Parts, chronological_split, split_by_dates
from cbec.risk.learning.table import prepare


@dataclass(frozen=True, slots=True)
class TrainingRun:
    """A trained model, the periods it was trained, tuned and tested on, and its figures."""

    fitted: Fitted
    parts: Parts
    #: the model trained on train only, on the valid period it was early-stopped on
    valid: Report
    #: the final model on the test period (None without one)
    test: Report | None
    metrics: dict[str, Any]

    @property
    def model(self) -> RiskModel:
        return self.fitted.model


def _report(
    part: pl.DataFrame, mapping: ColumnMapping, scores: Any, shares: tuple[float, ...]
) -> Report:
    return report(
        part[mapping.label].to_numpy(),
        scores,
        revenue=part[mapping.revenue].to_numpy() if mapping.revenue else None,
        rule_scores=part[mapping.rule_score].to_numpy() if mapping.rule_score else None,
        shares=shares,
    )


def _both_classes(part: pl.DataFrame, label: str, name: str) -> None:
    positives = int(part[label].sum())
    if positives == 0 or positives == part.height:
        value = 0 if positives == 0 else 1
        raise BadRequest(
            f"every row of the {name} period ({part.height}) is labelled {value}:"
            " a model needs both outcomes to learn from"
        )


def train_table(
    frame: pl.DataFrame,
    mapping: ColumnMapping,
    *,
    split: Split | None = None,
    features: FeatureOptions | None = None,
    options: TrainingOptions | None = None,
    shares: tuple[float, ...] = SHARES,
    where: str = "table",
) -> TrainingRun:
    """Train a model on ``frame`` (any polars DataFrame holding the mapped columns).

    The split is ``split``, else the mapping's, else the last ~15% of days for test and
    the ~15% before them for valid. The model is early-stopped on valid (and refit on
    train + valid unless ``options.refit`` is off), then scored on test.
    """
    options = options or TrainingOptions()
    features = features or FeatureOptions()
    table = normalise(prepare(frame, mapping, where=where), mapping)
    chosen = split or mapping.split or chronological_split(table[mapping.date])
    parts = split_by_dates(table, mapping.date, chosen)
    _both_classes(parts.train, mapping.label, "train")
    _both_classes(parts.valid, mapping.label, "valid")
    fitted = train(parts.train, parts.valid, mapping, features=features, options=options)
    valid = _report(parts.valid, mapping, fitted.valid_scores, shares)
    test = None
    if parts.test is not None:
        test = _report(parts.test, mapping, fitted.model.score(parts.test), shares)
    metrics: dict[str, Any] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "description": mapping.description,
        "split": chosen.model_dump(mode="json"),
        "rows": {
            "train": parts.train.height,
            "valid": parts.valid.height,
            "test": parts.test.height if parts.test is not None else 0,
        },
        "best_iteration": fitted.best_iteration,
        "rounds": fitted.rounds,
        "training": options.as_dict(),
        "features": {k: getattr(features, k) for k in FeatureOptions.__slots__},
        "feature_names": fitted.model.state.names,
        "valid": valid.as_dict(),
        "test": test.as_dict() if test is not None else None,
        "libraries": {lib: version(lib) for lib in ("lightgbm", "numpy", "polars")},
    }
    return TrainingRun(fitted, parts, valid, test, metrics)


def evaluate_table(
    model: RiskModel,
    frame: pl.DataFrame,
    *,
    shares: tuple[float, ...] = SHARES,
    where: str = "table",
) -> tuple[Report, pl.DataFrame, np.ndarray[Any, np.dtype[np.float64]]]:
    """Score every row of ``frame`` (labels required) with ``model``; the figures beside
    random selection (and rules, if the mapping names a rule score), the prepared rows and
    their scores."""
    mapping = model.mapping
    table = normalise(prepare(frame, mapping, where=where), mapping)
    scores = model.score(table)
    return _report(table, mapping, scores, shares), table, scores
