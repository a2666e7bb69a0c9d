"""Plugging clearance into intake (done by the assembly: ``cbec.api`` and ``cbec.cli``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.clearance.service import Clearance, Policy
from cbec.config import Settings
from cbec.intake import pipeline


def listener_factory(settings: Settings) -> pipeline.ListenerFactory:
    """Clearance as an intake listener with the policy of ``settings``."""
    policy = Policy.from_settings(settings)

    def factory(session: Session) -> Clearance:
        return Clearance(session, policy)

    return factory


def connect(settings: Settings) -> None:
    """For this process (the CLI): every intake run hands what it accepted to clearance,
    in the same transaction. The API keeps its own list on ``app.state``."""
    pipeline.register("clearance", listener_factory(settings))
