"""One place that decides: release, manual review, inspection, hold or rejection.

``decide()`` takes the findings of the checks, the risk verdict (an interface the risk
package fills; :class:`NoRisk` finds nothing) and the enterprise's review and inspection
rates, and samples deterministically: the same seed and the same list always give the same
draw, so a day can be replayed. Outcomes are ordered release < review < inspect < hold;
a rejecting finding (or a risk hit asking to stop the list) rejects whatever else says.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from cbec.clearance.findings import Finding, Severity


class Outcome(StrEnum):
    RELEASE = "release"
    REVIEW = "review"
    INSPECT = "inspect"
    #: the goods are held (599) until an officer lifts it
    HOLD = "hold"
    REJECT = "reject"


class Inspection(StrEnum):
    """How a list is inspected: by machine (X-ray) or opened by an inspector."""

    XRAY = "xray"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class RiskHit:
    """One risk rule or model score that fired."""

    code: str
    message: str
    #: what the hit asks for: Outcome.REVIEW, INSPECT or HOLD (or REJECT for a control
    #: instruction that stops the goods)
    action: Outcome
    #: for INSPECT: X-ray or open (None: open)
    inspection: Inspection | None = None


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    hits: tuple[RiskHit, ...] = ()
    score: float = 0.0


class RiskAssessor(Protocol):
    """Asked about every list that passed the checks; the risk package implements it."""

    def assess(self, declaration: object) -> RiskVerdict: ...

    def prepare(self, declarations: Sequence[object]) -> None:
        """About to ask for the verdicts on ``declarations`` (a batch): read ahead what
        they need at once (a hint; a verdict is the same with or without it)."""

    def flush(self) -> None:
        """Write what the verdicts since the last flush recorded (clearance calls it when
        it writes its own receipts and events, in the same transaction)."""

    def forget(self, declaration_id: int) -> None:
        """Deciding the list ``declaration_id`` faulted after its last verdict: drop what
        that verdict recorded, so that deciding it again does not count it twice."""

    def discard(self) -> None:
        """The store rolled back what the verdicts since the last flush were for: drop
        everything they recorded (the lists are decided again)."""


class NoRisk:
    """No risk control: no hits."""

    def assess(self, declaration: object) -> RiskVerdict:
        return RiskVerdict()

    def prepare(self, declarations: Sequence[object]) -> None:
        pass

    def flush(self) -> None:
        pass

    def forget(self, declaration_id: int) -> None:
        pass

    def discard(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Rates:
    """Share of lists sent to manual review and to inspection (0..1); of the inspected
    share, ``open_inspection`` is opened by an inspector, the rest X-rayed."""

    review: float = 0.02
    inspection: float = 0.03
    open_inspection: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    risk: RiskVerdict = field(default_factory=RiskVerdict)
    sampled: bool = False
    #: for INSPECT: X-ray or open
    inspection: Inspection | None = None


class Exploration:
    """Keeps random selection at least ``share`` of all inspections.

    Rules, control instructions and the model send lists to inspection by what they
    already suspect; outcomes then come only from where they look. Customs selection
    research recommends spending a fixed share of the inspections at random so that labels
    keep coming from everywhere. This counts, over the last ``window`` lists this process
    decided (not rejected), the targeted inspections ``T`` and the others ``U``, and gives
    the random inspection rate that makes random inspections at least ``share`` of all:
    ``p = share / (1 - share) * T / U``. Clearance samples at the higher of that and the
    enterprise class's own random rate. Until ``warmup`` lists are counted it asks for
    nothing beyond the class rates. Each process counts its own traffic (a mix of
    processes that each keep the share keeps it too)."""

    def __init__(self, share: float = 0.0, *, window: int = 10_000, warmup: int = 200) -> None:
        if not 0.0 <= share < 1.0:
            raise ValueError(f"exploration share must be in [0, 1), got {share}")
        self.share = share
        self.warmup = warmup
        self._recent: deque[int] = deque(maxlen=window)
        self._counts = [0, 0, 0]  # neither, targeted inspection, random inspection
        self._lock = threading.Lock()

    def rate(self, pending: tuple[int, int] = (0, 0)) -> float:
        """The random inspection rate the share needs now (0 when off or warming up), with
        ``pending`` (lists counted, targeted inspections among them: decisions of a batch
        not yet written, see :meth:`record_many`) counted as if recorded."""
        with self._lock:
            n = len(self._recent) + pending[0]
            targeted = self._counts[1] + pending[1]
        if self.share == 0.0 or n < self.warmup or targeted == 0:
            return 0.0
        untargeted = n - targeted
        if untargeted == 0:
            return 1.0
        return min(1.0, self.share / (1.0 - self.share) * targeted / untargeted)

    @staticmethod
    def kind(decision: Decision) -> int | None:
        """0 neither, 1 targeted inspection, 2 random inspection; None for a rejection
        (not counted: a rejected list is never inspected)."""
        if decision.outcome is Outcome.REJECT:
            return None
        if decision.outcome is Outcome.INSPECT:
            return 2 if decision.sampled else 1
        return 0

    def record(self, decision: Decision) -> None:
        """Count a decision (a rejected list is not counted: it is never inspected)."""
        self.record_many((decision,))

    def record_many(self, decisions: Iterable[Decision]) -> None:
        """Count decisions once they are written (clearance records a batch's decisions
        when it writes them, so that those of a batch done again after a store error, or
        of a list that faulted, are not counted)."""
        kinds = [k for k in map(self.kind, decisions) if k is not None]
        with self._lock:
            for kind in kinds:
                if len(self._recent) == self._recent.maxlen:
                    self._counts[self._recent[0]] -= 1
                self._recent.append(kind)
                self._counts[kind] += 1

    def counts(self) -> tuple[int, int, int]:
        """(lists counted, targeted inspections, random inspections) in the window."""
        with self._lock:
            return len(self._recent), self._counts[1], self._counts[2]


def draw(seed: int | str, key: str, purpose: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, key, purpose): replayable sampling."""
    digest = hashlib.blake2b(f"{seed}|{purpose}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def decide(
    findings: Sequence[Finding],
    risk: RiskVerdict,
    rates: Rates,
    *,
    key: str,
    seed: int | str = 0,
    explore: float = 0.0,
) -> Decision:
    """The decision for one list. Order of precedence: a rejecting finding rejects; a risk
    hit asking to stop rejects; a hit asking to hold holds; a hit asking for inspection, or
    the inspection draw, inspects (opened if any hit asks for that, else X-ray); a finding
    or hit asking for review, or the review draw, reviews; else release. ``explore`` (see
    :class:`Exploration`) raises the random inspection rate above the class's: a draw under
    it and above the class rate is a random X-ray for exploration."""
    rejecting = [f for f in findings if f.severity is Severity.REJECT]
    if rejecting:
        return Decision(Outcome.REJECT, tuple(str(f) for f in rejecting), tuple(findings), risk)
    stop = [h for h in risk.hits if h.action is Outcome.REJECT]
    if stop:
        return Decision(
            Outcome.REJECT, tuple(f"[{h.code}] {h.message}" for h in stop), tuple(findings), risk
        )
    hold = [f"[{h.code}] {h.message}" for h in risk.hits if h.action is Outcome.HOLD]
    if hold:
        return Decision(Outcome.HOLD, tuple(hold), tuple(findings), risk)
    inspecting = [h for h in risk.hits if h.action is Outcome.INSPECT]
    if inspecting:
        kind = (
            Inspection.XRAY
            if all(h.inspection is Inspection.XRAY for h in inspecting)
            else Inspection.OPEN
        )
        reasons = tuple(f"[{h.code}] {h.message}" for h in inspecting)
        return Decision(Outcome.INSPECT, reasons, tuple(findings), risk, inspection=kind)
    drawn = draw(seed, key, "inspection")
    if drawn < rates.inspection:
        opened = drawn < min(rates.open_inspection, rates.inspection)
        return Decision(
            Outcome.INSPECT,
            (
                f"[S.inspection] random {'open' if opened else 'X-ray'} inspection at rate "
                f"{rates.inspection:.2%}",
            ),
            tuple(findings),
            risk,
            sampled=True,
            inspection=Inspection.OPEN if opened else Inspection.XRAY,
        )
    if drawn < explore:
        return Decision(
            Outcome.INSPECT,
            (f"[S.explore] random X-ray for exploration at rate {explore:.2%}",),
            tuple(findings),
            risk,
            sampled=True,
            inspection=Inspection.XRAY,
        )
    review = [str(f) for f in findings if f.severity is Severity.REVIEW] + [
        f"[{h.code}] {h.message}" for h in risk.hits if h.action is Outcome.REVIEW
    ]
    if review:
        return Decision(Outcome.REVIEW, tuple(review), tuple(findings), risk)
    if draw(seed, key, "review") < rates.review:
        return Decision(
            Outcome.REVIEW,
            (f"[S.review] random manual review at rate {rates.review:.2%}",),
            tuple(findings),
            risk,
            sampled=True,
        )
    return Decision(Outcome.RELEASE, (), tuple(findings), risk)
