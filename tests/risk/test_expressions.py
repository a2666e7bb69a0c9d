"""The rule expression language: each operator's semantics, missing values, and errors that
name the path and the rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.risk.expressions import (
    OPERATORS,
    Kind,
    Value,
    check_expression,
    compile_expression,
)

CATALOGUE = {
    "feature.ratio": Kind.NUMBER,
    "feature.lists": Kind.NUMBER,
    "feature.class": Kind.STRING,
    "feature.new": Kind.BOOL,
    "field.hs_codes": Kind.STRINGS,
    "field.value": Kind.NUMBER,
}
CONTEXT: dict[str, Value] = {
    "feature.ratio": 0.25,
    "feature.lists": 3.0,
    "feature.class": "C",
    "feature.new": True,
    "field.hs_codes": ("1901101010", "3304990099"),
    "field.value": 1200.0,
}


def run(tree: Any, ctx: dict[str, Value] | None = None, expect: Kind | None = None) -> Value:
    compiled = compile_expression(tree, CATALOGUE, expect=expect)
    return compiled.evaluate(CONTEXT if ctx is None else ctx)


F = {"feature": "ratio"}
LISTS = {"feature": "lists"}


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({"<": [F, 0.3]}, True),
        ({"<=": [F, 0.25]}, True),
        ({">": [F, 0.25]}, False),
        ({">=": [LISTS, 3]}, True),
        ({"==": [{"feature": "class"}, "C"]}, True),
        ({"!=": [{"feature": "class"}, "C"]}, False),
        ({"==": [{"feature": "new"}, True]}, True),
        ({"between": [LISTS, 1, 3]}, True),
        ({"between": [LISTS, 4, 9]}, False),
        ({"in": [{"feature": "class"}, ["C", "D"]]}, True),
        ({"in": [LISTS, [1, 2]]}, False),
        ({"in": [{"field": "hs_codes"}, ["3304990099"]]}, True),
        ({"prefix": [{"field": "hs_codes"}, ["33", "22"]]}, True),
        ({"prefix": [{"feature": "class"}, "D"]}, False),
        ({"and": [{"<": [F, 0.3]}, {">": [{"field": "value"}, 1000]}]}, True),
        ({"and": [{"<": [F, 0.3]}, {">": [{"field": "value"}, 5000]}]}, False),
        ({"or": [{"<": [F, 0.1]}, {"feature": "new"}]}, True),
        ({"not": {"feature": "new"}}, False),
        ({"not": [{"<": [F, 0.1]}]}, True),
        ({"is_null": [F]}, False),
        ({">": [{"*": [F, {"field": "value"}]}, 299]}, True),  # 0.25 x 1200 = 300
        ({"==": [{"+": [LISTS, 1, 2]}, 6]}, True),
        ({"==": [{"-": [LISTS, 1]}, 2]}, True),
        ({"==": [{"/": [{"field": "value"}, LISTS]}, 400]}, True),
        ({"==": [{"min": [LISTS, 7, 2]}, 2]}, True),
        ({"==": [{"max": [LISTS, 7, 2]}, 7]}, True),
        ({"==": [{"abs": {"-": [1, LISTS]}}, 2]}, True),
    ],
)
def test_operators(tree: Any, expected: bool) -> None:
    assert run(tree) is expected


def test_every_operator_is_covered_above() -> None:
    covered = {"<", "<=", ">", ">=", "==", "!=", "between", "in", "prefix", "and", "or", "not"}
    covered |= {"is_null", "*", "+", "-", "/", "min", "max", "abs"}
    assert covered == set(OPERATORS)


def test_missing_values_never_make_a_rule_fire() -> None:
    missing = {**CONTEXT, "feature.ratio": None}
    assert run({"<": [F, 0.3]}, missing) is False
    assert run({">=": [F, 0.3]}, missing) is False
    assert run({"!=": [F, 0.3]}, missing) is False
    assert run({"between": [F, 0, 1]}, missing) is False
    assert run({"in": [F, [0.25]]}, missing) is False
    assert run({"is_null": [F]}, missing) is True
    assert run({"*": [F, 2]}, missing, expect=None) is None
    # not(false) is true: "not" of a comparison with a missing value does fire, by design
    assert run({"not": {"<": [F, 0.3]}}, missing) is True


def test_division_by_zero_is_missing() -> None:
    assert run({"/": [LISTS, 0]}, expect=None) is None
    assert run({">": [{"/": [LISTS, 0]}, 1]}) is False


def test_references_are_collected() -> None:
    compiled = compile_expression(
        {"and": [{"<": [F, 0.3]}, {">": [{"field": "value"}, 1]}]}, CATALOGUE
    )
    assert compiled.refs == {"feature.ratio", "field.value"}


@pytest.mark.parametrize(
    ("tree", "path", "rule"),
    [
        ({"<": [{"feature": "nope"}, 1]}, "when/<[0]/feature", "unknown_feature"),
        ({"<": [{"field": "nope"}, 1]}, "when/<[0]/field", "unknown_field"),
        ({"<": [{"feature": "class"}, 1]}, "when/<[0]", "type"),
        ({"and": [{"<": [F, 1]}, {"feature": "lists"}]}, "when/and[1]", "type"),
        ({"<": [F]}, "when/<", "arity"),
        ({"between": [F, 1]}, "when/between", "arity"),
        ({"like": [F, 1]}, "when", "unknown_operator"),
        ({"<": [F, 1], ">": [F, 2]}, "when", "one_key"),
        ({"<": [F, None]}, "when/<[1]", "not_null"),
        ({"in": [F, ["a"]]}, "when/in[1]", "type"),
        ({"in": [F, {"feature": "lists"}]}, "when/in[1]", "literal"),
        ({"==": [F, "x"]}, "when/==", "type"),
        ({"in": [F, [1, "a"]]}, "when/in[1]", "list_type"),
        ({"+": [F, 1]}, "when", "type"),  # a number is not a condition
    ],
)
def test_errors_name_path_and_rule(tree: Any, path: str, rule: str) -> None:
    problems = check_expression(tree, CATALOGUE)
    assert problems, tree
    assert (problems[0].path, problems[0].rule) == (path, rule), problems


def test_every_problem_is_reported_at_once() -> None:
    tree = {"and": [{"<": [{"feature": "nope"}, 1]}, {">": [{"feature": "class"}, 2]}]}
    problems = check_expression(tree, CATALOGUE, path="rules[3]/when")
    assert [(p.path, p.rule) for p in problems] == [
        ("rules[3]/when/and[0]/<[0]/feature", "unknown_feature"),
        ("rules[3]/when/and[1]/>[0]", "type"),
    ]
    assert "known: class, lists, new, ratio" in problems[0].message


def test_depth_is_bounded() -> None:
    tree: Any = {"feature": "new"}
    for _ in range(40):
        tree = {"not": tree}
    assert check_expression(tree, CATALOGUE)[0].rule == "depth"


@given(
    x=st.floats(allow_nan=False, allow_infinity=False, width=32),
    low=st.floats(allow_nan=False, allow_infinity=False, width=32),
    high=st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_between_agrees_with_python(x: float, low: float, high: float) -> None:
    ctx: dict[str, Value] = {**CONTEXT, "feature.ratio": x}
    tree = {"between": [F, low, high]}
    assert run(tree, ctx) is (low <= x <= high)
    assert run({"and": [{">=": [F, low]}, {"<=": [F, high]}]}, ctx) is (low <= x <= high)
