"""The front door over HTTP: authentication, roles, idempotency, appType rules, receipts."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from cbec.messages import codec
from cbec.store.models import DeadLetter, Document, Enterprise, InboundMessage
from tests.intake.conftest import auth, inventory, order, payment, waybill

PLATFORM, EBC, PAY, LOGISTICS, AGENT = (
    "4401960001",
    "4401960002",
    "4401960003",
    "4401960004",
    "4401960005",
)


def _count(db: sessionmaker[Session], model: type) -> int:
    with db() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_accepted_order_gets_receipt_120_and_is_committed(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    response = client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] is True
    assert body["receiptType"] == "CEB312"
    assert body["returnStatus"] == 120
    ret = body["receipt"]["CEB312Message"]["orderReturn"]
    assert ret["orderNo"] == "T20261111000001"
    assert ret["ebpCode"] == PLATFORM
    assert ret["returnStatus"] == "120"
    # committed before acknowledged: a fresh session sees it
    with db() as s:
        doc = s.scalars(select(Document).where(Document.kind == "order")).one()
        assert doc.order_no == "T20261111000001"
        assert doc.status == 120


def test_each_of_the_three_documents_and_the_list_are_accepted(
    client: TestClient, filed: dict[str, str]
) -> None:
    for sender, data, receipt in (
        (PLATFORM, order(), "CEB312"),
        (PAY, payment(), "CEB412"),
        (LOGISTICS, waybill(), "CEB512"),
        (AGENT, inventory(), "CEB622"),
    ):
        response = client.post("/api/v1/messages", content=data, headers=auth(filed[sender]))
        assert response.status_code == 200, response.text
        assert response.json()["receiptType"] == receipt


def test_identical_redelivery_is_idempotent(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    first = client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    # the same content pretty-printed is the same message
    pretty = codec.to_xml(codec.from_xml(order()), pretty=True)
    second = client.post("/api/v1/messages", content=pretty, headers=auth(filed[PLATFORM]))
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["receiptId"] == first.json()["receiptId"]
    assert second.json()["receipt"] == first.json()["receipt"]
    assert _count(db, InboundMessage) == 1


def test_missing_or_bad_key_is_401(client: TestClient, filed: dict[str, str]) -> None:
    assert client.post("/api/v1/messages", content=order()).status_code == 401
    bad = client.post("/api/v1/messages", content=order(), headers=auth("cbec_0000_nope"))
    assert bad.status_code == 401
    assert "unknown or revoked" in bad.json()["detail"]


def test_role_that_may_not_send_the_type_is_403_and_dead_lettered(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    response = client.post("/api/v1/messages", content=order(), headers=auth(filed[PAY]))
    assert response.status_code == 403
    body = response.json()
    assert "may not send CEB311" in body["detail"]
    assert body["fields"][0]["rule"] == "role.may-send"
    assert body["returnStatus"] == 100
    with db() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert dead.stage == "auth"
        assert dead.sender_code == PAY
    # the refusal is also a receipt the sender can fetch
    receipts = client.get("/api/v1/receipts", headers=auth(filed[PAY])).json()["receipts"]
    assert [r["returnStatus"] for r in receipts] == [100]


def test_sender_must_use_its_own_code(client: TestClient, filed: dict[str, str]) -> None:
    foreign = order(ebpCode="4401969999", ebcCode="4401968888")
    response = client.post("/api/v1/messages", content=foreign, headers=auth(filed[PLATFORM]))
    assert response.status_code == 403
    field = response.json()["fields"][0]
    assert field["rule"] == "sender.own-code"
    assert "ebpCode" in field["message"]
    assert PLATFORM in field["message"]


def test_ebc_may_send_its_own_order(client: TestClient, filed: dict[str, str]) -> None:
    response = client.post("/api/v1/messages", content=order(), headers=auth(filed[EBC]))
    assert response.status_code == 200


def test_suspended_sender_is_403(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    with db() as s:
        s.execute(
            update(Enterprise).where(Enterprise.customs_code == PLATFORM).values(status="suspended")
        )
        s.commit()
    response = client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


def test_invalid_message_gets_ceb900_naming_path_and_rule(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    bad = order().replace(b"<ceb:price>199.00</ceb:price>", b"<ceb:price>199.001234</ceb:price>")
    response = client.post("/api/v1/messages", content=bad, headers=auth(filed[PLATFORM]))
    assert response.status_code == 400
    body = response.json()
    assert body["receiptType"] == "CEB900"
    assert body["fields"][0]["path"] == "CEB311Message/Order/OrderList[1]/price"
    assert body["fields"][0]["rule"] == "fractionDigits=5"
    info = body["receipt"]["CEB900Message"]["messageReturn"]["returnInfo"]
    assert "OrderList[1]/price" in info
    assert "fractionDigits=5" in info
    with db() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert dead.raw == bad  # kept as sent
        assert dead.stage == "validate"
        assert json.loads(dead.fields)[0]["path"].endswith("price")


def test_malformed_xml_is_rejected_and_kept(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    response = client.post(
        "/api/v1/messages", content=b"<ceb:CEB311Message>", headers=auth(filed[PLATFORM])
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["rule"] == "xml.well-formed"
    assert _count(db, DeadLetter) == 1


def test_oversized_message_is_413_and_truncated_copy_kept(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    filler = b"<ceb:note>" + b"x" * 400_000 + b"</ceb:note></ceb:OrderHead>"
    huge = order().replace(b"</ceb:OrderHead>", filler)
    response = client.post("/api/v1/messages", content=huge, headers=auth(filed[PLATFORM]))
    assert response.status_code == 413
    assert response.json()["fields"][0]["rule"].startswith("maxBytes=")
    with db() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert dead.stage == "size"


def test_new_for_an_existing_key_is_refused(client: TestClient, filed: dict[str, str]) -> None:
    client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    again = order(guid="11111111-2222-3333-4444-555555555555", buyerRegNo="other")
    response = client.post("/api/v1/messages", content=again, headers=auth(filed[PLATFORM]))
    assert response.status_code == 409
    assert response.json()["fields"][0]["rule"] == "appType.new-exists"
    assert response.json()["fields"][0]["path"] == "CEB311Message/Order/OrderHead/appType"


def test_modify_replaces_the_document(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    modified = order(appType="2", consigneeAddress="上海市浦东新区世纪大道100号")
    response = client.post("/api/v1/messages", content=modified, headers=auth(filed[PLATFORM]))
    assert response.status_code == 200, response.text
    assert "modified" in response.json()["returnInfo"]
    with db() as s:
        doc = s.scalars(select(Document).where(Document.kind == "order")).one()
        assert doc.version == 2
        current = s.get(InboundMessage, doc.message_id)
        assert current is not None
        assert "世纪大道" in current.body


def test_modify_or_delete_of_nothing_is_refused(client: TestClient, filed: dict[str, str]) -> None:
    for app_type, rule in (("2", "appType.modify-missing"), ("3", "appType.delete-missing")):
        response = client.post(
            "/api/v1/messages", content=order(appType=app_type), headers=auth(filed[PLATFORM])
        )
        assert response.status_code == 409
        assert response.json()["fields"][0]["rule"] == rule


def test_delete_then_declare_again(client: TestClient, filed: dict[str, str]) -> None:
    headers = auth(filed[PLATFORM])
    assert client.post("/api/v1/messages", content=order(), headers=headers).status_code == 200
    gone = client.post("/api/v1/messages", content=order(appType="3"), headers=headers)
    assert gone.status_code == 200
    assert "deleted" in gone.json()["returnInfo"]
    again = order(guid="99999999-2222-3333-4444-555555555555")
    assert client.post("/api/v1/messages", content=again, headers=headers).status_code == 200


def test_modify_after_decision_is_refused_with_receipt(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client.post("/api/v1/messages", content=order(), headers=auth(filed[PLATFORM]))
    client.post("/api/v1/messages", content=inventory(), headers=auth(filed[AGENT]))
    with db() as s:  # clearance released the list
        s.execute(update(Document).where(Document.kind == "inventory").values(status=800))
        s.commit()
    changed_list = inventory(appType="2", grossWeight="2.5")
    response = client.post("/api/v1/messages", content=changed_list, headers=auth(filed[AGENT]))
    assert response.status_code == 409
    assert response.json()["fields"][0]["rule"] == "appType.modify-decided"
    assert "800 released" in response.json()["returnInfo"]
    changed_order = order(appType="2", buyerTelephone="13900000000")
    response = client.post("/api/v1/messages", content=changed_order, headers=auth(filed[PLATFORM]))
    assert response.status_code == 409
    assert "list for order T20261111000001 is already decided" in response.json()["returnInfo"]


def test_json_message_and_xml_receipt(client: TestClient, filed: dict[str, str]) -> None:
    as_json = codec.to_json(codec.from_xml(payment()))
    response = client.post(
        "/api/v1/messages",
        content=as_json.encode(),
        headers={
            "Authorization": f"Bearer {filed[PAY]}",
            "Content-Type": "application/json",
            "Accept": "application/xml",
        },
    )
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.tag == "{http://www.chinaport.gov.cn/ceb}CEB412Message"
    assert root.nsmap[None] == "http://www.chinaport.gov.cn/ceb"  # receipts: default namespace
    ns = {"c": "http://www.chinaport.gov.cn/ceb"}
    assert root.findtext("c:PaymentReturn/c:returnStatus", namespaces=ns) == "120"
    assert root.findtext("c:PaymentReturn/c:payTransactionId", namespaces=ns) == "P2026111100000001"


def test_receipts_cursor_pages_and_is_private(client: TestClient, filed: dict[str, str]) -> None:
    headers = auth(filed[PLATFORM])
    client.post("/api/v1/messages", content=order(), headers=headers)
    client.post(
        "/api/v1/messages",
        content=order(guid="AAAAAAAA-2222-3333-4444-555555555555", orderNo="T2"),
        headers=headers,
    )
    page = client.get("/api/v1/receipts?limit=1", headers=headers).json()
    assert len(page["receipts"]) == 1
    rest = client.get(f"/api/v1/receipts?after={page['next']}", headers=headers).json()
    assert [r["businessKey"].split("|")[-1] for r in rest["receipts"]] == ["T2"]
    done = client.get(f"/api/v1/receipts?after={rest['next']}", headers=headers).json()
    assert done["receipts"] == []
    # another enterprise sees none of them
    other = client.get("/api/v1/receipts", headers=auth(filed[PAY])).json()
    assert other["receipts"] == []
    rid = page["receipts"][0]["id"]
    assert client.get(f"/api/v1/receipts/{rid}", headers=auth(filed[PAY])).status_code == 404
    mine = client.get(f"/api/v1/receipts/{rid}", headers={**headers, "Accept": "application/xml"})
    assert mine.status_code == 200
    assert b"OrderReturn" in mine.content


def test_batch_answers_each_message(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    good = order().decode()
    bad = (
        order(guid="BBBBBBBB-2222-3333-4444-555555555555", orderNo="T3")
        .replace(b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>CNY</ceb:currency>", 1)
        .decode()
    )
    as_json = json.loads(
        codec.to_json(
            codec.from_xml(order(guid="CCCCCCCC-2222-3333-4444-555555555555", orderNo="T4"))
        )
    )
    response = client.post(
        "/api/v1/messages/batch",
        json={"messages": [good, bad, as_json, good]},
        headers={"Authorization": f"Bearer {filed[PLATFORM]}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["accepted"] for r in results] == [True, False, True, True]
    assert results[3]["duplicate"] is True
    assert results[3]["receiptId"] == results[0]["receiptId"]
    assert results[1]["fields"][0]["path"] == "CEB311Message/Order/OrderHead/currency"
    assert _count(db, InboundMessage) == 2
    assert _count(db, DeadLetter) == 1


def test_a_json_key_given_twice_is_refused_not_overwritten(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """Plain JSON keeps the last of two equal keys without a word; XML refuses an element
    given twice. A JSON message, alone or in a batch, is refused as XML would be."""
    headers = {"Authorization": f"Bearer {filed[PLATFORM]}", "Content-Type": "application/json"}
    text = codec.to_json(codec.from_xml(order(orderNo="DUP-A-0001")))
    twice = text.replace('"orderNo":"DUP-A-0001"', '"orderNo":"DUP-A-0001","orderNo":"DUP-B-0002"')
    assert twice != text
    response = client.post("/api/v1/messages", content=twice.encode(), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == [
        {
            "path": "CEB311Message/Order/OrderHead/orderNo",
            "rule": "maxOccurs=1",
            "message": "orderNo appears more than once",
        }
    ]
    assert _count(db, InboundMessage) == 0
    assert _count(db, DeadLetter) == 1  # kept, as sent
    with db() as s:
        assert b"DUP-B-0002" in s.scalars(select(DeadLetter)).one().raw
    # in a batch: that message is refused, the others are taken
    good = json.loads(codec.to_json(codec.from_xml(order(orderNo="T5"))))
    body = '{"messages": [' + twice + ", " + json.dumps(good) + "]}"
    response = client.post("/api/v1/messages/batch", content=body.encode(), headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["accepted"] for r in results] == [False, True]
    assert results[0]["fields"][0]["path"] == "CEB311Message/Order/OrderHead/orderNo"
    assert results[0]["fields"][0]["rule"] == "maxOccurs=1"
    assert _count(db, InboundMessage) == 1
    # the batch's own keys
    body = '{"messages": [' + twice + '], "messages": [' + json.dumps(good) + "]}"
    response = client.post("/api/v1/messages/batch", content=body.encode(), headers=headers)
    assert response.status_code == 400
    assert response.json()["fields"][0] == {
        "path": "messages",
        "rule": "maxOccurs=1",
        "message": "messages appears more than once",
    }


def test_batch_must_be_a_list_of_messages(client: TestClient, filed: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {filed[PLATFORM]}"}
    response = client.post("/api/v1/messages/batch", json={"nope": 1}, headers=headers)
    assert response.status_code == 400
    assert "messages" in response.json()["detail"]


def test_openapi_publishes_the_message_schemas(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "CEB311Json" in components
    head = components["OrderHead"]["properties"]
    assert head["orderNo"]["maxLength"] == 60
    assert "acturalPaid" in head


def test_rejected_list_may_be_declared_again(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    headers = auth(filed[AGENT])
    assert client.post("/api/v1/messages", content=inventory(), headers=headers).status_code == 200
    with db() as s:  # clearance rejected it
        s.execute(update(Document).where(Document.kind == "inventory").values(status=100))
        s.commit()
    fixed = inventory(guid="EEEEEEEE-2222-3333-4444-555555555555", grossWeight="2.3")
    response = client.post("/api/v1/messages", content=fixed, headers=headers)
    assert response.status_code == 200, response.text
    refused = client.post(
        "/api/v1/messages", content=inventory(appType="2", grossWeight="2.4"), headers=headers
    )
    assert refused.status_code == 200  # the new declaration is live again and modifiable
