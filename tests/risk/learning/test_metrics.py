"""Precision, recall and revenue at a share inspected, worked by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.risk.learning.metrics import at_budget, inspected, random_at_budget, report


def test_top_two_of_ten_by_hand() -> None:
    labels = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    scores = [0.9, 0.95, 0.1, 0.2, 0.3, 0.8, 0.0, 0.05, 0.15, 0.25]
    revenue = [100, 999, 50, 999, 999, 10, 999, 999, 999, 999]
    # top 20% = two rows: 0.95 (label 0) and 0.9 (label 1, revenue 100 of 160)
    at = at_budget(labels, scores, 0.2, revenue)
    assert (at.inspected, at.caught, at.precision) == (2, 1.0, 0.5)
    assert at.recall == pytest.approx(1 / 3)
    assert at.revenue == pytest.approx(100 / 160)
    # top 30% adds 0.8 (label 1, revenue 10)
    at = at_budget(labels, scores, 0.3, revenue)
    assert at.precision == pytest.approx(2 / 3)
    assert at.revenue == pytest.approx(110 / 160)


def test_ties_at_the_cut_count_as_their_expected_value() -> None:
    labels = [0, 1, 0, 0, 1]
    scores = [0.9, 0.5, 0.5, 0.5, 0.1]
    revenue = [10, 20, 30, 40, 50]
    # two inspected: row 0 surely, then one of the three tied rows (one positive)
    at = at_budget(labels, scores, 0.4, revenue)
    assert at.inspected == 2
    assert at.caught == pytest.approx(1 / 3)
    assert at.precision == pytest.approx(1 / 6)
    assert at.recall == pytest.approx(1 / 6)
    assert at.revenue == pytest.approx((20 / 3) / 70)


def test_random_selection_is_exact() -> None:
    labels = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    revenue = [5, 10, 85, 1, 1, 1, 1, 1, 1, 1]
    for share in (0.1, 0.2, 0.5):
        at = random_at_budget(labels, share, revenue)
        assert at.precision == pytest.approx(0.3)
        assert at.recall == pytest.approx(share)
        assert at.revenue == pytest.approx(share)


def test_budget_is_the_floor_and_at_least_one() -> None:
    assert inspected(8481, 0.05) == 424
    assert inspected(8481, 0.10) == 848
    assert inspected(30, 0.01) == 1
    assert inspected(100, 0.07) == 7  # not 7.000000000000001 -> 7, nor 6
    with pytest.raises(ValueError, match="share"):
        inspected(10, 0)


def test_nan_scores_come_last_and_no_positive_means_no_recall() -> None:
    at = at_budget([0, 0, 0], [np.nan, 0.2, 0.1], 1 / 3)
    assert at.caught == 0
    assert at.recall is None
    assert at.revenue is None


def test_report_has_rules_only_when_given() -> None:
    labels = [1, 0, 0, 0]
    assert report(labels, [1, 2, 3, 4], shares=(0.25,)).rules is None
    with_rules = report(labels, [1, 2, 3, 4], rule_scores=[1, 0, 0, 0], shares=(0.25,))
    assert with_rules.model[0].precision == 0.0
    assert with_rules.rules is not None
    assert with_rules.rules[0].precision == 1.0
    assert set(with_rules.as_dict()) == {"rows", "positives", "model", "random", "rules"}


@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3)), min_size=1, max_size=6),
    st.floats(0.01, 1.0),
)
def test_expected_value_equals_the_average_over_every_tie_break(
    rows: list[tuple[int, int]], share: float
) -> None:
    """Reference: enumerate every order of the rows, keep those sorted by score, take the
    top n of each; the mean positives caught is what at_budget must say."""
    labels = [y for y, _ in rows]
    scores = [float(s) for _, s in rows]
    n = inspected(len(rows), share)
    caught = [
        sum(labels[i] for i in order[:n])
        for order in itertools.permutations(range(len(rows)))
        if all(scores[a] >= scores[b] for a, b in itertools.pairwise(order))
    ]
    assert at_budget(labels, scores, share).caught == pytest.approx(np.mean(caught))
