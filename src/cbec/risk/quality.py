"""How well the controls in force caught a simulated day's injected fraud.

``cbec sim`` writes the ground truth (``labels.json``: the orders each fraud pattern made)
apart from the messages; only this evaluation reads it. For each list decided, what
clearance did (rejected by a check, held or sent to inspection, to manual review, or
released) and why (a risk rule or control instruction, or random sampling) is compared with
the labels: precision and recall of the selection for inspection at the inspection rate it
came to, for all selections and for those the rules made, overall and per pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.store.models import Declaration, DeclarationEvent, RuleHit

STOPPING = ("xray", "open_inspection", "hold")


@dataclass(slots=True)
class Tally:
    lists: int = 0
    rejected: int = 0
    selected: int = 0  # held or sent to inspection, for whatever reason
    by_rules: int = 0  # ... because a live rule or instruction asked for it
    random: int = 0  # ... by a random draw (the class's rate or the exploration share)
    reviewed: int = 0
    released: int = 0


@dataclass(slots=True)
class Quality:
    """Counts over the lists decided, overall, for the fraudulent ones and per pattern."""

    all: Tally = field(default_factory=Tally)
    fraud: Tally = field(default_factory=Tally)
    patterns: dict[str, Tally] = field(default_factory=dict)

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def inspection_rate(self) -> float | None:
        return self._ratio(self.all.selected, self.all.lists - self.all.rejected)

    @property
    def precision(self) -> float | None:
        return self._ratio(self.fraud.selected, self.all.selected)

    @property
    def recall(self) -> float | None:
        """Of the fraudulent lists that passed the checks, the share selected."""
        return self._ratio(self.fraud.selected, self.fraud.lists - self.fraud.rejected)

    @property
    def rules_precision(self) -> float | None:
        return self._ratio(self.fraud.by_rules, self.all.by_rules)

    @property
    def rules_recall(self) -> float | None:
        return self._ratio(self.fraud.by_rules, self.fraud.lists - self.fraud.rejected)

    @property
    def random_share(self) -> float | None:
        """Of the lists held or inspected, the share drawn at random (exploration)."""
        return self._ratio(self.all.random, self.all.selected)

    @property
    def stopped_recall(self) -> float | None:
        """Of all fraudulent lists, the share rejected by a check or selected."""
        return self._ratio(self.fraud.rejected + self.fraud.selected, self.fraud.lists)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lists": self.all.lists,
            "fraudLists": self.fraud.lists,
            "rejected": self.all.rejected,
            "fraudRejected": self.fraud.rejected,
            "selected": self.all.selected,
            "inspectionRate": self.inspection_rate,
            "precision": self.precision,
            "recall": self.recall,
            "selectedByRules": self.all.by_rules,
            "selectedAtRandom": self.all.random,
            "randomShare": self.random_share,
            "rulesPrecision": self.rules_precision,
            "rulesRecall": self.rules_recall,
            "stoppedRecall": self.stopped_recall,
            "patterns": {
                name: {
                    "lists": t.lists,
                    "rejected": t.rejected,
                    "selected": t.selected,
                    "byRules": t.by_rules,
                    "reviewed": t.reviewed,
                    "released": t.released,
                }
                for name, t in sorted(self.patterns.items())
            },
        }


def evaluate(session: Session, labels: Mapping[str, Any]) -> Quality:
    """Compare what clearance did with ``labels`` (the ``cbec-labels/1`` document)."""
    patterns_of: Mapping[str, list[str]] = labels.get("orders", {})
    reached: dict[int, set[int]] = {}
    for declaration_id, status in session.execute(
        select(DeclarationEvent.declaration_id, DeclarationEvent.to_status)
    ):
        reached.setdefault(int(declaration_id), set()).add(int(status))
    stopped_by_rules = {
        int(d)
        for (d,) in session.execute(
            select(RuleHit.declaration_id).where(
                RuleHit.mode == "live",
                RuleHit.source.in_(["rule", "instruction", "model"]),
                RuleHit.action.in_(STOPPING),
            )
        )
    }
    quality = Quality()
    for d in session.scalars(select(Declaration).where(Declaration.decided_at.is_not(None))):
        statuses = reached.get(d.id, set())
        patterns = patterns_of.get(d.order_no, [])
        tallies = [quality.all] + ([quality.fraud] if patterns else [])
        tallies += [quality.patterns.setdefault(p, Tally()) for p in patterns]
        selected = bool(statuses & {500, 599}) and 100 not in statuses
        for t in tallies:
            t.lists += 1
            if 100 in statuses:
                t.rejected += 1
            elif selected:
                t.selected += 1
                t.by_rules += d.id in stopped_by_rules
                t.random += d.reasons.startswith("[S.")
            elif 300 in statuses:
                t.reviewed += 1
            else:
                t.released += 1
    return quality
