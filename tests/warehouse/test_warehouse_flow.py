"""Bonded stock end to end over the API: entries in, lists reserve on approval and move out
on release, returns come back, officers scan, count, adjust and hold goods."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.clearance.service import Clearance
from cbec.config import Settings
from cbec.messages import codec
from cbec.messages.models import CEB623Message
from cbec.store.models import (
    AuditEntry,
    BondedGoods,
    Declaration,
    Receipt,
    RiskFlag,
    StockMovement,
    StockReservation,
)
from tests.conftest import before_revision, sample_xml
from tests.officers.factories import login, staff
from tests.warehouse.conftest import (
    AGENT,
    AREA,
    EBC,
    EMS,
    MILK,
    MILK_BAR,
    SERUM,
    SERUM_BAR,
    Send,
    bonded_set,
    entry,
)


def ledger(client: TestClient, officer: dict[str, str], code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/warehouse/ledger/{code}", headers=officer)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def book(client: TestClient, officer: dict[str, str], code: str) -> tuple[str, str]:
    goods = ledger(client, officer, code)["goods"]
    return goods["onHand"], goods["pendingOutbound"]


def test_entry_books_stock_and_answers_with_a_receipt(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    answer = send((AREA, entry("E001", [(MILK, "10", MILK_BAR), (SERUM, "5", SERUM_BAR)])))[0]
    assert answer["receiptType"] == "CEB712"
    assert answer["returnStatus"] == 120
    assert book(client, officer, MILK_BAR) == ("10", "0")
    assert book(client, officer, SERUM) == ("5", "0")
    with db() as s:
        receipts = s.scalars(select(Receipt).where(Receipt.message_type == "CEB712")).all()
        assert [r.return_status for r in receipts] == [120, 399]
        assert "2 line(s), 15 unit(s) entered into account T5141W000012" in receipts[1].return_info
        movement = s.scalars(select(StockMovement)).first()
        assert movement is not None
        assert movement.kind == "inbound"
        assert movement.document_id is not None  # linked to the CEB711 document
        assert movement.reference == "E001"


def test_bonded_list_reserves_on_approval_and_moves_out_on_release(
    engine: Engine, tokens: dict[str, str], db: sessionmaker[Session], send: Send
) -> None:
    # Every list inspected: approved (399, reserved), then held at 500 until conform.
    config = Settings(database_url=str(engine.url), review_rate=0.0, inspection_rate=1.0)
    with TestClient(create_app(config, engine=engine, migrate=False)) as inspecting:
        from tests.intake.conftest import auth
        from tests.officers.factories import login, staff

        staff(db, wang_fang=["inspector"])
        officer = login(inspecting, "wang.fang")
        for sender, data in [(AREA, entry("E001", [(MILK, "10", MILK_BAR)])), *bonded_set(1)]:
            r = inspecting.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
            assert r.status_code == 200, r.text
        assert book(inspecting, officer, MILK_BAR) == ("10", "2")  # pending outbound
        scan = inspecting.get(f"/api/v1/scan/{MILK_BAR}", headers=officer).json()
        assert scan[0]["available"] == "8"
        assert scan[0]["itemRecordNo"] == MILK
        assert scan[0]["gcode"] == "1901101010"
        with db() as s:
            invt_no = s.scalars(select(Declaration.invt_no)).one()
        done = inspecting.post(
            f"/api/v1/declarations/{invt_no}/inspection",
            json={"result": "conform", "details": "goods as declared"},
            headers=officer,
        )
        assert done.status_code == 200, done.text
        assert book(inspecting, officer, MILK_BAR) == ("8", "0")
        kinds = [m["kind"] for m in ledger(inspecting, officer, MILK)["movements"]]
        assert kinds == ["inbound", "reserve", "outbound"]
        with db() as s:
            reservation = s.scalars(select(StockReservation)).one()
            assert reservation.status == "consumed"
            assert reservation.invt_no == invt_no
            out = s.scalars(select(StockMovement).where(StockMovement.kind == "outbound")).one()
            assert out.declaration_id is not None  # every movement links to its document
            assert out.document_id == s.scalars(select(Declaration.document_id)).one()


def test_rejected_list_gives_its_reservation_back(
    engine: Engine, tokens: dict[str, str], db: sessionmaker[Session]
) -> None:
    from tests.intake.conftest import auth
    from tests.officers.factories import login, staff

    config = Settings(database_url=str(engine.url), review_rate=0.0, inspection_rate=1.0)
    with TestClient(create_app(config, engine=engine, migrate=False)) as app:
        staff(db, wang_fang=["inspector"])
        officer = login(app, "wang.fang")
        for sender, data in [(AREA, entry("E001", [(MILK, "3", MILK_BAR)])), *bonded_set(1)]:
            assert (
                app.post("/api/v1/messages", content=data, headers=auth(tokens[sender])).status_code
                == 200
            )
        with db() as s:
            invt_no = s.scalars(select(Declaration.invt_no)).one()
        app.post(
            f"/api/v1/declarations/{invt_no}/inspection",
            json={"result": "discrepancy", "details": "wrong goods", "detention": 700},
            headers=officer,
        )
        assert book(app, officer, MILK) == ("3", "0")
        kinds = [m["kind"] for m in ledger(app, officer, MILK)["movements"]]
        assert kinds == ["inbound", "reserve", "unreserve"]


def test_cancelled_released_list_puts_goods_back(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "4", MILK_BAR)])), *bonded_set(7))
    assert book(client, officer, MILK) == ("2", "0")
    with db() as s:
        d = s.scalars(select(Declaration)).one()
        assert d.status == 800
        invt_no, order_no = d.invt_no, d.order_no
    cancel = codec.from_xml(sample_xml("ceb623_cancel.xml"))
    assert isinstance(cancel, CEB623Message)
    cancel.invtCancel.orderNo = order_no
    cancel.invtCancel.invtNo = invt_no or ""
    send((AGENT, codec.to_xml(cancel)))
    assert book(client, officer, MILK) == ("4", "0")
    movements = ledger(client, officer, MILK)["movements"]
    assert [m["kind"] for m in movements] == ["inbound", "reserve", "outbound", "return"]
    with db() as s:
        returned = s.get(StockMovement, movements[-1]["id"])
        assert returned is not None
        cancel_doc = returned.document_id
        from cbec.store.models import Document

        doc = s.get(Document, cancel_doc)
        assert doc is not None
        assert doc.kind == "cancel"


def _cancel(invt_no: str, order_no: str, n: int) -> bytes:
    """A CEB623 cancellation of the list ``invt_no``; the ``n``-th sends it again (its
    own guid, appType 2)."""
    cancel = codec.from_xml(sample_xml("ceb623_cancel.xml"))
    assert isinstance(cancel, CEB623Message)
    guid = f"6C0D3F2A-1B4E-4A5C-9D8E-7F6A5B4C{n:04d}"
    cancel.guid = cancel.invtCancel.guid = guid
    cancel.invtCancel.appType = "1" if n == 1 else "2"
    cancel.invtCancel.orderNo = order_no
    cancel.invtCancel.invtNo = invt_no
    return codec.to_xml(cancel)


def test_seized_goods_never_come_back_to_stock(
    engine: Engine, tokens: dict[str, str], db: sessionmaker[Session]
) -> None:
    from tests.intake.conftest import auth
    from tests.officers.factories import login, staff

    config = Settings(database_url=str(engine.url), review_rate=0.0, inspection_rate=1.0)
    with TestClient(create_app(config, engine=engine, migrate=False)) as app:
        staff(db, wang_fang=["inspector"])
        officer = login(app, "wang.fang")

        def send(sender: str, data: bytes) -> None:
            r = app.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
            assert r.status_code == 200, r.text

        for sender, data in [(AREA, entry("E001", [(MILK, "10", MILK_BAR)])), *bonded_set(1)]:
            send(sender, data)
        with db() as s:
            d = s.scalars(select(Declaration)).one()
            invt_no, order_no = d.invt_no or "", d.order_no
        seized = app.post(
            f"/api/v1/declarations/{invt_no}/inspection",
            json={"result": "seize", "details": "counterfeit formula"},
            headers=officer,
        )
        assert seized.status_code == 200, seized.text
        assert book(app, officer, MILK) == ("8", "0")  # the 2 seized left the warehouse
        send(AGENT, _cancel(invt_no, order_no, 1))  # a seized list cannot be cancelled
        assert book(app, officer, MILK) == ("8", "0")
        # Anti-smuggling releases it later (502 -> 800, a move the workflow allows; no
        # officer action makes it yet), then its sender cancels it: nothing comes back,
        # the seized goods never returned to the warehouse.
        with db() as s:
            d = s.scalars(select(Declaration)).one()
            clearance = Clearance(s)
            clearance._release(d, datetime.now(UTC))
            clearance.flush()
            s.commit()
        assert book(app, officer, MILK) == ("8", "0")
        send(AGENT, _cancel(invt_no, order_no, 2))
        assert book(app, officer, MILK) == ("8", "0")  # was 10: the seized 2 came back
        with db() as s:
            assert s.scalars(select(Declaration.status)).one() == 899  # the cancel was taken
            told = s.scalars(
                select(Receipt.return_info)
                .where(Receipt.message_type == "CEB624", Receipt.return_status != 120)
                .order_by(Receipt.id)
            ).all()
            assert told == [
                f"rejected: list {invt_no} is at 502 detained, passed to anti-smuggling; "
                "no cancellation",
                f"cancellation approved; list {invt_no} closed, quota restored",
            ]
            assert s.scalars(select(StockReservation.status)).one() == "seized"
        kinds = [m["kind"] for m in ledger(app, officer, MILK)["movements"]]
        assert kinds == ["inbound", "reserve", "seizure"]


def test_migration_0022_tells_seized_reservations_from_released_ones(
    engine: Engine, tokens: dict[str, str], db: sessionmaker[Session]
) -> None:
    from tests.intake.conftest import auth
    from tests.officers.factories import login, staff

    config = Settings(database_url=str(engine.url), review_rate=0.0, inspection_rate=1.0)
    with TestClient(create_app(config, engine=engine, migrate=False)) as app:
        staff(db, wang_fang=["inspector"])
        officer = login(app, "wang.fang")
        messages = [(AREA, entry("E001", [(MILK, "10", MILK_BAR)])), *bonded_set(1)]
        for sender, data in [*messages, *bonded_set(2)]:
            r = app.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
            assert r.status_code == 200, r.text
        with db() as s:
            seized, released = s.scalars(select(Declaration.invt_no).order_by(Declaration.id))
        for invt_no, result in ((seized, "seize"), (released, "conform")):
            r = app.post(
                f"/api/v1/declarations/{invt_no}/inspection",
                json={"result": result, "details": "checked"},
                headers=officer,
            )
            assert r.status_code == 200, r.text

    def statuses() -> dict[str, str]:
        with db() as s:
            rows = s.execute(select(StockReservation.invt_no, StockReservation.status)).all()
            return {row.invt_no: row.status for row in rows}

    assert statuses() == {seized: "seized", released: "consumed"}
    with before_revision(engine, "0022"):
        assert statuses() == {seized: "consumed", released: "consumed"}  # as before the fix
    assert statuses() == {seized: "seized", released: "consumed"}


def test_a_list_beyond_the_book_reserves_what_there_is(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "1", MILK_BAR)])), *bonded_set(1))
    assert book(client, officer, MILK) == ("0", "0")  # never negative
    with db() as s:
        reservation = s.scalars(select(StockReservation)).one()
        assert (reservation.requested, reservation.qty) == (Decimal(2), Decimal(1))


def test_count_with_a_discrepancy_raises_a_risk_alert(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])))
    same = client.post(f"/api/v1/scan/{MILK_BAR}/count", json={"counted": "10"}, headers=officer)
    assert same.status_code == 201, same.text
    assert same.json()["riskFlagId"] is None
    short = client.post(
        f"/api/v1/scan/{MILK_BAR}/count", json={"counted": "7", "note": "shelf B3"}, headers=officer
    )
    assert short.status_code == 201
    body = short.json()
    assert (body["book"], body["difference"]) == ("10", "-3")
    with db() as s:
        flag = s.scalars(select(RiskFlag)).one()
        assert (flag.source, flag.kind, flag.subject_kind, flag.subject_key) == (
            "warehouse",
            "stock_discrepancy",
            "enterprise",
            EBC,
        )
        assert flag.score == 0.3
        assert "counted 7, book 10" in flag.reason
        assert flag.id == body["riskFlagId"]
        actions = s.scalars(select(AuditEntry.action)).all()
        assert actions.count("warehouse.count") == 2
    scan = client.get(f"/api/v1/scan/{MILK_BAR}", headers=officer).json()
    assert scan[0]["lastCount"]["difference"] == "-3"
    # the book changes only by an adjustment, with its reason, linked to the count
    adjusted = client.post(
        "/api/v1/warehouse/adjustments",
        json={"code": MILK, "delta": "-3", "reason": "3 cans broken", "countId": body["id"]},
        headers=officer,
    )
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json()["countId"] == body["id"]
    assert book(client, officer, MILK) == ("7", "0")
    too_far = client.post(
        "/api/v1/warehouse/adjustments",
        json={"code": MILK, "delta": "-8", "reason": "typo"},
        headers=officer,
    )
    assert too_far.status_code == 400
    assert too_far.json()["fields"][0] == {
        "path": "delta",
        "rule": "stock.negative",
        "message": "the book would go to -1 (on hand 7)",
    }


def test_hold_issued_at_the_shelf_stops_the_next_list(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])))
    issued = client.post(
        f"/api/v1/scan/{MILK_BAR}/instruction",
        json={"action": "hold", "reason": "labels do not match the filing"},
        headers=officer,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["targetValue"] == "1901101010"
    scan = client.get(f"/api/v1/scan/{MILK_BAR}", headers=officer).json()
    assert scan[0]["instructions"][0]["action"] == "hold"
    send(*bonded_set(2))
    with db() as s:
        assert s.scalars(select(Declaration.status)).one() == 599
    assert book(client, officer, MILK) == ("10", "2")  # held goods stay reserved


def test_unknown_code_and_bad_count_name_the_problem(
    client: TestClient, send: Send, officer: dict[str, str]
) -> None:
    missing = client.get("/api/v1/scan/0000000000000", headers=officer)
    assert missing.status_code == 404
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])))
    negative = client.post(
        f"/api/v1/scan/{MILK_BAR}/count", json={"counted": "-1"}, headers=officer
    )
    assert negative.status_code == 422
    assert negative.json()["fields"][0]["path"] == "body/counted"
    anonymous = client.get(f"/api/v1/scan/{MILK_BAR}")
    assert anonymous.status_code in (401, 403)


def test_goods_past_their_shelf_time_are_listed(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send(
        (AREA, entry("E001", [(MILK, "10", MILK_BAR)], entry_time="20250101080000")),
        (AREA, entry("E002", [(SERUM, "4", SERUM_BAR)])),
    )
    days = (datetime.now(UTC) - datetime(2025, 1, 1, tzinfo=UTC)).days
    listed = client.get("/api/v1/warehouse/shelf-time?days=300", headers=officer).json()
    assert [g["itemRecordNo"] for g in listed] == [MILK]
    assert listed[0]["shelfDays"] in (days - 1, days)
    everything = client.get("/api/v1/warehouse/shelf-time?days=0", headers=officer).json()
    assert {g["itemRecordNo"] for g in everything} == {MILK, SERUM}
    with db() as s:
        milk = s.scalars(select(BondedGoods).where(BondedGoods.item_record_no == MILK)).one()
        assert milk.stock_since is not None


def test_entry_modified_and_withdrawn(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])))
    send((AREA, entry("E001", [(MILK, "6", MILK_BAR)], app_type="2")))
    assert book(client, officer, MILK) == ("6", "0")
    send((AREA, entry("E001", [(MILK, "6", MILK_BAR)], app_type="3")))
    assert book(client, officer, MILK) == ("0", "0")
    kinds = [m["kind"] for m in ledger(client, officer, MILK)["movements"]]
    assert kinds == ["inbound", "reversal", "inbound", "reversal"]


def test_entry_into_another_operators_account_is_refused(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])))
    send((AREA, entry("E002", [(MILK, "1", MILK_BAR)], gcode="3304990099")))
    assert book(client, officer, MILK) == ("10", "0")
    with db() as s:
        last = s.scalars(
            select(Receipt).where(Receipt.message_type == "CEB712").order_by(Receipt.id.desc())
        ).first()
        assert last is not None
        assert last.return_status == 100
        assert "BondedEntryList[1]/gcode" in last.return_info
        assert "[W02.goods]" in last.return_info


def test_only_a_zone_operator_may_send_entries(
    send: Send, client: TestClient, tokens: dict[str, str]
) -> None:
    from tests.intake.conftest import auth

    data = entry("E001", [(MILK, "10", MILK_BAR)], area=EBC)
    response = client.post("/api/v1/messages", content=data, headers=auth(tokens[EBC]))
    assert response.status_code == 403
    assert "may not send CEB711" in response.json()["returnInfo"]
    assert EMS  # the account was never opened


def test_adjustment_names_a_count_of_its_own_goods(
    client: TestClient, send: Send, officer: dict[str, str]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR), (SERUM, "5", SERUM_BAR)])))
    serum_count = client.post(f"/api/v1/scan/{SERUM}/count", json={"counted": "4"}, headers=officer)
    assert serum_count.status_code == 201, serum_count.text
    for count_id in (999, serum_count.json()["id"]):  # no such count; a count of other goods
        wrong = client.post(
            "/api/v1/warehouse/adjustments",
            json={"code": MILK, "delta": "-1", "reason": "broken", "countId": count_id},
            headers=officer,
        )
        assert wrong.status_code == 400, wrong.text
        assert wrong.json()["fields"][0]["path"] == "countId"
        assert wrong.json()["fields"][0]["rule"] == "warehouse.count"
    huge = client.post(
        "/api/v1/warehouse/adjustments",
        json={"code": MILK, "delta": "-1", "reason": "broken", "countId": 2**63},
        headers=officer,
    )
    assert huge.status_code == 422
    assert huge.json()["fields"][0]["path"] == "body/countId"
    assert book(client, officer, MILK) == ("10", "0")  # nothing booked
    blank = client.post(
        f"/api/v1/scan/{MILK_BAR}/instruction",
        json={"action": "hold", "reason": "   "},
        headers=officer,
    )
    assert blank.status_code == 400
    assert blank.json()["fields"][0] == {
        "path": "reason",
        "rule": "required",
        "message": "say why the goods are stopped",
    }


def test_a_list_naming_another_enterprises_bonded_account_goes_to_review(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    # the account is kept for 4401960099; a list of EBC names it
    theirs = entry("E001", [(MILK, "10", MILK_BAR)]).replace(
        f">{EBC}</ceb:ebcCode>".encode(), b">4401960099</ceb:ebcCode>"
    )
    send((AREA, theirs))
    send(*bonded_set(2))
    with db() as s:
        d = s.scalars(select(Declaration)).one()
        assert d.status == 300  # not released on its own: an officer looks first
        told = s.scalars(
            select(Receipt.return_info).where(
                Receipt.message_type == "CEB622", Receipt.return_status == 300
            )
        ).one()
        assert told == (
            "manual review: [C11.account] Inventory/InventoryHead/emsNo: bonded account "
            f"{EMS} is kept for another e-commerce enterprise, not {EBC}"
        )
        assert s.scalars(select(StockReservation)).all() == []
        invt_no = d.invt_no
    assert book(client, officer, MILK) == ("10", "0")
    # A reviewer who approves it anyway releases it; the warehouse still leaves that
    # enterprise's stock alone and tells risk analysts why.
    staff(db, li_wei=["reviewer"])
    approved = client.post(
        f"/api/v1/declarations/{invt_no}/review",
        json={"approve": True, "reason": "the goods left another bonded site"},
        headers=login(client, "li.wei"),
    )
    assert approved.status_code == 200, approved.text
    with db() as s:
        assert s.scalars(select(Declaration.status)).one() == 800
        flag = s.scalars(select(RiskFlag)).one()
        assert (flag.source, flag.kind, flag.subject_key) == (
            "warehouse",
            "bonded_account_mismatch",
            EBC,
        )
        assert "kept for 4401960099" in flag.reason
        assert s.scalars(select(StockReservation)).all() == []
    assert book(client, officer, MILK) == ("10", "0")  # was 8: EBC's list took 2 of theirs


def test_a_list_naming_its_own_bonded_account_is_released(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    send((AREA, entry("E001", [(MILK, "10", MILK_BAR)])), *bonded_set(2))
    with db() as s:
        d = s.scalars(select(Declaration)).one()
        assert (d.status, d.reasons) == (800, "")
        assert "C11.account" not in d.findings
    assert book(client, officer, MILK) == ("8", "0")


def test_an_entry_giving_one_item_two_hs_codes_is_refused(
    client: TestClient, send: Send, officer: dict[str, str], db: sessionmaker[Session]
) -> None:
    two = entry("E001", [(MILK, "1", MILK_BAR), (MILK, "2", MILK_BAR)]).replace(
        b"<ceb:gcode>1901101010</ceb:gcode>", b"<ceb:gcode>3304990099</ceb:gcode>", 1
    )
    send((AREA, two))
    with db() as s:
        last = s.scalars(
            select(Receipt).where(Receipt.message_type == "CEB712").order_by(Receipt.id.desc())
        ).first()
        assert last is not None
        assert last.return_status == 100
        assert last.return_info == (
            "CEB711Message/BondedEntry/BondedEntryList[2]/gcode: "
            f"item {MILK} is line 1 as HS 3304990099 [W02.goods]"
        )
        assert s.scalars(select(BondedGoods)).all() == []  # nothing booked under either code
