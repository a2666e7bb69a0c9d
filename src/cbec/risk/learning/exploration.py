"""Inspection with an exploration share: most of the budget goes to the highest scores,
a share ``epsilon`` to declarations drawn uniformly at random from the rest.

Customs selection research recommends it (e.g. Kim et al., "DATE", KDD 2020; Mao et al.,
"Active learning for customs selection"): a model trained only on what it chose to inspect
never learns about what it never looks at, and random inspections also give an unbiased
estimate of the fraud rate of the whole flow. Each selection says which rows were explored,
so their outcomes can be told apart.

>>> s = select(np.array([0.9, 0.1, 0.8, 0.2, 0.7]), budget=2, epsilon=0.5, seed=1)
>>> s.exploit.tolist()
[0]
>>> len(s.explore), 0 in s.explore.tolist()
(1, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Share of the inspection budget given to random exploration by default.
DEFAULT_EPSILON = 0.10


@dataclass(frozen=True, slots=True)
class Selection:
    """Row indices chosen by score (``exploit``) and at random (``explore``)."""

    exploit: npt.NDArray[np.int64]
    explore: npt.NDArray[np.int64]

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """Every selected row index, in ascending order."""
        return np.sort(np.concatenate([self.exploit, self.explore]))


def select(
    scores: npt.ArrayLike, budget: int, *, epsilon: float = DEFAULT_EPSILON, seed: int = 0
) -> Selection:
    """Pick ``budget`` rows: the top ``budget - round(epsilon * budget)`` by score (ties by
    row order; NaN scores last), then the others uniformly at random, without repeats,
    from the rows not already picked. The same seed gives the same draw."""
    s = np.asarray(scores, dtype=np.float64)
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    if not 0 <= budget <= len(s):
        raise ValueError(f"budget must be in [0, {len(s)}], got {budget}")
    explored = round(epsilon * budget)
    order = np.argsort(-np.where(np.isnan(s), -np.inf, s), kind="stable")
    exploit = order[: budget - explored]
    rest = order[budget - explored :]
    rng = np.random.default_rng(seed)
    explore = np.sort(rng.choice(rest, size=explored, replace=False))
    return Selection(np.sort(exploit).astype(np.int64), explore.astype(np.int64))
