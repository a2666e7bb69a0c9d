"""What a selection is worth when customs can inspect only a share of the declarations:
precision, recall and revenue caught among the top ``share`` by score.

Ties are counted exactly: when the budget cuts through rows of equal score, each of them is
taken with the same probability, and the figures are the expected values (no sampling). So
random selection is simply a constant score, and its figures are exact too: precision is
the label rate, recall and revenue the share inspected.

>>> labels = np.array([1, 0, 1, 0])
>>> at_budget(labels, np.array([0.9, 0.8, 0.7, 0.1]), 0.5).precision
0.5
>>> at_budget(labels, np.zeros(4), 0.25).precision  # random: the label rate
0.5
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

#: Shares inspected that every report shows.
SHARES = (0.01, 0.02, 0.05, 0.10)

Array = npt.NDArray[np.float64]


def inspected(rows: int, share: float) -> int:
    """Declarations inspected out of ``rows`` at ``share``: the floor, at least one."""
    if not 0 < share <= 1:
        raise ValueError(f"share inspected must be in (0, 1], got {share}")
    return max(1, math.floor(rows * share + 1e-9)) if rows else 0


@dataclass(frozen=True, slots=True)
class AtBudget:
    """Figures of one selector at one share inspected."""

    share: float
    inspected: int
    #: expected number of positives among the inspected
    caught: float
    precision: float
    #: None when the table has no positive (nothing to recall)
    recall: float | None
    #: share of the positives' revenue that was inspected; None without a revenue column
    revenue: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _expected_taken(scores: Array, budget: int) -> Array:
    """Probability that each row is inspected when the top ``budget`` are, ties at the
    cut drawn uniformly."""
    taken = np.zeros(len(scores))
    if budget == 0:
        return taken
    clean = np.where(np.isnan(scores), -np.inf, scores)
    threshold = np.sort(clean)[::-1][budget - 1]
    above = clean > threshold
    tied = clean == threshold
    taken[above] = 1.0
    taken[tied] = (budget - int(above.sum())) / int(tied.sum())
    return taken


def at_budget(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    share: float,
    revenue: npt.ArrayLike | None = None,
) -> AtBudget:
    """Precision, recall and revenue caught when the top ``share`` of rows by ``scores``
    are inspected (higher score = riskier). ``revenue`` counts only on positive rows."""
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError(f"{len(y)} labels but {len(s)} scores")
    budget = inspected(len(y), share)
    taken = _expected_taken(s, budget)
    caught = float(taken @ y)
    positives = float(y.sum())
    revenue_share = None
    if revenue is not None:
        at_stake = np.nan_to_num(np.asarray(revenue, dtype=np.float64)) * y
        total = float(at_stake.sum())
        revenue_share = float(taken @ at_stake) / total if total > 0 else None
    return AtBudget(
        share=share,
        inspected=budget,
        caught=caught,
        precision=caught / budget if budget else 0.0,
        recall=caught / positives if positives else None,
        revenue=revenue_share,
    )


def random_at_budget(
    labels: npt.ArrayLike, share: float, revenue: npt.ArrayLike | None = None
) -> AtBudget:
    """The expected figures of a uniformly random selection (exact, not sampled)."""
    y = np.asarray(labels, dtype=np.float64)
    return at_budget(y, np.zeros(len(y)), share, revenue)


@dataclass(frozen=True, slots=True)
class Report:
    """One table of figures: the model, random selection and (if given) rules alone, at
    each share inspected, on ``rows`` rows of which ``positives`` are labelled 1."""

    rows: int
    positives: int
    model: tuple[AtBudget, ...]
    random: tuple[AtBudget, ...]
    rules: tuple[AtBudget, ...] | None = None

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "rows": self.rows,
            "positives": self.positives,
            "model": [a.as_dict() for a in self.model],
            "random": [a.as_dict() for a in self.random],
        }
        if self.rules is not None:
            body["rules"] = [a.as_dict() for a in self.rules]
        return body


def report(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    revenue: npt.ArrayLike | None = None,
    rule_scores: npt.ArrayLike | None = None,
    shares: tuple[float, ...] = SHARES,
) -> Report:
    """The figures of ``scores`` beside random selection and ``rule_scores``, per share."""
    y = np.asarray(labels, dtype=np.float64)
    return Report(
        rows=len(y),
        positives=int(y.sum()),
        model=tuple(at_budget(y, scores, s, revenue) for s in shares),
        random=tuple(random_at_budget(y, s, revenue) for s in shares),
        rules=(
            None
            if rule_scores is None
            else tuple(at_budget(y, rule_scores, s, revenue) for s in shares)
        ),
    )
