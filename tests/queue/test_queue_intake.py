"""Queue intake against the real nats-server, in this process (a Worker on the test store):
what arrives on the queue is treated exactly as over HTTP, bad input is answered and
dead-lettered and never loops, and a re-delivery stores nothing twice."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec import assembly
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from cbec.intake.pipeline import Accepted, ListenerFactory
from cbec.queue import broker
from cbec.queue.handling import HOLD_UNTIL_ATTEMPT, Delivery, Handler
from cbec.queue.names import Names
from cbec.queue.sender import send
from cbec.queue.worker import Worker
from cbec.store.models import DeadLetter, Declaration, Document, InboundMessage, Receipt
from tests.intake.conftest import inventory, order, payment, waybill
from tests.queue.conftest import consumer_state, read_receipts

PLATFORM, EBC, PAY, LOGISTICS, AGENT = (f"440196000{n}" for n in range(1, 6))


def _run_worker(handler: Handler, names: Names, url: str, **kwargs: Any) -> Worker:
    worker = Worker(handler, names, url=url, batch=10, ack_wait=5, **kwargs)
    asyncio.run(worker.run(idle_exit=1.0))
    return worker


def _handler(
    db: sessionmaker[Session], names: Names, listeners: Sequence[ListenerFactory] = ()
) -> Handler:
    settings = Settings()
    assembly.install_hooks()
    return Handler(
        db,
        names,
        list(listeners) or assembly.intake_listeners(settings),
        max_bytes=settings.max_message_bytes,
    )


def _count(db: sessionmaker[Session], model: Any) -> int:
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_messages_on_the_queue_are_stored_cleared_and_answered(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    with db() as s:
        catalog_service.seed(s)  # clearance needs the positive list and the limits
        s.commit()
    day = [
        ("order.xml", order()),
        ("payment.xml", payment()),
        ("waybill.xml", waybill()),
        ("list.xml", inventory()),
    ]
    sent = asyncio.run(send(nats_url, names, day, filed.get))
    assert len(sent.sequences) == 4
    assert not sent.skipped
    worker = _run_worker(_handler(db, names), names, nats_url)
    assert worker.stats.acknowledged == 4
    receipts = asyncio.run(read_receipts(nats_url, names, 4))
    by_type = {r["messageType"]: r for r in receipts}
    assert set(by_type) == {"CEB311", "CEB411", "CEB511", "CEB621"}
    assert all(r["accepted"] and not r["duplicate"] for r in receipts)
    # each receipt goes to its own sender's subject, with the receipt message itself
    assert by_type["CEB311"]["subject"] == names.receipts(PLATFORM)
    assert by_type["CEB411"]["subject"] == names.receipts(PAY)
    assert by_type["CEB311"]["receipt"]["CEB312Message"]["orderReturn"]["returnStatus"] == "120"
    state = asyncio.run(consumer_state(nats_url, names))
    assert state["pending"] == 0
    assert state["ack_pending"] == 0
    with db() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 4
        # the assembly's listeners ran: clearance decided the complete list
        declaration = s.scalars(select(Declaration)).one()
        assert declaration.status != 120
        assert s.get(Receipt, by_type["CEB621"]["receiptId"]) is not None


def test_bad_key_is_answered_dead_lettered_and_acknowledged(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    forged = "cbec_0123456789abcdef_not-the-secret"
    asyncio.run(send(nats_url, names, [("order.xml", order())], lambda _code: forged))
    worker = _run_worker(_handler(db, names), names, nats_url)
    assert worker.stats.acknowledged == 1
    (receipt,) = asyncio.run(read_receipts(nats_url, names, 1))
    assert receipt["subject"] == names.receipts(PLATFORM)  # the subject it came on
    assert receipt["accepted"] is False
    assert receipt["httpStatus"] == 401
    assert receipt["fields"] == [
        {
            "path": "(header)/Authorization",
            "rule": "apiKey.valid",
            "message": "unknown or revoked API key",
        }
    ]
    assert asyncio.run(consumer_state(nats_url, names))["ack_pending"] == 0
    assert _count(db, InboundMessage) == 0
    with db() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert dead.stage == "auth"
        assert dead.sender_code is None
        assert dead.raw == order()


def test_malformed_and_invalid_messages_get_ceb900_naming_path_and_rule(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    bad = order().replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>199.001234</ceb:price>")
    asyncio.run(
        send(
            nats_url,
            names,
            [("broken.xml", b"<ceb:CEB311Message>"), ("bad.xml", bad)],
            filed.get,
            code=PLATFORM,
        )
    )
    worker = _run_worker(_handler(db, names), names, nats_url)
    assert worker.stats.acknowledged == 2
    assert worker.stats.dead_lettered == 0
    broken, invalid = sorted(
        asyncio.run(read_receipts(nats_url, names, 2)), key=lambda r: r["sequence"]
    )
    assert broken["receiptType"] == "CEB900"
    assert broken["fields"][0]["rule"] == "xml.well-formed"
    assert invalid["fields"][0]["path"] == "CEB311Message/Order/OrderList[1]/price"
    assert invalid["fields"][0]["rule"] == "fractionDigits=5"
    info = invalid["receipt"]["CEB900Message"]["messageReturn"]["returnInfo"]
    assert "fractionDigits=5" in info
    assert _count(db, DeadLetter) == 2
    assert _count(db, InboundMessage) == 0
    assert asyncio.run(consumer_state(nats_url, names))["pending"] == 0


def test_redelivery_of_a_committed_message_stores_nothing_twice(
    names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    # A worker killed after the commit and before the acknowledgement: the server hands
    # the same message (same stream sequence) to a worker again.
    handler = _handler(db, names)
    delivery = Delivery(
        subject=names.inbound(PLATFORM),
        data=order(),
        headers={"Authorization": f"Bearer {filed[PLATFORM]}"},
        sequence=7,
    )
    (first,) = handler.handle([delivery])
    (again,) = handler.handle([dataclasses.replace(delivery, attempt=2)])
    one, two = json.loads(first.body), json.loads(again.body)
    assert one["accepted"]
    assert not one["duplicate"]
    assert two["duplicate"]
    assert two["receiptId"] == one["receiptId"]
    assert again.msg_id == first.msg_id  # JetStream keeps one answer per inbound message
    assert _count(db, InboundMessage) == 1
    assert _count(db, Receipt) == 1


class _Broken:
    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        raise RuntimeError("listener fault")


def test_a_message_that_keeps_failing_is_dead_lettered_not_looped(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    asyncio.run(send(nats_url, names, [("order.xml", order())], filed.get))
    handler = _handler(db, names, [lambda _s: _Broken()])
    worker = Worker(handler, names, url=nats_url, batch=10, ack_wait=5, max_attempts=2)
    asyncio.run(worker.run(idle_exit=3.0))  # the nak'ed message comes back within it
    assert worker.stats.retried == 1
    assert worker.stats.dead_lettered == 1
    assert worker.stats.acknowledged == 1
    (receipt,) = asyncio.run(read_receipts(nats_url, names, 1))
    assert receipt["accepted"] is False
    assert receipt["fields"][0]["rule"] == "queue.max-attempts"
    state = asyncio.run(consumer_state(nats_url, names))
    assert state["pending"] == 0
    assert state["ack_pending"] == 0
    assert _count(db, InboundMessage) == 0  # the failed transactions left nothing
    with db() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert dead.stage == "store"
        assert "listener fault" in dead.error


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(broker.Unreachable, match="does not answer"):
        asyncio.run(broker.connect("nats://127.0.0.1:1", timeout=0.5))


def test_a_modify_that_overtakes_its_declaration_waits_for_it(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    # Several workers run side by side, so a modify can reach the store before the
    # declaration it modifies: it is delivered again a little later, not refused.
    modified = order(appType="2", consigneeAddress="上海市浦东新区世纪大道100号")
    asyncio.run(send(nats_url, names, [("modify.xml", modified)], filed.get))
    asyncio.run(send(nats_url, names, [("new.xml", order())], filed.get))
    worker = _run_worker(_handler(db, names), names, nats_url)
    assert worker.stats.held == 1
    assert worker.stats.acknowledged == 2
    receipts = asyncio.run(read_receipts(nats_url, names, 2))
    assert [r["accepted"] for r in receipts] == [True, True]
    assert "modified" in receipts[-1]["returnInfo"]
    with db() as s:
        doc = s.scalars(select(Document).where(Document.kind == "order")).one()
        assert doc.version == 2
        assert "世纪大道" in s.get(InboundMessage, doc.message_id).body  # type: ignore[union-attr]


def test_a_modify_of_nothing_is_refused_after_waiting(
    nats_url: str, names: Names, db: sessionmaker[Session], filed: dict[str, str]
) -> None:
    modified = order(appType="2")
    asyncio.run(send(nats_url, names, [("modify.xml", modified)], filed.get))
    worker = Worker(_handler(db, names), names, url=nats_url, batch=10, ack_wait=5)
    asyncio.run(worker.run(idle_exit=4.0))  # held three times (0.5 + 1 + 1.5 s), then refused
    assert worker.stats.held == HOLD_UNTIL_ATTEMPT - 1
    (receipt,) = asyncio.run(read_receipts(nats_url, names, 1))
    assert receipt["httpStatus"] == 409
    assert receipt["fields"][0]["rule"] == "appType.modify-missing"
    assert asyncio.run(consumer_state(nats_url, names))["ack_pending"] == 0
