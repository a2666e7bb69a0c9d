"""Inspection with an exploration share: the top by score, and a seeded random few."""

from __future__ import annotations

import numpy as np
import pytest

from cbec.risk.learning.exploration import select


def test_ninety_percent_by_score_ten_percent_at_random() -> None:
    scores = np.linspace(1, 0, 1000)  # row i is the i-th riskiest
    chosen = select(scores, 100, epsilon=0.10, seed=3)
    assert chosen.exploit.tolist() == list(range(90))
    assert len(chosen.explore) == 10
    assert chosen.explore.min() >= 90  # drawn from the rows not chosen by score
    assert len(set(chosen.rows.tolist())) == 100


def test_same_seed_same_draw_other_seed_other_draw() -> None:
    scores = np.random.default_rng(0).uniform(size=500)
    a = select(scores, 50, epsilon=0.2, seed=11)
    b = select(scores, 50, epsilon=0.2, seed=11)
    c = select(scores, 50, epsilon=0.2, seed=12)
    assert a.explore.tolist() == b.explore.tolist()
    assert a.explore.tolist() != c.explore.tolist()


def test_epsilon_zero_is_pure_ranking_and_one_is_pure_chance() -> None:
    scores = np.array([0.1, 0.9, 0.5, np.nan, 0.7])
    assert select(scores, 2, epsilon=0.0).rows.tolist() == [1, 4]
    assert len(select(scores, 2, epsilon=0.0).explore) == 0
    assert len(select(scores, 2, epsilon=1.0).exploit) == 0


def test_explored_rows_are_uniform_over_the_rest() -> None:
    scores = np.arange(20, 0, -1, dtype=float)  # rows 0..3 are the top 4
    counts = np.zeros(20)
    for seed in range(1600):
        counts[select(scores, 5, epsilon=0.2, seed=seed).explore] += 1
    assert counts[:4].sum() == 0
    # each of the 16 other rows: 1600 draws x 1/16 = 100 expected (sd about 10)
    assert counts[4:].min() > 60
    assert counts[4:].max() < 140


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        select([0.1, 0.2], 1, epsilon=1.5)
    with pytest.raises(ValueError, match="budget"):
        select([0.1, 0.2], 3)
