"""Plugging clearance into intake (done by the assembly, :mod:`cbec.assembly`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from cbec.clearance.decision import RiskAssessor
from cbec.clearance.service import Clearance, Policy
from cbec.config import Settings
from cbec.intake import pipeline

#: Builds the risk assessor of one intake run (the assembly passes the risk package's).
AssessorFactory = Callable[[Session], RiskAssessor]


def listener_factory(
    settings: Settings, assessor: AssessorFactory | None = None
) -> pipeline.ListenerFactory:
    """Clearance as an intake listener with the policy of ``settings``, asking ``assessor``
    (when given) for the risk verdict of every list."""
    policy = Policy.from_settings(settings)

    def factory(session: Session) -> Clearance:
        return Clearance(session, policy, assessor=assessor(session) if assessor else None)

    return factory
