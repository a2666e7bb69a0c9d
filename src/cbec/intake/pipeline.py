"""What happens after intake accepts documents: listeners registered by the assembly
(``cbec.api`` / ``cbec.cli`` register clearance) are called in the same transaction, so a
message and what it triggered are committed together. Intake itself knows no listener:
dependencies point one way (clearance builds on intake, never the reverse)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Accepted:
    """A document intake has just stored (new, modified or deleted)."""

    document_id: int
    message_id: int
    message_type: str
    kind: str
    business_key: str
    order_no: str
    ebp_code: str | None
    ebc_code: str | None
    app_type: str
    sender_code: str
    received_at: datetime
    #: the validated message when intake still holds it (a listener may use it instead of
    #: parsing the stored document again); None when it crossed from a worker process
    message: Any = field(default=None, repr=False, compare=False)
    #: the message's canonical JSON as intake validated and stored it (a listener that
    #: needs the message when ``message`` is None validates this text rather than reading
    #: the stored body back and unsealing it)
    canonical: str | None = field(default=None, repr=False, compare=False)


class Listener(Protocol):
    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        """Called once per batch with every document accepted in it; may flush, never commit."""


ListenerFactory = Callable[[Session], Listener]

_factories: dict[str, ListenerFactory] = {}


def register(name: str, factory: ListenerFactory) -> None:
    """Set the listener factory called ``name`` (registering a name again replaces it); it
    is called with the session of each intake run."""
    _factories[name] = factory


def registered(name: str) -> ListenerFactory | None:
    """The listener factory registered as ``name``, if any."""
    return _factories.get(name)


def unregister(name: str) -> None:
    _factories.pop(name, None)


def listeners(session: Session) -> list[Listener]:
    return [factory(session) for factory in _factories.values()]
