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

The platforms' product catalogues (``catalogues.json``) are filed first. The first half is
decided on the simulated day; its month is then stated (one tax statement per guarantee)
and the payments ``tax.json`` tells of are recorded, and the rating looks at the store as
of :data:`RATED_AFTER_DUE` days after the statements fell due (the second half is decided
now, under the classes published).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.catalog import service as catalog_service
from cbec.clearance import repository as clearance_repository
from cbec.clearance import statements
from cbec.clearance.classes import rates_for
from cbec.clearance.decision import NoRisk, Rates, draw
from cbec.clearance.service import Clearance, Policy
from cbec.errors import BadRequest, Conflict, FieldError
from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.messages.fields import CST
from cbec.portrait import catalogue, repository, service
from cbec.portrait.score import Portrait
from cbec.registry.service import import_registry
from cbec.sim.labels import check_labels
from cbec.store.models import Declaration, utcnow

OFFICER = "evaluation"
Item = tuple[str, bytes]
#: the rating looks at the statements this many days after they fell due
RATED_AFTER_DUE = 31
CENT = Decimal("0.01")


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


@dataclass(frozen=True, slots=True)
class SimDay:
    registry: Any
    items: list[Item]
    labels: dict[str, Any]
    catalogues: Any
    tax: dict[str, Any]


def load_day(folder: Path) -> SimDay:
    """registry.json, the messages in arrival (name) order, labels.json, catalogues.json and
    tax.json of a day."""
    names = ("registry.json", "labels.json", "messages", "catalogues.json", "tax.json")
    problems = [
        FieldError(str(folder / name), "exists", f"no {name} (is this a day of cbec sim?)")
        for name in names
        if not (folder / name).exists()
    ]
    if problems:
        raise BadRequest(f"{folder} is not a day written by cbec sim", fields=problems)

    def read(name: str) -> Any:
        return json.loads((folder / name).read_text("utf-8"))

    items = [(p.name, p.read_bytes()) for p in sorted((folder / "messages").iterdir())]
    tax = read("tax.json")
    try:
        date.fromisoformat(tax["day"])
    except (KeyError, TypeError, ValueError):
        raise BadRequest(
            "tax.json names no day",
            fields=[FieldError(str(folder / "tax.json") + "/day", "format=date", "YYYY-MM-DD")],
        ) from None
    labels = check_labels(read("labels.json"), str(folder / "labels.json"))
    return SimDay(read("registry.json"), items, labels, read("catalogues.json"), tax)


def _batches(items: Sequence[Item], size: int = 500) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ingest(session: Session, clearance: Clearance, items: Sequence[Item]) -> None:
    intake = Intake(session, [clearance])
    for batch in _batches(items):
        intake.submit(prepare_many(list(batch)))
        session.commit()


def _play_payments(
    session: Session, made: statements.Made, story: dict[str, Any], on: date
) -> tuple[int, int, int]:
    """Record the payments ``tax.json`` tells of, up to ``on`` (guarantees it does not name
    pay in full on the due date). (paid on time, paid late, overdue) as of ``on``."""
    actor = Actor.officer(OFFICER)
    for row in made.created:
        told = story.get(row.guarantor_code, {"payments": [{"daysAfterDue": 0, "share": 1.0}]})
        left = row.total.quantize(CENT)
        payments = told["payments"]
        for index, p in enumerate(payments):
            paid_on = row.due_on + timedelta(days=int(p["daysAfterDue"]))
            last = index == len(payments) - 1 and sum(float(x["share"]) for x in payments) >= 1
            amount = (
                left if last else min(left, (row.total * Decimal(str(p["share"]))).quantize(CENT))
            )
            if amount <= 0 or paid_on > on:
                continue
            statements.record_payment(
                session, row.id, amount=amount, paid_on=paid_on, by=actor, on=on,
                reference=f"EVAL-{row.id}-{index + 1}",
            )  # fmt: skip
            left -= amount
    counts = {statements.PAID: 0, statements.PAID_LATE: 0, statements.OVERDUE: 0}
    for row in made.created:
        found = statements.standing(row.total, row.paid, row.due_on, row.paid_on, on)
        counts[found.state] = counts.get(found.state, 0) + 1
    return counts[statements.PAID], counts[statements.PAID_LATE], counts[statements.OVERDUE]


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
    sim = load_day(folder)
    items, labels = sim.items, sim.labels
    rates = rates or Rates()
    actor = Actor.system("portrait.evaluate")
    day = date.fromisoformat(sim.tax["day"])
    catalog_service.seed(session)
    import_registry(session, sim.registry)
    catalogue.import_catalogues(session, catalogue.parse_document(sim.catalogues), by=actor, on=day)
    session.commit()
    fraud = set(labels.get("orders", {}))
    policy = Policy(rates=rates, seed=seed)
    cut = int(len(items) * split)

    # The first half is decided on the simulated day (at noon, Beijing time).
    noon = datetime.combine(day, time(12), CST).astimezone(UTC)
    clearance = Clearance(session, policy, assessor=NoRisk(), clock=lambda: noon)
    _ingest(session, clearance, items[:cut])
    _play_officers(session, clearance, fraud)

    # Its month is stated and paid as tax.json tells; the rating looks some days after.
    due_on = statements.due_date(statements.period_of(f"{day:%Y-%m}"), statements.DEFAULT_DUE_DAYS)
    as_of = due_on + timedelta(days=RATED_AFTER_DUE)
    made = statements.make(session, f"{day:%Y-%m}", by=actor, on=as_of)
    on_time, late, overdue = _play_payments(session, made, sim.tax.get("guarantees", {}), as_of)
    session.commit()

    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = max(utcnow(), datetime.combine(as_of, time(), CST).astimezone(UTC)) + timedelta(seconds=1)
    rating = service.propose(session, start, end, by=actor, grace=timedelta(0))
    service.publish(session, rating.id, reason="evaluation: proposal published as is", by=actor)
    session.commit()
    published = utcnow()
    portraits, verifications = service.portraits(session, start, end, grace=timedelta(0))
    notes = [
        f"tax: {len(made.created)} statements of {made.period} due {made.due_on}; as of "
        f"{as_of}: {on_time} paid on time, {late} late, {overdue} overdue",
    ]
    for code, v in sorted(verifications.items()):
        found = {a.name: a for a in v.automatic}.get("goods_not_in_catalogue")
        if found is not None and found.result == "fail":
            notes.append(f"catalogue: {code} {v.status}: {found.detail}")

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
        notes=notes,
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
