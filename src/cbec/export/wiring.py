"""Plugging exports into intake (done by the assembly: ``cbec.api`` and ``cbec.cli``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.export.service import Exports
from cbec.intake import pipeline


def listener_factory() -> pipeline.ListenerFactory:
    """Exports as an intake listener: export orders, lists and summary applications."""

    def factory(session: Session) -> Exports:
        return Exports(session)

    return factory
