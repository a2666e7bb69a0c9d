"""The risk verdict clearance asks for: features, analyst rules, control instructions and
(when one is plugged in) a learned model's score, for every list that passed the checks.

:class:`RiskControl` implements clearance's ``RiskAssessor``. In the decision's transaction
it reads the few aggregate rows the list's features need, updates them, evaluates the
published rules (and, without effect, the drafts running in the shadow), matches active
control instructions, asks the scorer, stores the assessment and every hit with the values
that made it hit, and opens a case for a case-clue hit. The model is a seam: any
``scorer`` (features -> :class:`ModelScore`) can be given; the learned model of
:mod:`cbec.risk.learning` plugs in there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cbec.catalog import service as catalog_service
from cbec.clearance.decision import Inspection, Outcome, RiskHit, RiskVerdict
from cbec.privacy import scrub
from cbec.risk import cases, rulebook
from cbec.risk.expressions import Value
from cbec.risk.features import (
    Externals,
    Facts,
    FeatureValue,
    Needs,
    compute,
    context,
    facts_of,
    fields_of,
    model_input,
    needs,
    observation,
)
from cbec.risk.realtime import Gathered, InstructionRow, RealTime, Targets
from cbec.risk.rules import Action, Match, evaluate
from cbec.store.models import Declaration, utcnow

#: What an action asks of clearance (a case clue asks nothing of it: it opens a case).
VERDICTS: dict[Action, tuple[Outcome, Inspection | None]] = {
    Action.REVIEW: (Outcome.REVIEW, None),
    Action.XRAY: (Outcome.INSPECT, Inspection.XRAY),
    Action.OPEN_INSPECTION: (Outcome.INSPECT, Inspection.OPEN),
    Action.HOLD: (Outcome.HOLD, None),
}


@dataclass(frozen=True, slots=True)
class ModelScore:
    """A learned model's opinion of one list: a score in [0, 1], the model's version, and
    the features that pushed it most (name, contribution), largest first."""

    score: float
    model: str = ""
    contributions: tuple[tuple[str, float], ...] = ()


#: The seam for the learned model: what a model sees of a list (its
#: :data:`~cbec.risk.features.MODEL_COLUMNS`, as ``cbec risk features`` writes them for
#: training) -> its score (None: no opinion).
Scorer = Callable[[Mapping[str, Value]], ModelScore | None]


@dataclass(frozen=True, slots=True)
class ModelThresholds:
    """From which score the model asks for a manual review, and for an X-ray."""

    review: float = 0.8
    inspect: float = 0.9


class ClearanceSet(Protocol):
    """What clearance hands the assessor: a list with its order, payment and waybill."""

    declaration: Declaration
    inventory: Any
    order: Any
    payment: Any
    waybill: Any


def hs_prefixes(codes: Sequence[str]) -> set[str]:
    """Every prefix a control instruction by HS code may name (chapter to full code)."""
    return {code[:n] for code in codes for n in (2, 4, 6, 8, 10) if len(code) >= n}


def instruction_applies(row: InstructionRow, moment: datetime) -> bool:
    return (row.valid_from is None or row.valid_from <= moment) and (
        row.valid_to is None or moment < row.valid_to
    )


def instruction_hit(row: InstructionRow) -> RiskHit:
    outcome, inspection = VERDICTS[Action(row.action)]
    # a buyer target is a blind index: officers see which instruction, not whose number
    target = (
        row.target_kind if row.target_kind == "buyer" else f"{row.target_kind} {row.target_value}"
    )
    return RiskHit(
        f"I{row.id}",
        # masked again: instructions issued before reasons were masked on the way in
        f"control instruction {row.id} ({target}): {scrub(row.reason)}",
        outcome,
        inspection,
    )


def model_hit(scored: ModelScore, thresholds: ModelThresholds) -> RiskHit | None:
    top = ", ".join(f"{name} {value:+.3f}" for name, value in scored.contributions[:5])
    message = f"model {scored.model or '-'} score {scored.score:.3f}" + (
        f"; top: {top}" if top else ""
    )
    if scored.score >= thresholds.inspect:
        return RiskHit("M.score", message, Outcome.INSPECT, Inspection.XRAY)
    if scored.score >= thresholds.review:
        return RiskHit("M.score", message, Outcome.REVIEW)
    return None


class FactsObserver(Protocol):
    """Something else that learns from every list risk control assesses (the identity
    graph), in the same transaction: :meth:`observe` per list, :meth:`flush` when risk
    control writes its own rows."""

    def observe(self, facts: Facts) -> None: ...

    def flush(self) -> None: ...

    def forget(self, declaration_id: int) -> None: ...

    def discard(self) -> None: ...


class RiskControl:
    """The risk assessor of one intake run (one session)."""

    def __init__(
        self,
        session: Session,
        *,
        scorer: Scorer | None = None,
        thresholds: ModelThresholds | None = None,
        clock: Callable[[], datetime] = utcnow,
        observers: Sequence[FactsObserver] = (),
    ) -> None:
        self.session = session
        self.observers = tuple(observers)
        self.scorer = scorer
        self.thresholds = thresholds or ModelThresholds()
        self.store = RealTime(session)
        self.clock = clock
        #: the annual limit by declaration date, for this run (as clearance's catalogue)
        self._limits: dict[date, Decimal] = {}
        #: assessments and hits recorded since the last flush
        self._assessments: list[dict[str, Any]] = []
        self._hits: list[dict[str, Any]] = []
        #: the list whose verdict was given last (forget() can take it back)
        self._last_assessed: int | None = None
        #: case clues of the verdicts since the last flush: a clue asks nothing of the
        #: decision, so its case (whose evidence reads the list's documents) is opened
        #: when the verdicts are written, not while clearance waits for the verdict
        self._clues: list[tuple[Declaration, Facts, tuple[Match, ...]]] = []
        #: the facts :meth:`prepare` drew from the lists of a batch, by list, until their
        #: verdict (all but the tax, which clearance computes in between)
        self._ahead: dict[int, Facts] = {}

    def flush(self) -> None:
        """Write what the verdicts since the last flush added, then what they set going
        (clearance calls this when it writes its receipts)."""
        self.write_records()
        self.follow_up()

    def write_records(self) -> None:
        """The verdicts' own records since the last flush: the aggregates they add to,
        their assessments and their hits (one round trip on PostgreSQL)."""
        with self.store.writes():
            self.store.flush()
            self.store.insert("risk_assessments", self._assessments)
            self.store.insert("risk_hits", self._hits)
        self._drop_records()

    def _drop_records(self) -> None:
        """Forget the assessments and hits kept since the last flush, and what was read
        ahead for them."""
        self._assessments, self._hits = [], []
        self._last_assessed = None
        self._ahead = {}

    def follow_up(self) -> None:
        """What the verdicts since the last flush set going: the observers' writes (the
        identity graph) and a case for each case clue, whose evidence names the hits
        :meth:`write_records` wrote."""
        for observer in self.observers:
            observer.flush()
        clues, self._clues = self._clues, []
        for d, facts, matches in clues:
            cases.open_for_clue(self.session, d, facts, matches)

    def forget(self, declaration_id: int) -> None:
        """Deciding ``declaration_id`` faulted after its verdict: take back what the verdict
        added to the aggregates, its assessment and hits, and what the observers saw."""
        if self._last_assessed != declaration_id:
            return
        self._last_assessed = None
        self.store.take_back()
        self._assessments = [a for a in self._assessments if a["declaration_id"] != declaration_id]
        self._hits = [h for h in self._hits if h["declaration_id"] != declaration_id]
        self._clues = [c for c in self._clues if c[0].id != declaration_id]
        for observer in self.observers:
            observer.forget(declaration_id)

    def discard(self) -> None:
        """The transaction rolled back to before the verdicts since the last flush: drop
        everything they recorded, as the observers do (the lists are decided again)."""
        self.store.discard()
        self._drop_records()
        self._clues = []
        for observer in self.observers:
            observer.discard()

    # -- features -----------------------------------------------------------------------

    def prepare(self, declarations: Sequence[object]) -> None:
        """Read what the verdicts on a batch of lists need in a few statements: each verdict
        then reads nothing from the store (one round trip per list less on PostgreSQL)."""
        requests = []
        for declaration in declarations:
            s: ClearanceSet = declaration  # type: ignore[assignment]
            if s.order is None or s.payment is None or s.waybill is None:
                continue
            try:
                facts = facts_of(s.declaration.id, s.inventory, s.order, s.payment, s.waybill)
            except Exception:  # noqa: S112 - not read ahead: its verdict reads it alone
                continue
            self._ahead[s.declaration.id] = facts
            requests.append(self._reads(facts, s.declaration.invt_no))
        self.store.prefetch(requests)

    @staticmethod
    def _reads(facts: Facts, invt_no: str | None) -> tuple[Needs, Targets]:
        blind = facts.blind_ids()
        return needs(facts), Targets(
            identities=tuple(dict.fromkeys(blind)),
            enterprises=facts.enterprises,
            classed=(facts.ebc_code, facts.ebp_code),
            buyer=blind[0],
            hs_prefixes=tuple(sorted(hs_prefixes([line.hs_code for line in facts.lines]))),
            logistics_no=facts.logistics_no,
            lists=(invt_no or "",),
        )

    def gather(self, facts: Facts, invt_no: str | None) -> Gathered:
        """Everything the verdict on ``facts`` reads: from what :meth:`prepare` read for its
        batch, or in one statement."""
        return self.store.gather(*self._reads(facts, invt_no))

    def features(self, facts: Facts, gathered: Gathered, on: date) -> dict[str, FeatureValue]:
        """The features of ``facts``; then ``facts`` is added to the aggregates."""
        limit = self._limits.get(on)
        if limit is None:
            found = catalog_service.snapshot(self.session, on).params.get("annual_limit")
            limit = self._limits[on] = found if found is not None else Decimal(26000)
        externals = Externals(
            flags=gathered.flags,
            classes=gathered.classes,
            filed=gathered.filed,
            annual_limit=limit,
        )
        values = compute(facts, gathered.snapshot, externals)
        self.store.apply(observation(facts), gathered.snapshot)
        return values

    # -- the verdict --------------------------------------------------------------------

    def assess(self, declaration: object) -> RiskVerdict:
        s: ClearanceSet = declaration  # type: ignore[assignment]
        d = s.declaration
        now = self.clock()
        ahead = self._ahead.pop(d.id, None)
        facts = (
            replace(ahead, tax_total=d.tax_total)
            if ahead is not None
            else facts_of(d.id, s.inventory, s.order, s.payment, s.waybill, tax_total=d.tax_total)
        )
        gathered = self.gather(facts, d.invt_no)
        features = self.features(facts, gathered, d.decl_date)
        self._last_assessed = d.id
        for observer in self.observers:
            observer.observe(facts)
        fields = fields_of(facts)
        ctx = context(features, fields)
        book = rulebook.current(self.session, gathered.signature)
        live = evaluate(book.live, ctx, fields, at=now)
        shadow = evaluate(book.shadow, ctx, fields, at=now)
        instructed = [row for row in gathered.instructions if instruction_applies(row, now)]
        scored = self.scorer(model_input(features, fields)) if self.scorer is not None else None

        verdict: list[RiskHit] = []
        for match in live:
            if match.rule.action is not Action.CASE_CLUE:
                outcome, inspection = VERDICTS[match.rule.action]
                verdict.append(RiskHit(match.rule.code, match.message, outcome, inspection))
        verdict += [instruction_hit(row) for row in instructed]
        from_model = model_hit(scored, self.thresholds) if scored is not None else None
        if from_model is not None:
            verdict.append(from_model)

        rules_score = sum(m.rule.score for m in live)
        self._record(d, now, facts, features, live, shadow, instructed, scored, from_model)
        score = scored.score if scored is not None else min(1.0, rules_score / 100)
        return RiskVerdict(tuple(verdict), score)

    def _record(
        self,
        d: Declaration,
        now: datetime,
        facts: Facts,
        features: Mapping[str, FeatureValue],
        live: Sequence[Match],
        shadow: Sequence[Match],
        instructed: Sequence[InstructionRow],
        scored: ModelScore | None,
        from_model: RiskHit | None,
    ) -> None:
        self._assessments.append(
            {
                "declaration_id": d.id,
                "at": now,
                "features": json.dumps(features, ensure_ascii=False, sort_keys=True),
                "subjects": json.dumps(
                    {
                        "buyer": facts.buyer,
                        "payer": facts.payer,
                        "address": facts.address,
                        "phone": facts.phone,
                        "enterprises": list(facts.enterprises),
                    }
                ),
                "model_score": scored.score if scored is not None else None,
                "rules_score": sum(m.rule.score for m in live),
            }
        )
        rows = [hit_row(d.id, now, m, "live") for m in live]
        rows += [hit_row(d.id, now, m, "shadow") for m in shadow]
        rows += [
            {
                "declaration_id": d.id,
                "source": "instruction",
                "rule_set_id": None,
                "instruction_id": row.id,
                "rule_name": f"instruction-{row.id}",
                "mode": "live",
                "action": row.action,
                "score": 0.0,
                "message": scrub(row.reason),
                "values": json.dumps({f"target.{row.target_kind}": "matched"}),
                "at": now,
            }
            for row in instructed
        ]
        if scored is not None and from_model is not None:
            rows.append(
                {
                    "declaration_id": d.id,
                    "source": "model",
                    "rule_set_id": None,
                    "instruction_id": None,
                    "rule_name": scored.model[:64] or "model",
                    "mode": "live",
                    "action": "xray" if from_model.action is Outcome.INSPECT else "review",
                    "score": scored.score,
                    "message": from_model.message,
                    "values": json.dumps(dict(scored.contributions)),
                    "at": now,
                }
            )
        self._hits += rows
        clues = tuple(m for m in live if m.rule.action is Action.CASE_CLUE)
        if clues:
            self._clues.append((d, facts, clues))


def hit_row(declaration_id: int, at: datetime, match: Match, mode: str) -> dict[str, Any]:
    """A ``risk_hits`` row for a rule that hit."""
    return {
        "declaration_id": declaration_id,
        "source": "rule",
        "rule_set_id": match.rule.rule_set_id,
        "instruction_id": None,
        "rule_name": match.rule.name,
        "mode": mode,
        "action": match.rule.action.value,
        "score": match.rule.score,
        "message": match.message,
        "values": json.dumps(match.values, ensure_ascii=False, sort_keys=True),
        "at": at,
    }
