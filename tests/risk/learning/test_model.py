"""Training, scoring and explanations; saved models score exactly as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from cbec.errors import BadRequest
from cbec.risk.learning import artefact
from cbec.risk.learning.service import TrainingRun, evaluate_table, train_table
from tests.risk.learning.factories import QUICK, mapping, table


@pytest.fixture(scope="module")
def run() -> TrainingRun:
    return train_table(table(), mapping(), options=QUICK)


def test_the_model_beats_random_and_rules_on_test(run: TrainingRun) -> None:
    assert run.test is not None
    assert run.parts.test is not None
    at_10 = {a.share: a for a in run.test.model}[0.10]
    random_10 = {a.share: a for a in run.test.random}[0.10]
    assert run.test.rules is not None
    assert at_10.precision > random_10.precision
    assert random_10.precision == pytest.approx(run.test.positives / run.test.rows)
    # the periods follow each other: test is the last days
    assert run.parts.train["day"].max() < run.parts.valid["day"].min()
    assert run.parts.valid["day"].max() < run.parts.test["day"].min()


def test_contributions_sum_to_the_raw_score(run: TrainingRun) -> None:
    rows = run.parts.valid.head(50)
    contributions = run.model.contributions(rows)
    assert contributions.shape == (50, len(run.model.state.names) + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), run.model.raw_score(rows), atol=1e-9)
    np.testing.assert_allclose(1 / (1 + np.exp(-run.model.raw_score(rows))), run.model.score(rows))


def test_a_high_score_explains_itself(run: TrainingRun) -> None:
    rows = run.parts.valid
    riskiest = rows[[int(np.argmax(run.model.score(rows)))]]
    (explained,) = run.model.explain(riskiest, top=3)
    assert len(explained.top) == 3
    effects = [abs(c.contribution) for c in explained.top]
    assert effects == sorted(effects, reverse=True)
    assert explained.score == pytest.approx(float(run.model.score(riskiest)[0]))
    first = explained.top[0]
    assert first.feature in run.model.state.names
    assert first.column in riskiest.columns


def test_save_and_load_give_identical_scores(run: TrainingRun, tmp_path: Path) -> None:
    first = artefact.save(run.model, run.metrics, tmp_path, "demo")
    second = artefact.save(run.model, run.metrics, tmp_path, "demo")
    assert (first.version, second.version) == (1, 2)
    assert sorted(p.name for p in first.path.iterdir()) == sorted(artefact.FILES)
    loaded = artefact.load(tmp_path, "demo/1")
    assert artefact.load(tmp_path, "demo").version == 2
    rows = run.parts.test
    assert rows is not None
    np.testing.assert_array_equal(loaded.model.score(rows), run.model.score(rows))
    assert loaded.metrics["test"] == run.metrics["test"]
    report, _, scores = evaluate_table(loaded.model, table())
    assert report.rows == table().height
    assert len(scores) == report.rows


def test_unknown_models_and_bad_names(tmp_path: Path) -> None:
    with pytest.raises(artefact.ModelNotFound, match="no model named 'nope'"):
        artefact.load(tmp_path, "nope")
    (tmp_path / "demo" / "1").mkdir(parents=True)
    with pytest.raises(artefact.ModelNotFound, match="has no version '7'"):
        artefact.load(tmp_path, "demo/7")
    with pytest.raises(artefact.ModelNotFound, match=r"lacks model\.txt"):
        artefact.load(tmp_path, "demo")
    with pytest.raises(BadRequest, match="model name"):
        artefact.check_name("../etc")


def test_training_is_deterministic() -> None:
    options = dataclasses.replace(QUICK, max_rounds=20)
    a = train_table(table(600), mapping(), options=options)
    b = train_table(table(600), mapping(), options=options)
    assert a.model.booster.model_to_string() == b.model.booster.model_to_string()


def test_one_outcome_only_cannot_be_learned() -> None:
    frame = table(300).with_columns(seized=0)
    with pytest.raises(BadRequest, match=r"every row of the train period .* is labelled 0"):
        train_table(frame, mapping(), options=QUICK)


def test_one_declaration_in_real_time_scores_as_in_batch(run: TrainingRun) -> None:
    rows = run.parts.valid.head(3)
    batch = run.model.score(rows)
    for i, record in enumerate(rows.iter_rows(named=True)):
        record["day"] = record["day"].isoformat()  # as a message would carry it
        explained = run.model.explain_record(record, top=2)
        assert explained.score == pytest.approx(batch[i], abs=1e-12)
        assert len(explained.top) == 2
    # a record that lacks most columns still gets a score (they count as missing)
    assert 0 < run.model.explain_record({"weight": 3.0}).score < 1
