"""What a worker does with the messages it fetched, on the store (no NATS here): authenticate
the key in each message's header exactly as HTTP does, pass the messages through
:class:`~cbec.intake.service.Intake` with the assembly's listeners, commit, and say which
receipt goes back to whom. The worker acknowledges only after :meth:`Handler.handle`
returned, that is after the commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.errors import FieldError, Unauthorized
from cbec.intake.pipeline import ListenerFactory
from cbec.intake.prepare import DEAD_LETTER_KEEP, Prepared, Rejected, prepare
from cbec.intake.service import Intake, Outcome, receipt_message
from cbec.messages import codec
from cbec.queue.names import Names
from cbec.registry.credentials import authenticate
from cbec.store.models import Enterprise, Receipt
from cbec.store.retry import STORE_ERRORS, is_retryable, retry_pause

log = logging.getLogger("cbec.queue")

#: The header that carries the sender's API key, as over HTTP: ``Bearer cbec_<id>_<secret>``.
KEY_HEADER = "Authorization"
#: Runs of one transaction that lost a race to another writer, before the worker gives up
#: on this delivery (the message is then delivered again later).
ATTEMPTS = 5


#: A modify or delete of a document that is not there yet is held back (delivered again a
#: little later) until its delivery number reaches this: with several workers, the new
#: declaration may still be in another worker's hands. Then it is refused as over HTTP.
HOLD_UNTIL_ATTEMPT = 4
_NOT_THERE_YET = frozenset({"appType.modify-missing", "appType.delete-missing"})


class Early(Exception):
    """A message arrived before what it modifies or deletes: deliver it again later
    (nothing of its transaction was kept)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message as the worker fetched it."""

    subject: str
    data: bytes
    headers: dict[str, str]
    #: its sequence number in the inbound stream (names it in receipts and logs)
    sequence: int
    #: how many times the server has delivered it (1 the first time)
    attempt: int = 1

    @property
    def key(self) -> str:
        value = self.headers.get(KEY_HEADER, "")
        return value[7:].strip() if value[:7].lower() == "bearer " else value.strip()

    @property
    def fmt(self) -> str:
        return "json" if "json" in self.headers.get("Content-Type", "").lower() else "xml"

    @property
    def source(self) -> str:
        return f"queue:{self.subject}#{self.sequence}"


@dataclass(slots=True)
class Reply:
    """A receipt to publish once the transaction committed."""

    subject: str
    body: bytes
    #: JetStream de-duplicates on it: a re-delivery after a crash answers once
    msg_id: str
    headers: dict[str, str] = field(default_factory=dict)


class Handler:
    """Processes deliveries on the store of ``factory`` with the listeners the assembly
    builds (:func:`cbec.assembly.intake_listeners`)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        names: Names,
        listeners: Sequence[ListenerFactory],
        *,
        max_bytes: int,
    ) -> None:
        self.factory = factory
        self.names = names
        self.listeners = list(listeners)
        self.max_bytes = max_bytes

    def handle(self, deliveries: Sequence[Delivery]) -> list[Reply]:
        """Store ``deliveries`` (all with the same key) in one transaction and commit;
        the receipts to publish, one per delivery, in order. Bad input never raises: it
        is answered and dead-lettered. A store error raises (nothing was committed)."""
        keys = {d.key for d in deliveries}
        if len(keys) != 1:
            raise ValueError("one key per call: group the deliveries by their key header")
        for attempt in range(1, ATTEMPTS + 1):
            with self.factory() as session:
                try:
                    replies = self._handle(session, deliveries)
                    session.commit()  # before anything is acknowledged
                    return replies
                except Early:
                    session.rollback()
                    raise
                except STORE_ERRORS as exc:
                    session.rollback()
                    if attempt == ATTEMPTS or not is_retryable(exc):
                        raise
                    cause = getattr(exc, "orig", None) or exc
                    log.info("lost a race to another writer (%s); again", type(cause).__name__)
            retry_pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def give_up(self, deliveries: Sequence[Delivery], error: str) -> list[Reply]:
        """Dead-letter deliveries that failed to store ``attempts`` times (so that a poison
        message cannot loop forever), each with a receipt saying so; commits."""
        items: list[Prepared | Rejected] = [
            Rejected(
                stage="store",
                detail=f"could not be stored after {d.attempt} attempts: {error}",
                fields=[
                    FieldError(
                        "(document)",
                        "queue.max-attempts",
                        f"could not be stored after {d.attempt} attempts",
                    )
                ],
                status_code=500,
                raw=d.data[:DEAD_LETTER_KEEP],
                truncated=len(d.data) > DEAD_LETTER_KEEP,
                source=d.source[:255],
            )
            for d in deliveries
        ]
        with self.factory() as session:
            outcomes = Intake(session, []).submit(items)
            replies = self._replies(session, deliveries, outcomes, None)
            session.commit()
        return replies

    # -- one transaction ----------------------------------------------------------------

    def _handle(self, session: Session, deliveries: Sequence[Delivery]) -> list[Reply]:
        sender: Enterprise | None
        items: list[Prepared | Rejected]
        try:
            sender = _authenticate(session, deliveries[0].key)
        except Unauthorized as exc:
            # As over HTTP nothing is accepted; unlike HTTP there is no one to answer
            # 401 to, so the sender learns why from a receipt on its subject, and the
            # message is kept as a dead letter (attributed to no one: the key did not hold).
            sender = None
            rule = "apiKey.missing" if not deliveries[0].key else "apiKey.valid"
            items = [
                Rejected(
                    stage="auth",
                    detail=exc.detail,
                    fields=[FieldError(f"(header)/{KEY_HEADER}", rule, exc.detail)],
                    status_code=401,
                    raw=d.data[:DEAD_LETTER_KEEP],
                    truncated=len(d.data) > DEAD_LETTER_KEEP,
                    source=d.source[:255],
                )
                for d in deliveries
            ]
        else:
            items = [
                prepare(d.data, fmt=d.fmt, source=d.source[:255], max_bytes=self.max_bytes)
                for d in deliveries
            ]
        listeners = [make(session) for make in self.listeners] if sender is not None else []
        outcomes = Intake(session, listeners).submit(items, sender)
        early = [
            d.source
            for d, o in zip(deliveries, outcomes, strict=True)
            if d.attempt < HOLD_UNTIL_ATTEMPT and any(f.rule in _NOT_THERE_YET for f in o.fields)
        ]
        if early:
            raise Early(f"{', '.join(early)}: what it modifies or deletes is not there yet")
        return self._replies(session, deliveries, outcomes, sender)

    def _replies(
        self,
        session: Session,
        deliveries: Sequence[Delivery],
        outcomes: Sequence[Outcome],
        sender: Enterprise | None,
    ) -> list[Reply]:
        ids = [o.receipt_id for o in outcomes if o.receipt_id is not None]
        receipts = {
            r.id: r for r in session.execute(select(Receipt).where(Receipt.id.in_(ids))).scalars()
        }
        replies = []
        for delivery, outcome in zip(deliveries, outcomes, strict=True):
            body: dict[str, Any] = outcome.as_dict()
            body["httpStatus"] = outcome.http_status  # what HTTP would have answered
            body["sequence"] = delivery.sequence
            receipt = receipts.get(outcome.receipt_id or -1)
            if receipt is not None:
                body["receipt"] = codec.to_json_dict(receipt_message(receipt))
            code = (
                sender.customs_code if sender is not None else self.names.code_of(delivery.subject)
            )
            replies.append(
                Reply(
                    subject=self._receipts_subject(code),
                    body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    msg_id=f"{self.names.stream}:{delivery.sequence}",
                    headers={"Cbec-Receipt-Id": str(outcome.receipt_id or "")},
                )
            )
            log.debug(
                "%s: %s %s %s (receipt %s)",
                delivery.source,
                outcome.message_type or "unreadable",
                "duplicate" if outcome.duplicate else "accepted" if outcome.accepted else "refused",
                outcome.return_status,
                outcome.receipt_id,
            )
        return replies

    def _receipts_subject(self, code: str) -> str:
        try:
            return self.names.receipts(code)
        except ValueError:  # a subject token we would not route to
            return self.names.receipts("unknown")


def _authenticate(session: Session, key: str) -> Enterprise:
    if not key:
        raise Unauthorized(f"an API key is required in the {KEY_HEADER} header")
    return authenticate(session, key)
