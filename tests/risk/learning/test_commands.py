"""``cbec risk train | evaluate | benchmark kcs`` as an analyst types them, on a slice of
the KCS data and on a small CSV with its mapping file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.risk.learning.factories import KCS_SLICE, run, table

MAPPING = {
    "id": "no",
    "date": "day",
    "label": "seized",
    "revenue": "duty",
    "categorical": ["port"],
    "risk_encoded": ["importer"],
    "numeric": ["weight", "value"],
    "rule_score": "rules",
}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    table(900).write_csv(tmp_path / "declarations.csv")
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING))
    return tmp_path


def test_train_then_evaluate(files: Path) -> None:
    models = str(files / "models")
    trained = run(
        "train",
        "--data", str(files / "declarations.csv"),
        "--mapping", str(files / "mapping.json"),
        "--name", "ports",
        "--models-dir", models,
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "random (expected)" in trained.output
    assert "rules alone" in trained.output
    assert "saved ports version 1" in trained.output
    metrics = json.loads((files / "models" / "ports" / "1" / "metrics.json").read_text())
    assert {a["share"] for a in metrics["test"]["model"]} == {0.01, 0.02, 0.05, 0.1}

    evaluated = run(
        "evaluate", "--model", "ports/1", "--data", str(files / "declarations.csv"),
        "--models-dir", models, "--explain", "2",
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    assert "ports v1" in evaluated.output
    assert "900 rows" in evaluated.output
    assert "highest scores and what made them" in evaluated.output
    assert evaluated.output.count("<-") == 2

    as_json = run(
        "evaluate", "--model", "ports", "--data", str(files / "declarations.csv"),
        "--models-dir", models, "--json",
    )  # fmt: skip
    assert json.loads(as_json.output)["rows"] == 900


def test_bad_input_is_one_line_not_a_traceback(files: Path) -> None:
    broken = (
        table(50)
        .drop("importer")
        .with_columns(
            pl.when(pl.int_range(pl.len()) == 4)
            .then(pl.lit("yesterday"))
            .otherwise("day")
            .alias("day")
        )
    )
    broken.write_csv(files / "broken.csv")
    missing = run(
        "train", "--data", str(files / "broken.csv"), "--mapping", str(files / "mapping.json"),
        "--name", "x", "--models-dir", str(files / "models"),
    )  # fmt: skip
    assert missing.exit_code == 1
    assert "column 'importer': named in the mapping" in missing.output
    assert "Traceback" not in missing.output

    table(50).with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("yesterday")).otherwise("day").alias("day")
    ).write_csv(files / "dates.csv")
    dates = run(
        "train", "--data", str(files / "dates.csv"), "--mapping", str(files / "mapping.json"),
        "--name", "x", "--models-dir", str(files / "models"),
    )  # fmt: skip
    assert dates.exit_code == 1
    assert "column 'day', row 5 (line 6): 'yesterday' is not a date" in dates.output

    unknown = run(
        "evaluate", "--model", "ghost", "--data", str(files / "declarations.csv"),
        "--models-dir", str(files / "models"),
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "no model named 'ghost'" in unknown.output


def test_kcs_benchmark_on_a_slice(tmp_path: Path) -> None:
    result = run("benchmark", "kcs", "--data", str(KCS_SLICE))
    assert result.exit_code == 0, result.output
    for line in ("LightGBM (paper)", "0.762", "0.641", "XGBoost (paper)", "CatBoost (paper)"):
        assert line in result.output
    assert "cbec LightGBM (this run)" in result.output
    assert "test 2021-04-01..2021-06-30: 500 rows" in result.output

    as_json = run("benchmark", "kcs", "--data", str(KCS_SLICE), "--json")
    figures = json.loads(as_json.output)
    assert 0 <= figures["precision_5"] <= 1
    assert figures["test"]["rows"] == 500

    missing = run("benchmark", "kcs", "--data", str(tmp_path))
    assert missing.exit_code == 1
    assert "lacks the KCS file(s)" in missing.output
    # a name that cannot be saved is refused before the data is read (and trained on)
    named = run("benchmark", "kcs", "--data", str(tmp_path), "--save", "no good")
    assert named.exit_code == 1
    assert "--save" in named.output
    assert "model name 'no good' must be" in named.output
    assert "lacks the KCS file(s)" not in named.output
