"""Analyst rules: a condition (an expression tree), a scope, an effective window, an action
and a score; checked once, evaluated for every list.

Pure: rules are compiled from plain data and evaluated against a context of features and
fields (:func:`cbec.risk.features.context`); the store and the API are elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cbec.privacy import scrub
from cbec.risk.expressions import Compiled, Context, Value, compile_expression
from cbec.risk.features import CATALOGUE


class Action(StrEnum):
    """What a rule asks for when it hits, weakest first."""

    REVIEW = "review"  # manual review by a reviewer (300)
    XRAY = "xray"  # machine (X-ray) inspection (500)
    OPEN_INSPECTION = "open_inspection"  # the parcel is opened by an inspector (500)
    HOLD = "hold"  # the goods are held until an officer lifts it (599)
    CASE_CLUE = "case_clue"  # a case is opened for the anti-smuggling department


#: Actions a control instruction may carry (a case clue is a rule's, not an order's).
INSTRUCTION_ACTIONS = (Action.REVIEW, Action.XRAY, Action.OPEN_INSPECTION, Action.HOLD)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which lists a rule looks at; an empty tuple means all."""

    enterprises: tuple[str, ...] = ()  # platform, e-commerce, agent, logistics or payment
    hs_chapters: tuple[str, ...] = ()  # 2-digit chapters, any line
    ports: tuple[str, ...] = ()  # port or customs code
    trade_modes: tuple[str, ...] = ()

    def covers(self, fields: Mapping[str, Value]) -> bool:
        def any_of(wanted: tuple[str, ...], *names: str) -> bool:
            if not wanted:
                return True
            have: set[Any] = set()
            for name in names:
                value = fields.get(name)
                have.update(value if isinstance(value, tuple) else (value,))
            return not have.isdisjoint(wanted)

        return (
            any_of(
                self.enterprises, "ebp_code", "ebc_code", "agent_code", "logistics_code", "pay_code"
            )
            and any_of(self.hs_chapters, "hs_chapters")
            and any_of(self.ports, "port_code", "customs_code")
            and any_of(self.trade_modes, "trade_mode")
        )

    def as_json(self) -> dict[str, list[str]]:
        return {
            "enterprises": list(self.enterprises),
            "hsChapters": list(self.hs_chapters),
            "ports": list(self.ports),
            "tradeModes": list(self.trade_modes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[str]]) -> Scope:
        return cls(
            enterprises=tuple(data.get("enterprises", ())),
            hs_chapters=tuple(data.get("hsChapters", ())),
            ports=tuple(data.get("ports", ())),
            trade_modes=tuple(data.get("tradeModes", ())),
        )


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A checked rule, ready to evaluate."""

    name: str
    condition: Compiled
    action: Action
    score: float = 0.0
    description: str = ""
    scope: Scope = field(default_factory=Scope)
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    #: the rule set it belongs to (None while only being validated)
    rule_set_id: int | None = None
    rule_set_name: str = ""

    @property
    def code(self) -> str:
        """How a hit names the rule in reasons and receipts: ``R<set>.<rule>``."""
        return f"R{self.rule_set_id or 0}.{self.name}"

    def in_force(self, moment: datetime) -> bool:
        return (self.effective_from is None or self.effective_from <= moment) and (
            self.effective_to is None or moment < self.effective_to
        )


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that hit, with the values it read."""

    rule: CompiledRule
    values: dict[str, Value]

    @property
    def message(self) -> str:
        """In words, for the officer: what the rule says and the values that made it hit.
        The description has resident ID and mobile numbers masked (it becomes a reason on
        every list the rule hits, which every officer reads; rules stored before
        descriptions were masked on the way in may still hold them)."""
        shown = ", ".join(
            f"{k.split('.', 1)[1]}={_show(v)}" for k, v in sorted(self.values.items())
        )
        what = scrub(self.rule.description) or self.rule.name
        return f"{what} ({shown})" if shown else what


def _show(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ",".join(str(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False) if value is None else str(value)


def compile_rule(
    name: str,
    when: Any,
    action: Action | str,
    *,
    score: float = 0.0,
    description: str = "",
    scope: Scope | None = None,
    effective_from: datetime | None = None,
    effective_to: datetime | None = None,
    path: str = "when",
    rule_set_id: int | None = None,
    rule_set_name: str = "",
) -> CompiledRule:
    """Compile one rule (raises :class:`~cbec.risk.expressions.ExpressionError` naming
    the path of every problem in ``when``)."""
    return CompiledRule(
        name=name,
        condition=compile_expression(when, CATALOGUE, path=path),
        action=Action(action),
        score=score,
        description=description,
        scope=scope or Scope(),
        effective_from=effective_from,
        effective_to=effective_to,
        rule_set_id=rule_set_id,
        rule_set_name=rule_set_name,
    )


def evaluate(
    rules: Iterable[CompiledRule],
    ctx: Context,
    fields: Mapping[str, Value],
    *,
    at: datetime | None = None,
) -> list[Match]:
    """The rules that hit: in scope, in force at ``at`` (any time when None) and whose
    condition is true, each with the values of the features and fields it read."""
    hits = []
    for rule in rules:
        if at is not None and not rule.in_force(at):
            continue
        if not rule.scope.covers(fields):
            continue
        if rule.condition.evaluate(ctx) is True:
            hits.append(Match(rule, {ref: ctx.get(ref) for ref in sorted(rule.condition.refs)}))
    return hits
