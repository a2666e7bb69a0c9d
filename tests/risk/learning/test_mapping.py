"""Column mappings from JSON and TOML files, and what they refuse."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cbec.risk.learning import kcs
from cbec.risk.learning.mapping import MappingInvalid, load_mapping

MINIMAL = {"id": "no", "date": "day", "label": "seized", "numeric": ["value"]}


def test_json_and_toml_say_the_same(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({**MINIMAL, "categorical": ["port"]}))
    (tmp_path / "m.toml").write_text(
        'id = "no"\ndate = "day"\nlabel = "seized"\nnumeric = ["value"]\n'
        'categorical = ["port"]\n'
        "[split]\ntrain = {start = 2026-01-01, end = 2026-01-31}\n"
        "valid = {start = 2026-02-01, end = 2026-02-28}\n"
    )
    from_json, from_toml = load_mapping(tmp_path / "m.json"), load_mapping(tmp_path / "m.toml")
    assert from_json.feature_columns == from_toml.feature_columns == ("port", "value")
    assert from_toml.split is not None
    assert from_toml.split.valid.start == dt.date(2026, 2, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"numeric": ["seized"]}, "label"),
        ({"numeric": [], "categorical": []}, "no feature"),
        ({"categorical": ["value"]}, "listed twice"),
        ({"quantity": "weight"}, "quantity given without price"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_mapping_names_its_problem(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**MINIMAL, **change}))
    with pytest.raises(MappingInvalid) as caught:
        load_mapping(path)
    assert message in " ".join(str(f) for f in caught.value.fields)
    assert str(path) in str(caught.value.fields[0])


def test_split_periods_must_follow_each_other(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    split = {
        "train": {"start": "2026-01-01", "end": "2026-02-10"},
        "valid": {"start": "2026-02-01", "end": "2026-02-28"},
    }
    path.write_text(json.dumps({**MINIMAL, "split": split}))
    with pytest.raises(MappingInvalid) as caught:
        load_mapping(path)
    assert "valid must start after train ends" in str(caught.value.fields[0])


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(MappingInvalid, match="cannot read"):
        load_mapping(tmp_path / "absent.json")
    (tmp_path / "m.toml").write_text("id = ")
    with pytest.raises(MappingInvalid, match="not valid toml"):
        load_mapping(tmp_path / "m.toml")


def test_the_kcs_mapping_ships_with_the_package() -> None:
    m = kcs.mapping()
    assert m.label == "Fraud"
    assert m.hs_code == "HS6 Code"
    assert m.split is not None
    assert m.split.test is not None
    assert (m.split.train.start, m.split.test.end) == (dt.date(2020, 1, 1), dt.date(2021, 6, 30))
    assert "Critical Fraud" not in m.required_columns  # a second label, never a feature
