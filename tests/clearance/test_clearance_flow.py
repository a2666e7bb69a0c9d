"""A list, its three documents and what customs answers: end to end over the API."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.privacy import blind_id
from cbec.store.models import AuditEntry, Declaration, QuotaUsage, TaxBill
from tests.intake.conftest import auth, inventory, order, payment, waybill
from tests.officers.factories import login, staff

PLATFORM, PAY, LOGISTICS, AGENT = "4401960001", "4401960003", "4401960004", "4401960005"


def send(client: TestClient, tokens: dict[str, str], *messages: tuple[str, bytes]) -> None:
    for sender, data in messages:
        response = client.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
        assert response.status_code == 200, response.text


def all_four(**changes: dict[str, str]) -> list[tuple[str, bytes]]:
    return [
        (PLATFORM, order(**changes.get("order", {}))),
        (PAY, payment(**changes.get("payment", {}))),
        (LOGISTICS, waybill(**changes.get("waybill", {}))),
        (AGENT, inventory(**changes.get("inventory", {}))),
    ]


def list_receipts(client: TestClient, tokens: dict[str, str]) -> list[tuple[int, str]]:
    body = client.get("/api/v1/receipts?limit=100", headers=auth(tokens[AGENT])).json()
    return [(r["returnStatus"], r["returnInfo"]) for r in body["receipts"]]


def the_list(db: sessionmaker[Session]) -> Declaration:
    with db() as s:
        return s.scalars(select(Declaration)).one()


def test_agreeing_set_is_released_with_tax_bill_and_quota(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    assert [status for status, _ in list_receipts(client, filed)] == [120, 399, 800]
    declaration = the_list(db)
    assert declaration.status == 800
    assert declaration.invt_no is not None
    assert declaration.invt_no.startswith("51412026I")
    assert declaration.tax_total == Decimal("36.22")  # 398.00 x 13% x 70%
    with db() as s:
        bill = s.scalars(select(TaxBill)).one()
        assert bill.total == Decimal("36.22")
        assert bill.invt_no == declaration.invt_no
        usage = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert usage is not None
        assert usage.used == Decimal("398.00")
    ledger = client.get("/api/v1/tax/my-ledger", headers=auth(filed["4401960002"])).json()
    assert ledger[0]["total"] == "36.22"
    assert ledger[0]["bills"] == 1


def test_list_waits_for_its_documents_in_any_order(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(client, filed, (AGENT, inventory()), (LOGISTICS, waybill()))
    assert the_list(db).awaiting is True
    assert the_list(db).status == 120
    send(client, filed, (PAY, payment()))
    assert the_list(db).awaiting is True
    send(client, filed, (PLATFORM, order()))
    assert the_list(db).status == 800


def test_buyer_not_payer_is_rejected_naming_the_rule(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(
        client,
        filed,
        *all_four(payment={"payerIdNumber": "110105194912310029", "payerName": "李娜"}),
    )
    receipts = list_receipts(client, filed)
    assert receipts[-1][0] == 100
    assert "C02.buyer" in receipts[-1][1]
    assert "Payment/PaymentHead/payerIdNumber" in receipts[-1][1]
    with db() as s:
        assert s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026)) is None


def test_over_the_annual_quota_is_rejected(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    with db() as s:
        s.add(
            QuotaUsage(
                buyer_key=blind_id("11010519491231002X"), year=2026, used=Decimal("25800"), lists=40
            )
        )
        s.commit()
    client = make_client()
    send(client, filed, *all_four())
    status, info = list_receipts(client, filed)[-1]
    assert status == 100
    assert "C05.quota" in info
    assert "remaining annual quota (200.00" in info


def test_goods_off_the_positive_list_are_rejected(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client()
    data = inventory().replace(
        b"<ceb:gcode>1901101010</ceb:gcode>", b"<ceb:gcode>9301900000</ceb:gcode>"
    )
    send(client, filed, *all_four()[:3], (AGENT, data))
    status, info = list_receipts(client, filed)[-1]
    assert status == 100
    assert "C03.positive" in info
    assert "Inventory/InventoryList[1]/gcode" in info


def test_wrong_declared_tax_is_rejected(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client()
    changes = {
        "order": {"taxTotal": "0", "acturalPaid": "398.00"},
        "payment": {"amountPaid": "398.00"},
    }
    send(client, filed, *all_four(**changes))
    status, info = list_receipts(client, filed)[-1]
    assert status == 100
    assert "C10.tax" in info
    assert "computed 36.22" in info


def test_manual_review_then_approval_by_a_reviewer(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(review_rate=1.0)
    send(client, filed, *all_four())
    declaration = the_list(db)
    assert declaration.status == 300
    staff(db, wang_fang=["inspector"], li_wei=["reviewer"])
    queue = client.get("/api/v1/declarations?status=300", headers=login(client, "li.wei")).json()
    assert [d["invtNo"] for d in queue] == [declaration.invt_no]
    assert queue[0]["buyer"] == "110*************2X"
    url = f"/api/v1/declarations/{declaration.invt_no}/review"
    refused = client.post(
        url, json={"approve": True, "reason": "ok"}, headers=login(client, "wang.fang")
    )
    assert refused.status_code == 403
    assert "reviewer" in refused.json()["detail"]
    done = client.post(
        url, json={"approve": True, "reason": "invoice checked"}, headers=login(client, "li.wei")
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == 800
    assert [e["actor"] for e in done.json()["events"]][-2:] == ["li.wei", "li.wei"]
    assert [s for s, _ in list_receipts(client, filed)] == [120, 300, 399, 800]
    with db() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert "declaration.approve" in actions
    again = client.post(
        url, json={"approve": True, "reason": "twice"}, headers=login(client, "li.wei")
    )
    assert again.status_code == 409
    assert "is at 800 released, not 300 manual review" in again.json()["detail"]


def test_inspection_and_seizure(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(inspection_rate=1.0)
    send(client, filed, *all_four())
    declaration = the_list(db)
    assert declaration.status == 500
    staff(db, wang_fang=["inspector"])
    response = client.post(
        f"/api/v1/declarations/{declaration.invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit labels"},
        headers=login(client, "wang.fang"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == 502
    assert [s for s, _ in list_receipts(client, filed)] == [120, 399, 500, 502]


def test_a_detention_ends_in_release_or_return_by_its_department(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """A seized list (502) that anti-smuggling clears is released with its tax bill; a list
    held at 599 is returned and its quota given back; each by the department that holds
    it, with a reason, in the audit log; the sender is told the status only."""
    client = make_client(inspection_rate=1.0)
    send(client, filed, *all_four())
    seized = the_list(db)
    staff(db, wang_fang=["inspector"], zhao_lei=["investigator"], chen_jing=["risk_analyst"])
    inspector, investigator = login(client, "wang.fang"), login(client, "zhao.lei")
    url = f"/api/v1/declarations/{seized.invt_no}/detention"
    early = client.post(url, json={"action": "release", "reason": "x"}, headers=investigator)
    assert early.status_code == 409  # at 500: not detained
    assert "not detained" in early.json()["detail"]
    client.post(
        f"/api/v1/declarations/{seized.invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit labels? buyer 110105194912310021"},
        headers=inspector,
    )
    assert the_list(db).status == 502
    wrong = client.post(url, json={"action": "release", "reason": "ok"}, headers=inspector)
    assert wrong.status_code == 403
    assert "investigator" in wrong.json()["detail"]
    blank = client.post(url, json={"action": "release", "reason": ""}, headers=investigator)
    assert blank.status_code == 422
    assert blank.json()["fields"][0]["path"] == "body/reason"
    unknown = client.post(url, json={"action": "free", "reason": "ok"}, headers=investigator)
    assert unknown.status_code == 422
    done = client.post(
        url,
        json={"action": "release", "reason": "labels genuine, brand owner confirmed"},
        headers=investigator,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == 800
    assert done.json()["events"][-1]["actor"] == "zhao.lei"
    receipts = list_receipts(client, filed)
    assert [status for status, _ in receipts] == [120, 399, 500, 502, 800]
    assert "brand owner" not in receipts[-1][1]  # the sender is told the status
    with db() as s:
        bill = s.scalars(select(TaxBill)).one()
        assert bill.invt_no == seized.invt_no
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "declaration.detention.release")
        ).one()
        assert (entry.actor, entry.subject_key, entry.reason) == (
            "zhao.lei",
            seized.invt_no,
            "labels genuine, brand owner confirmed",
        )
    again = client.post(url, json={"action": "return", "reason": "twice"}, headers=investigator)
    assert again.status_code == 409

    order_no = "T20261111000061"
    send(client, filed, *_set_for(order_no, 61))
    with db() as s:
        held = s.scalars(select(Declaration).where(Declaration.order_no == order_no)).one()
        used = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert used is not None
        before = used.used
    client.post(
        f"/api/v1/declarations/{held.invt_no}/inspection",
        json={"result": "discrepancy", "details": "weight off", "detention": 599},
        headers=inspector,
    )
    returned = client.post(
        f"/api/v1/declarations/{held.invt_no}/detention",
        json={"action": "return", "reason": "goods not as declared"},
        headers=login(client, "chen.jing"),
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == 700
    with db() as s:
        used = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert used is not None
        assert used.used == before - held.taxable_value  # the returned list's value back


def test_cancel_after_release_restores_the_quota(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    declaration = the_list(db)
    from cbec.messages import codec
    from cbec.messages.models import CEB623Message
    from tests.conftest import sample_xml

    cancel = codec.from_xml(sample_xml("ceb623_cancel.xml"))
    assert isinstance(cancel, CEB623Message)
    data = cancel.model_dump()
    data["invtCancel"]["invtNo"] = declaration.invt_no
    data["invtCancel"]["copNo"] = "CANCEL0001"
    message = codec.to_xml(CEB623Message.model_validate(data))
    response = client.post("/api/v1/messages", content=message, headers=auth(filed[AGENT]))
    assert response.status_code == 200, response.text
    assert the_list(db).status == 899
    with db() as s:
        usage = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert usage is not None
        assert usage.used == Decimal("0.00")
    body = client.get("/api/v1/receipts?limit=100", headers=auth(filed[AGENT])).json()["receipts"]
    cancel_receipts = [r for r in body if r["messageType"] == "CEB624"]
    assert [r["returnStatus"] for r in cancel_receipts] == [120, 399]
    assert "quota restored" in cancel_receipts[-1]["returnInfo"]


def test_consumer_sees_quota_with_masked_details(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    query = {"name": "张伟", "idNumber": "11010519491231002X", "phone": "13812345678"}
    answer = client.post("/api/v1/consumer/quota", json=query)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["used"] == "398.00"
    assert body["remaining"] == "25602.00"
    assert body["lists"][0]["status"] == 800
    assert body["lists"][0]["consigneePhone"] == "138****5678"
    assert "建国路" not in body["lists"][0]["consigneeAddress"]
    wrong = client.post("/api/v1/consumer/quota", json={**query, "phone": "13900000000"})
    assert wrong.status_code == 404


def test_reviewer_cannot_approve_past_the_annual_quota(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(review_rate=1.0)
    send(client, filed, *all_four())
    declaration = the_list(db)
    assert declaration.status == 300
    with db() as s:  # meanwhile other lists of the buyer were approved
        s.add(
            QuotaUsage(
                buyer_key=blind_id("11010519491231002X"), year=2026, used=Decimal("25800"), lists=40
            )
        )
        s.commit()
    staff(db, li_wei=["reviewer"])
    response = client.post(
        f"/api/v1/declarations/{declaration.invt_no}/review",
        json={"approve": True, "reason": "looks fine"},
        headers=login(client, "li.wei"),
    )
    assert response.status_code == 409
    assert "C05.quota" in response.json()["detail"]
    assert the_list(db).status == 300


def test_tax_bill_ceb816_for_the_enterprise_only(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    from lxml import etree

    from cbec.messages import codec
    from cbec.messages.xsd import schema_for

    client = make_client()
    send(client, filed, *all_four())
    invt_no = the_list(db).invt_no
    ebc = {"Authorization": f"Bearer {filed['4401960002']}", "Accept": "application/xml"}
    response = client.get(f"/api/v1/tax/bills/{invt_no}", headers=ebc)
    assert response.status_code == 200, response.text
    bill = codec.from_xml(response.content)
    assert bill.MESSAGE_TYPE == "CEB816"
    root = etree.fromstring(response.content)
    ns = {"c": "http://www.chinaport.gov.cn/ceb"}
    assert root.findtext("c:Tax/c:TaxHeadRd/c:valueAddedTax", namespaces=ns) == "36.22"
    assert root.findtext("c:Tax/c:TaxListRd/c:gcode", namespaces=ns) == "1901101010"
    schema = etree.XMLSchema(etree.fromstring(schema_for("CEB816")))
    assert schema.validate(root), schema.error_log
    other = client.get(f"/api/v1/tax/bills/{invt_no}", headers=auth(filed[PAY]))
    assert other.status_code == 404


def _sugar_set(order_no: str, guid_seed: int) -> list[tuple[str, bytes]]:
    """An agreeing set for 1.5 kg of sugar (price 30.00, tax 2.73)."""
    from cbec.messages import codec
    from cbec.messages.models import CEB311Message, CEB621Message

    g = f"{guid_seed:08d}-2222-3333-4444-555555555555"
    o = codec.from_xml(
        order(
            guid=g,
            orderNo=order_no,
            goodsValue="30.00",
            taxTotal="2.73",
            acturalPaid="32.73",
            payTransactionId=f"P{order_no}",
        )
    )
    assert isinstance(o, CEB311Message)
    data = o.model_dump()
    data["order"]["orderList"][0].update(
        itemName="白砂糖", gmodel="1.5kg/袋", qty="1", price="30.00", totalPrice="30.00"
    )
    order_xml = codec.to_xml(CEB311Message.model_validate(data))
    i = codec.from_xml(
        inventory(
            guid=g,
            orderNo=order_no,
            copNo=f"C{order_no}",
            logisticsNo=f"L{order_no}",
            grossWeight="1.6",
            netWeight="1.5",
        )
    )
    assert isinstance(i, CEB621Message)
    data = i.model_dump()
    data["inventory"]["inventoryList"][0].update(
        gcode="1701991001",
        gname="砂糖",
        gmodel="1.5kg/袋",
        qty="1",
        qty1="1.5",
        unit1="035",
        price="30.00",
        totalPrice="30.00",
    )
    list_xml = codec.to_xml(CEB621Message.model_validate(data))
    return [
        (PLATFORM, order_xml),
        (
            PAY,
            payment(guid=g, orderNo=order_no, payTransactionId=f"P{order_no}", amountPaid="32.73"),
        ),
        (LOGISTICS, waybill(guid=g, orderNo=order_no, logisticsNo=f"L{order_no}", weight="1.6")),
        (AGENT, list_xml),
    ]


def test_positive_list_weight_cap_per_person_and_year(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(client, filed, *_sugar_set("S1", 1))
    assert list_receipts(client, filed)[-1][0] == 800
    send(client, filed, *_sugar_set("S2", 2))
    status, info = list_receipts(client, filed)[-1]
    assert status == 100
    assert "C03.cap" in info
    assert "capped at 2" in info
    assert "1.5 kg already cleared" in info


def test_a_fault_in_clearance_loses_no_message(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    from cbec.clearance import service

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in the tax code")

    monkeypatch.setattr(service, "compute_tax", broken)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        client = make_client()
        send(client, filed, *all_four())  # every message still accepted (200)
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    declaration = the_list(db)
    assert declaration.status == 120
    assert declaration.awaiting is True
    monkeypatch.undo()
    with db() as s:
        from cbec.clearance.service import Clearance

        assert Clearance(s).recheck() == 1
        s.commit()
    assert the_list(db).status == 800


def test_a_race_lost_while_deciding_runs_the_message_again(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deadlock raised by the driver while a list is decided is not one list's fault: the
    message's transaction runs again (as another API process won the race), and the list is
    released once, with one tax bill."""
    from psycopg import errors as pg_errors

    from cbec.clearance import service

    real = service.compute_tax
    calls: list[int] = []

    def loses_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise pg_errors.DeadlockDetected("deadlock detected")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "compute_tax", loses_once)
    client = make_client()
    send(client, filed, *all_four())
    assert len(calls) == 2
    assert the_list(db).status == 800
    with db() as s:
        assert len(s.scalars(select(TaxBill)).all()) == 1


def test_a_list_filed_and_changed_in_one_batch_is_filed_once(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """New lists of a batch are inserted together; one that the same batch modifies is one
    list at its last version (this was a server error), and one the same batch withdraws
    is never filed."""
    client = make_client()

    def batch(*messages: bytes) -> None:
        response = client.post(
            "/api/v1/messages/batch",
            json={"messages": [m.decode() for m in messages]},
            headers=auth(filed[AGENT]),
        )
        assert response.status_code == 200, response.text
        assert all(r["accepted"] for r in response.json()["results"]), response.text

    modified = "D2B1A098-7F6E-4D5C-8B4A-39281706F5E4"
    batch(inventory(), inventory(guid=modified, appType="2", grossWeight="2.5"))
    declaration = the_list(db)
    assert (declaration.version, declaration.status, declaration.awaiting) == (2, 120, True)
    assert declaration.invt_no == f"{declaration.customs_code}2026I{declaration.id:09d}"
    with db() as s:
        s.execute(Declaration.__table__.delete())
        s.commit()
    other = {"orderNo": "T20261111000009", "copNo": "INV20261111009"}
    withdrawn = "E2B1A098-7F6E-4D5C-8B4A-39281706F5E4"
    batch(inventory(**other), inventory(**other, guid=withdrawn, appType="3"))
    with db() as s:
        assert s.scalars(select(Declaration)).all() == []


def _set_for(order_no: str, guid_seed: int) -> list[tuple[str, bytes]]:
    """Another agreeing set of the four documents, for order ``order_no``."""
    g = f"{guid_seed:08d}-2222-3333-4444-555555555555"
    return [
        (PLATFORM, order(guid=g, orderNo=order_no, payTransactionId=f"P{order_no}")),
        (PAY, payment(guid=g, orderNo=order_no, payTransactionId=f"P{order_no}")),
        (LOGISTICS, waybill(guid=g, orderNo=order_no, logisticsNo=f"L{order_no}")),
        (
            AGENT,
            inventory(guid=g, orderNo=order_no, copNo=f"C{order_no}", logisticsNo=f"L{order_no}"),
        ),
    ]


def _one_list_faults(
    client: TestClient,
    filed: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
    good: str,
    seed: int,
) -> dict[str, list[tuple[str, bytes]]]:
    """The order, payment and waybill of orders ``bad`` and ``good`` sent; the store refuses
    a statement once list ``bad`` is decided (in memory). Returns both sets of documents."""
    from sqlalchemy import text

    from cbec.clearance import service

    sets = {bad: _set_for(bad, seed), good: _set_for(good, seed + 1)}
    for documents in sets.values():
        send(client, filed, *documents[:3])
    real = service.Clearance._decide_one

    def faulty(self: service.Clearance, s: service._Set, *args: object) -> None:
        real(self, s, *args)  # type: ignore[arg-type]
        if s.declaration.order_no == bad:  # after the list was decided, in memory
            self.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(service.Clearance, "_decide_one", faulty)
    return sets


def test_a_store_error_deciding_one_list_leaves_the_others_decided(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statement the store refuses while one list of a batch is decided (PostgreSQL then
    aborts the whole transaction) costs that list its decision, not the batch: the other
    list is released, every message is kept, and the faulty list waits for a recheck."""
    import logging

    from cbec.clearance import service

    bad, good = "T20261111000031", "T20261111000032"
    client = make_client()
    sets = _one_list_faults(client, filed, monkeypatch, bad, good, 31)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        response = client.post(
            "/api/v1/messages/batch",
            json={"messages": [sets[bad][3][1].decode(), sets[good][3][1].decode()]},
            headers=auth(filed[AGENT]),
        )
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    assert response.status_code == 200, response.text
    assert [r["accepted"] for r in response.json()["results"]] == [True, True]
    with db() as s:
        lists = {d.order_no: d for d in s.scalars(select(Declaration))}
        assert (lists[bad].status, lists[bad].awaiting) == (120, True)
        assert lists[good].status == 800
        bills = s.scalars(select(TaxBill)).all()
        assert [b.invt_no for b in bills] == [lists[good].invt_no]
        # one buyer: the quota row the faulty list made was taken back, the other's stays
        usage = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert usage is not None
        assert (usage.lists, usage.used) == (1, Decimal("398.00"))
    monkeypatch.undo()
    with db() as s:
        assert service.Clearance(s).recheck() == 1
        s.commit()
    with db() as s:
        assert {d.status for d in s.scalars(select(Declaration))} == {800}
        assert len(s.scalars(select(TaxBill)).all()) == 2
        usage = s.get(QuotaUsage, (blind_id("11010519491231002X"), 2026))
        assert usage is not None
        assert (usage.lists, usage.used) == (2, Decimal("796.00"))


def test_the_exploration_window_counts_only_decisions_that_were_written(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a store error the batch is decided again: the random-inspection share is
    worked out over the decisions written, not over the first try's (rolled back) ones
    nor the faulty list's."""
    import logging

    from cbec.clearance import service
    from cbec.clearance.decision import Exploration
    from cbec.intake.prepare import prepare_many
    from cbec.intake.service import Intake

    bad, good = "T20261111000041", "T20261111000042"
    sets = _one_list_faults(make_client(), filed, monkeypatch, bad, good, 41)
    exploration = Exploration(0.1, warmup=1)
    policy = service.Policy(exploration=exploration)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        with db() as s:
            lists = prepare_many([("bad.xml", sets[bad][3][1]), ("good.xml", sets[good][3][1])])
            outcomes = Intake(s, [service.Clearance(s, policy)]).submit(lists)
            s.commit()
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    assert [o.accepted for o in outcomes] == [True, True]
    assert exploration.counts() == (1, 0, 0)  # the released list, once
    monkeypatch.undo()
    with db() as s:
        assert service.Clearance(s, policy).recheck() == 1
        s.commit()
    assert exploration.counts() == (2, 0, 0)


def test_documents_parsed_elsewhere_or_in_an_earlier_run_clear_alike(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``cbec ingest --workers`` validates messages in other processes and hands intake
    their canonical text, not the message; a list's other documents may have come in an
    earlier run, so only the store has them. Either way the set is compared and decided as
    if everything had come in one request, and a stored body is read only when needed."""
    from cbec.clearance import repository, service
    from cbec.intake.prepare import prepare_for_transfer
    from cbec.intake.service import Intake

    make_client()  # filed enterprises, seeded catalogue
    read: list[int] = []
    bodies = repository.message_bodies

    def counted(session: Session, ids: object) -> dict[int, str]:
        found = bodies(session, ids)  # type: ignore[arg-type]
        read.extend(found)
        return found

    monkeypatch.setattr(repository, "message_bodies", counted)
    first, second = "T20261111000051", "T20261111000052"
    with db() as s:  # one run: the three documents of both orders, and the first list
        documents = _set_for(first, 51)[:3] + _set_for(second, 52)[:3]
        lists = _set_for(first, 51)[3:]
        run = Intake(s, [service.Clearance(s)])
        run.submit(
            prepare_for_transfer([(f"{n}.xml", data) for n, (_, data) in enumerate(documents)])
        )
        run.submit(prepare_for_transfer([("list.xml", lists[0][1])]))
        s.commit()
    assert read == []  # every document came with its canonical text
    with db() as s:  # a new run: the second list; its documents are only in the store
        later = _set_for(second, 52)[3][1]
        Intake(s, [service.Clearance(s)]).submit(prepare_for_transfer([("late.xml", later)]))
        s.commit()
        decided = {d.order_no: d.status for d in s.scalars(select(Declaration))}
    assert decided == {first: 800, second: 800}
    assert len(read) == 3  # the second order's three documents, each read once
