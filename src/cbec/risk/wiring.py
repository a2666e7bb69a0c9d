"""Plugging risk control into clearance (done by the assembly: ``cbec.api`` and ``cbec.cli``):
the assessor that gives every list its risk verdict, and the seizure hook that opens a case.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from cbec.clearance import service as clearance_service
from cbec.config import Settings
from cbec.risk import cases
from cbec.risk.assessor import ModelThresholds, RiskControl, Scorer
from cbec.store.models import Declaration


def assessor_factory(
    settings: Settings, scorer: Scorer | None = None, thresholds: ModelThresholds | None = None
) -> Callable[[Session], RiskControl]:
    """The risk assessor of each intake run. ``scorer`` is the seam for a learned model
    (features -> score and top contributions); without one, rules and control instructions
    decide alone."""

    def factory(session: Session) -> RiskControl:
        return RiskControl(session, scorer=scorer, thresholds=thresholds)

    return factory


def _seized(session: Session, declaration: Declaration, officer: str, details: str) -> None:
    cases.open_for_seizure(session, declaration, officer, details)


def install() -> None:
    """Open a case for every seizure an inspector records (in its transaction)."""
    clearance_service.on_seizure("risk.cases", _seized)
