"""The monitoring screen's live feed: after a few lists are cleared, the event stream
carries the right counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.messages import codec
from cbec.messages.models import CEB623Message
from cbec.store.models import Declaration
from cbec.web.monitor import Monitor
from tests.conftest import sample_xml
from tests.web.conftest import AGENT, EBC, a_set, send, sign_in


def first_event(client: TestClient) -> dict[str, Any]:
    """Open the event stream, read its first snapshot, close it."""
    with client.stream("GET", "/monitor/events?limit=1") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = data = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
    assert event == "snapshot"
    assert data is not None
    snapshot: dict[str, Any] = json.loads(data)
    return snapshot


def test_event_stream_counts_cleared_lists(
    web: Callable[..., TestClient], filed: dict[str, str], officers: None
) -> None:
    client = web()
    sign_in(client, "ana")
    empty = first_event(client)
    assert empty["lists"]["accepted"] == 0
    assert empty["riskHits"] is None or empty["riskHits"] == []

    for n in range(3):
        send(client, filed, a_set(n))
    # a fourth whose payer is not the buyer: rejected by C02.buyer
    send(client, filed, a_set(3, payment={"payerIdNumber": "110105194912310029"}))
    # and the list of a fifth without its payment: it waits
    send(client, filed, [m for m in a_set(4) if m[0] != "4401960003"])

    s = first_event(client)
    assert s["messages"]["received"] == 19
    assert s["messages"]["byType"] == {"CEB311": 5, "CEB411": 4, "CEB511": 5, "CEB621": 5}
    assert s["lists"]["accepted"] == 5
    assert s["lists"]["awaiting"] == 1
    assert s["lists"]["released"] == 3
    assert s["lists"]["rejected"] == 1
    assert s["lists"]["review"] == s["lists"]["inspection"] == s["lists"]["detained"] == 0
    assert s["tax"] == {"bills": 3, "total": "108.66"}  # 3 x 36.22
    assert s["provinces"] == [{"code": "11", "name": "北京", "value": 3}]
    assert s["topVolume"][0] == {"code": EBC, "name": "广州环球优品贸易有限公司", "count": 5}
    assert s["topHits"][0]["count"] == 1  # the rejected one
    assert sum(s["clearanceTime"]["counts"]) == 4  # 3 released + 1 rejected, decided at once
    assert s["clearanceTime"]["counts"][0] == 4
    assert sum(s["throughput"]["messages"]) == 19
    assert sum(s["throughput"]["decisions"]) == 4


def test_released_lists_stay_counted_when_they_are_closed(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """The released tile counted the lists now at 800: a released list closed by its
    cancellation (899) dropped out of it. It counts the releases in the lists' histories."""
    client = web()
    sign_in(client, "ana")
    for n in range(1, 4):
        send(client, filed, a_set(n))
    assert first_event(client)["lists"]["released"] == 3
    with db() as s:
        first = s.scalars(select(Declaration).order_by(Declaration.id)).first()
        assert first is not None
        invt_no, order_no = first.invt_no or "", first.order_no
    cancel = codec.from_xml(sample_xml("ceb623_cancel.xml"))
    assert isinstance(cancel, CEB623Message)
    cancel.invtCancel.orderNo, cancel.invtCancel.invtNo = order_no, invt_no
    send(client, filed, [(AGENT, codec.to_xml(cancel))])
    with db() as s:
        assert s.scalar(select(Declaration.status).where(Declaration.id == first.id)) == 899
    shown = first_event(client)
    assert (shown["lists"]["released"], shown["lists"]["closed"]) == (3, 1)
    assert shown["provinces"] == [{"code": "11", "name": "北京", "value": 3}]


def test_the_stream_needs_a_signed_in_officer(web: Callable[..., TestClient]) -> None:
    client = web()
    assert client.get("/monitor/events?limit=1").status_code == 401
    assert client.get("/monitor/snapshot").status_code == 401


def test_settled_and_fresh_rows_add_up(
    web: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """Rows counted once when they settle, and rows of the last seconds counted afresh,
    give the same figures as counting everything."""
    client = web()
    monitor = Monitor(db, interval=0.0)
    send(client, filed, a_set(1))
    with db() as s:
        first = monitor.compute(s, now=0.0)  # primes: everything so far is settled
    assert first["lists"]["released"] == 1
    send(client, filed, a_set(2))
    with db() as s:
        fresh = monitor.compute(s, now=1.0)  # the new rows are in the fresh tail
    assert fresh["messages"]["received"] == 8
    assert fresh["tax"]["bills"] == 2
    send(client, filed, a_set(3))
    with db() as s:
        settled = monitor.compute(s, now=100.0)  # the tail settles
        again = monitor.compute(s, now=101.0)
    for snapshot in (settled, again):
        assert snapshot["messages"]["received"] == 12
        assert snapshot["tax"] == {"bills": 3, "total": "108.66"}
        assert snapshot["topVolume"][0]["count"] == 3
        assert snapshot["provinces"][0]["value"] == 3
        assert snapshot["lists"]["released"] == 3
    assert monitor.messages.settled_id > 0


def test_rule_hits_appear_once_the_risk_package_stores_them(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
    engine: Engine,
) -> None:
    """The panel reads the risk package's ``risk_hits`` table by reflection (no import of
    risk code): rows there show per rule on the screen and on the list's workbench view."""
    if not inspect(engine).has_table("risk_hits"):
        pytest.skip("the store has no risk_hits table (risk package not there yet)")
    hits = Table("risk_hits", MetaData(), autoload_with=engine)
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    with db() as s:
        d = s.scalars(select(Declaration)).one()
        row = {
            "declaration_id": d.id,
            "source": "rule",
            "rule_name": "R-price-low",
            "mode": "live",
            "action": "review",
            "score": 0.7,
            "message": "unit price far below the reference",
            "values": '{"unitPriceRatio": 0.2}',
            "at": datetime.now(UTC),
        }
        s.execute(hits.insert().values({k: v for k, v in row.items() if k in hits.c}))
        s.commit()
    sign_in(client, "ana")
    snapshot = first_event(client)
    assert snapshot["riskHits"] == [{"rule": "R-price-low", "count": 1}]
    assert snapshot["topHitsOf"] == "rule hits"
    assert snapshot["topHits"][0]["count"] == 1
    item = client.get(f"/workbench/items/{d.invt_no}").text
    assert "R-price-low" in item
    assert "unit price far below the reference" in item
