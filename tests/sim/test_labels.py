"""labels.json read back: what cbec sim writes is read as it is, and a file of another
shape given to an evaluation (cbec risk quality, cbec network evaluate) is one line naming
the file, the field path and what was expected, exit 1: never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cbec.cli import app
from cbec.errors import BadRequest
from cbec.sim.labels import check_labels, read_labels
from tests.sim.reading import Written

runner = CliRunner()


def test_the_labels_cbec_sim_writes_are_read_as_they_are(written: Written) -> None:
    assert written.labels["networks"]  # the day plants networks: their shape is checked
    assert read_labels(written.out / "labels.json") == written.labels


BAD = [
    ("[]", "", "an object (cbec-labels/1, as cbec sim writes labels.json) expected; got a list"),
    ("null", "", "an object (cbec-labels/1, as cbec sim writes labels.json) expected; got null"),
    ('{"orders": [1, 2]}', " at orders", "an object expected; got a list"),
    ('{"orders": {"KA1": "undervalued"}}', " at orders/KA1", "a list expected; got a string"),
    ('{"identities": 3}', " at identities", "an object expected; got a number"),
    ('{"networks": [{"pattern": "smuggling_ring"}]}', " at networks/0/identities", "required"),
    ('{"format": "cbec-labels/9"}', " at format", "'cbec-labels/1' expected; got a string"),
]


@pytest.mark.parametrize(("content", "at", "expected"), BAD, ids=[b[0] for b in BAD])
def test_labels_of_another_shape_are_one_line_naming_file_and_field(
    store_env: None, tmp_path: Path, content: str, at: str, expected: str
) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(content, encoding="utf-8")
    commands: list[tuple[list[str], str]] = [
        (["risk", "quality", str(labels)], str(labels)),
        (["network", "evaluate", "--labels", str(labels)], f"--labels {labels}"),
    ]
    for args, where in commands:
        result: Any = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith(f"error: {where}{at}: {expected} ["), line


def test_labels_that_are_not_json_are_one_line(store_env: None, tmp_path: Path) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["network", "evaluate", "--labels", str(labels)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --labels {labels}: a JSON file that can be read (")
    assert result.stderr.endswith("[json_file]\n")


def test_every_problem_is_named() -> None:
    with pytest.raises(BadRequest) as raised:
        check_labels({"orders": {"A": [1]}, "seed": "x"}, "labels.json")
    assert [(f.path, f.rule) for f in raised.value.fields] == [
        ("labels.json at seed", "int_type"),
        ("labels.json at orders/A/0", "string_type"),
    ]
    assert check_labels({"orders": {}}, "labels.json") == {"orders": {}}
