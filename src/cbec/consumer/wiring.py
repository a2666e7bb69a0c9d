"""Plugging the identity-use notices into intake (done by the assembly: ``cbec.api`` and
``cbec.cli``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.consumer.notices import NoticeRecorder
from cbec.intake import pipeline


def listener_factory() -> pipeline.ListenerFactory:
    """The notice recorder as an intake listener."""

    def factory(session: Session) -> NoticeRecorder:
        return NoticeRecorder(session)

    return factory
