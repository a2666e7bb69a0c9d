"""Plugging risk control into clearance (done by the assembly: ``cbec.api`` and ``cbec.cli``):
the assessor that gives every list its risk verdict, and the seizure hook that opens a case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from cbec.clearance import service as clearance_service
from cbec.config import Settings
from cbec.risk import cases
from cbec.risk.assessor import FactsObserver, ModelScore, ModelThresholds, RiskControl, Scorer
from cbec.store.models import Declaration

log = logging.getLogger("cbec.risk")


def model_scorer(settings: Settings) -> Scorer | None:
    """The learned model named by ``CBEC_RISK_MODEL`` as a scorer (None when unset). Every
    list is scored; only one whose score reaches the review threshold is explained (its
    top contributions cost far more than the score). A configured model that cannot be
    loaded is an error at start-up, not a silent fall-back to rules alone."""
    if not settings.risk_model:
        return None
    from cbec.risk.learning import artefact

    stored = artefact.load(settings.models_dir, settings.risk_model)
    model = stored.model
    label = f"{stored.name}/{stored.version}"
    floor = settings.risk_model_review
    log.info("risk model %s scores every list", label)

    def score(record: Mapping[str, Any]) -> ModelScore | None:
        columns = {c: [record.get(c)] for c in model.mapping.feature_columns}
        day = record.get(model.mapping.date)
        columns[model.mapping.date] = [date.fromisoformat(day) if isinstance(day, str) else day]
        value = float(model.score(columns)[0])
        if value < floor:
            return ModelScore(value, label)
        explained = model.explain_record(record, top=3)
        return ModelScore(
            explained.score,
            label,
            tuple((c.feature, round(c.contribution, 3)) for c in explained.top),
        )

    return score


def assessor_factory(
    settings: Settings,
    scorer: Scorer | None = None,
    thresholds: ModelThresholds | None = None,
    observers: Sequence[Callable[[Session], FactsObserver]] = (),
) -> Callable[[Session], RiskControl]:
    """The risk assessor of each intake run. ``scorer`` is the seam for a learned model
    (features -> score and top contributions): by default the one ``CBEC_RISK_MODEL``
    names; without one, rules and control instructions decide alone. ``observers`` make
    what else learns from each assessed list (the identity graph), per session."""
    if scorer is None:
        scorer = model_scorer(settings)
    if thresholds is None:
        thresholds = ModelThresholds(
            review=settings.risk_model_review, inspect=settings.risk_model_inspect
        )

    def factory(session: Session) -> RiskControl:
        return RiskControl(
            session,
            scorer=scorer,
            thresholds=thresholds,
            observers=[make(session) for make in observers],
        )

    return factory


def _seized(session: Session, declaration: Declaration, officer: str, details: str) -> None:
    cases.open_for_seizure(session, declaration, officer, details)


def _detention_ended(
    session: Session, declaration: Declaration, held: int, action: str, officer: str, reason: str
) -> None:
    cases.note_detention_end(session, declaration, held, action, officer, reason)


def install() -> None:
    """Open a case for every seizure an inspector records, and tell the case when its
    list's detention ends (in their transactions)."""
    clearance_service.on_seizure("risk.cases", _seized)
    clearance_service.on_detention_end("risk.cases", _detention_ended)
