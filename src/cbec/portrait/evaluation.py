"""``cbec portrait evaluate``: do classes find more fraud per inspection than flat sampling?

A day written by ``cbec sim`` goes through intake and clearance in a fresh store in two
halves. After the first half (sampled at the flat default rates), officers are played from
the ground truth (an inspected or reviewed list of a labelled fraudulent order is seized or
rejected, the others pass), every enterprise is rated from its portrait and the proposal is
published. The second half is then decided with the classes in force. Over the lists of the
second half that were not rejected by the checks, the inspections and seizures (labelled
fraud found by inspection) under the class rates are set against flat random inspection at
the same total inspection rate (the same deterministic draws clearance makes). No risk rule
or model is used: the comparison is of sampling alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.catalog import service as catalog_service
from cbec.clearance import repository as clearance_repository
from cbec.clearance.classes import rates_for
from cbec.clearance.decision import NoRisk, Rates, draw
from cbec.clearance.service import Clearance, Policy
from cbec.errors import BadRequest, Conflict, FieldError
from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.portrait import repository, service
from cbec.portrait.score import Portrait
from cbec.registry.service import import_registry
from cbec.store.models import Declaration, utcnow

OFFICER = "evaluation"
Item = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class Figures:
    lists: int
    fraud: int
    inspected: int
    seized: int
    #: expected values (sum of each list's inspection probability)
    expected_inspected: float
    expected_seized: float

    @property
    def per_seizure(self) -> float | None:
        return self.inspected / self.seized if self.seized else None

    @property
    def expected_per_seizure(self) -> float | None:
        return self.expected_inspected / self.expected_seized if self.expected_seized else None


@dataclass(slots=True)
class Evaluation:
    messages: tuple[int, int]
    portraits: dict[str, Portrait]
    classes: dict[str, str]
    labelled: dict[str, list[str]]
    #: enterprises trading only on a labelled platform (its sellers, say)
    accomplices: list[str]
    by_class: Figures
    flat: Figures
    flat_rate: float
    rating_id: int
    notes: list[str] = field(default_factory=list)


def load_day(folder: Path) -> tuple[Any, list[Item], dict[str, Any]]:
    """registry.json, the messages in arrival (name) order, and labels.json of a day."""
    problems = [
        FieldError(str(folder / name), "exists", f"no {name} (is this a cbec sim day?)")
        for name in ("registry.json", "labels.json", "messages")
        if not (folder / name).exists()
    ]
    if problems:
        raise BadRequest(f"{folder} is not a day written by cbec sim", fields=problems)
    registry = json.loads((folder / "registry.json").read_text("utf-8"))
    labels = json.loads((folder / "labels.json").read_text("utf-8"))
    items = [(p.name, p.read_bytes()) for p in sorted((folder / "messages").iterdir())]
    return registry, items, labels


def _batches(items: Sequence[Item], size: int = 500) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ingest(session: Session, clearance: Clearance, items: Sequence[Item]) -> None:
    intake = Intake(session, [clearance])
    for batch in _batches(items):
        intake.submit(prepare_many(list(batch)))
        session.commit()


def _play_officers(session: Session, clearance: Clearance, fraud: set[str]) -> None:
    """Reviewers and inspectors as the ground truth says they would find."""
    for d in list(repository.declarations_with_status(session, 500)):
        assert d.invt_no is not None
        if d.order_no in fraud:
            clearance.inspection_result(
                d.invt_no, result="seize", officer=OFFICER, details="labelled fraud found"
            )
        else:
            clearance.inspection_result(
                d.invt_no, result="conform", officer=OFFICER, details="goods as declared"
            )
    for d in list(repository.declarations_with_status(session, 300)):
        assert d.invt_no is not None
        approve = d.order_no not in fraud
        try:
            clearance.review(d.invt_no, approve=approve, officer=OFFICER, reason="reviewed")
        except Conflict:
            clearance.review(d.invt_no, approve=False, officer=OFFICER, reason="over quota")
    session.commit()


def evaluate(
    session: Session, folder: Path, *, split: float = 0.5, rates: Rates | None = None, seed: int = 0
) -> Evaluation:
    """Run the evaluation in ``session`` (an empty, migrated store)."""
    if not 0 < split < 1:
        raise BadRequest(
            "split must be between 0 and 1", fields=[FieldError("split", "range=(0,1)", str(split))]
        )
    registry, items, labels = load_day(folder)
    rates = rates or Rates()
    actor = Actor.system("portrait.evaluate")
    catalog_service.seed(session)
    import_registry(session, registry)
    session.commit()
    fraud = set(labels.get("orders", {}))
    policy = Policy(rates=rates, seed=seed)
    cut = int(len(items) * split)

    clearance = Clearance(session, policy, assessor=NoRisk())
    _ingest(session, clearance, items[:cut])
    _play_officers(session, clearance, fraud)

    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = utcnow() + timedelta(seconds=1)
    rating = service.propose(session, start, end, by=actor, grace=timedelta(0))
    service.publish(session, rating.id, reason="evaluation: proposal published as is", by=actor)
    session.commit()
    published = utcnow()
    portraits, _ = service.portraits(session, start, end, grace=timedelta(0))

    clearance = Clearance(session, policy, assessor=NoRisk())
    _ingest(session, clearance, items[cut:])
    by_class, flat, flat_rate = _figures(session, published, fraud, rates, seed)

    labelled = {str(k): list(v) for k, v in labels.get("enterprises", {}).items()}
    classes = {}
    for code in set(portraits) | set(labelled):
        row = service.class_in_force(session, code)
        if row is not None:
            classes[code] = row.class_code
    return Evaluation(
        messages=(cut, len(items) - cut),
        portraits=portraits,
        classes=classes,
        labelled=labelled,
        accomplices=_accomplices(session, set(labelled)),
        by_class=by_class,
        flat=flat,
        flat_rate=flat_rate,
        rating_id=rating.id,
    )


def _accomplices(session: Session, labelled: set[str]) -> list[str]:
    """Sellers and agents whose every list is on a labelled platform."""
    platforms: dict[str, set[str]] = {}
    for d in repository.declarations(session):
        for code in (d.ebc_code, d.agent_code):
            platforms.setdefault(code, set()).add(d.ebp_code)
    return sorted(
        code for code, ebps in platforms.items() if ebps <= labelled and code not in labelled
    )


def _figures(
    session: Session, since: datetime, fraud: set[str], rates: Rates, seed: int
) -> tuple[Figures, Figures, float]:
    """Class-based against flat inspection over the lists decided since ``since`` and not
    rejected by the checks."""
    decided = [
        d
        for d in repository.declarations(session)
        if d.decided_at is not None and d.decided_at >= since
    ]
    rejected_at_once = repository.with_event(session, [d.id for d in decided], 120, 100)
    eligible = [d for d in decided if d.id not in rejected_at_once]
    inspected = repository.with_event(session, [d.id for d in eligible], None, 500)
    codes = {c for d in eligible for c in _codes(d)}
    rows = clearance_repository.class_rows(session, codes)
    probability = []
    for d in eligible:
        assert d.decided_at is not None
        found = rates_for(rows, _codes(d), d.decided_at, d.trade_mode)
        probability.append(found[0].inspection if found else rates.inspection)
    n = len(eligible)
    is_fraud = [d.order_no in fraud for d in eligible]
    got = [d.id in inspected for d in eligible]
    by_class = Figures(
        lists=n,
        fraud=sum(is_fraud),
        inspected=sum(got),
        seized=sum(g and f for g, f in zip(got, is_fraud, strict=True)),
        expected_inspected=sum(probability),
        expected_seized=sum(p for p, f in zip(probability, is_fraud, strict=True) if f),
    )
    flat_rate = by_class.inspected / n if n else 0.0
    flat_got = [draw(seed, d.business_key, "inspection") < flat_rate for d in eligible]
    flat = Figures(
        lists=n,
        fraud=sum(is_fraud),
        inspected=sum(flat_got),
        seized=sum(g and f for g, f in zip(flat_got, is_fraud, strict=True)),
        expected_inspected=flat_rate * n,
        expected_seized=flat_rate * sum(is_fraud),
    )
    return by_class, flat, flat_rate


def _codes(d: Declaration) -> list[str]:
    return [c for c in (d.ebc_code, d.ebp_code, d.agent_code, d.logistics_code, d.pay_code) if c]
