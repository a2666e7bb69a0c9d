"""The learned model in clearance: ``CBEC_RISK_MODEL`` names a saved model, which then
scores every list; a high score comes with the features that made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cbec.config import Settings
from cbec.risk import wiring
from cbec.risk.learning import artefact, cbec
from cbec.risk.learning.artefact import ModelNotFound
from cbec.risk.learning.service import train_table
from tests.risk.learning.factories import QUICK
from tests.risk.learning.test_cbec import features_table


def test_a_saved_model_scores_records_and_explains_high_scores(tmp_path: Path) -> None:
    table = features_table()
    run = train_table(table, cbec.mapping(), options=QUICK)
    artefact.save(run.model, {}, tmp_path, "cbec")
    settings = Settings(models_dir=tmp_path, risk_model="cbec", risk_model_review=0.5)
    scorer = wiring.model_scorer(settings)
    assert scorer is not None
    rows = [_typed(r) for r in table.to_dicts()]
    scored = [(scorer(r), r) for r in rows[:300]]
    assert all(m is not None and m.model == "cbec/1" for m, _ in scored)
    cheap = [m.score for m, r in scored if m is not None and r["unit_price_ratio"] < 0.4]
    usual = [m.score for m, r in scored if m is not None and r["unit_price_ratio"] > 1.0]
    assert sum(cheap) / len(cheap) > 2 * sum(usual) / len(usual)  # it learned the signal
    explained = [m for m, _ in scored if m is not None and m.score >= 0.5]
    quiet = [m for m, _ in scored if m is not None and m.score < 0.5]
    assert explained
    assert quiet
    # a score that asks for review explains itself; a lower one is not explained (cheap)
    assert all(m.contributions for m in explained)
    assert any("unit_price_ratio" in name for m in explained for name, _ in m.contributions)
    assert all(m.contributions == () for m in quiet)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the features file as real time hands it over: numbers and booleans."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value in ("True", "False"):
            out[key] = value == "True"
            continue
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def test_no_model_means_rules_alone_and_a_missing_model_is_an_error(tmp_path: Path) -> None:
    assert wiring.model_scorer(Settings(models_dir=tmp_path)) is None
    with pytest.raises(ModelNotFound):
        wiring.model_scorer(Settings(models_dir=tmp_path, risk_model="nothing"))
