"""The workbench: queues, one list with its documents, and the officers' actions, which
change the list's state only for the right role and with a reason, in the audit log."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.clearance.service import Clearance, Policy
from cbec.config import Settings
from cbec.errors import Conflict
from cbec.store.models import AuditEntry, Declaration
from tests.intake.conftest import auth
from tests.officers.factories import staff
from tests.web.conftest import AGENT, BUYER_ID, BUYER_PHONE, a_set, send, sign_in


def lists(db: sessionmaker[Session]) -> list[Declaration]:
    with db() as s:
        return list(s.scalars(select(Declaration).order_by(Declaration.id)))


def invt(db: sessionmaker[Session], n: int = 0) -> str:
    number = lists(db)[n].invt_no
    assert number is not None
    return number


def test_reviewer_approves_and_rejects_from_the_queue(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    send(client, filed, a_set(2))
    first, second = invt(db, 0), invt(db, 1)
    sign_in(client, "rev")
    page = client.get("/workbench")
    assert page.status_code == 200
    assert first in page.text
    assert second in page.text
    assert "S.review" in page.text
    item = client.get(f"/workbench/items/{first}")
    assert item.status_code == 200
    for title in ("清单 CEB621", "订单 CEB311", "支付单 CEB411", "运单 CEB511"):
        assert title in item.text  # Chinese by default
    assert "一致" in item.text
    assert "they agree" not in item.text
    client.cookies.set("lang", "en")
    item = client.get(f"/workbench/items/{first}")
    for title in ("List CEB621", "Order CEB311", "Payment CEB411", "Waybill CEB511"):
        assert title in item.text
    assert "they agree" in item.text
    client.cookies.set("lang", "zh")
    assert 'data-action="approve"' in item.text

    done = client.post(
        f"/workbench/items/{first}/review", json={"approve": True, "reason": "goods as declared"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == 800
    done = client.post(
        f"/workbench/items/{second}/review",
        json={"approve": False, "reason": "invoice does not match"},
    )
    assert done.json()["status"] == 100
    assert [d.status for d in lists(db)] == [800, 100]
    # the sender is told why (it can correct that), not who decided
    told = client.get("/api/v1/receipts?limit=100", headers=auth(filed[AGENT])).json()
    infos = [r["returnInfo"] for r in told["receipts"] if r["returnStatus"] in (100, 800)]
    assert "rejected: on manual review by customs: invoice does not match" in infos
    assert not [i for i in infos if "rev" in i.split()]
    queue = client.get("/workbench?queue=review").text
    assert first not in queue
    assert second not in queue
    with db() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("declaration.%"))
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.actor, e.subject_key, e.reason) for e in entries] == [
            ("declaration.approve", "rev", first, "goods as declared"),
            ("declaration.reject", "rev", second, "invoice does not match"),
        ]


def test_review_refused_without_the_role_a_reason_or_a_session(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    url = f"/workbench/items/{invt(db)}/review"
    fine = {"approve": True, "reason": "fine"}
    assert client.post(url, json=fine).status_code == 401
    assert client.get(url.removesuffix("/review")).status_code == 401
    for username in ("insp", "ana"):
        sign_in(client, username)
        refused = client.post(url, json=fine)
        assert refused.status_code == 403
        assert "reviewer" in refused.json()["detail"]
    sign_in(client, "rev")
    for reason in ("", "   "):
        refused = client.post(url, json={"approve": True, "reason": reason})
        assert refused.status_code in (400, 422)
        assert "reason" in refused.text
    elsewhere = client.post(url, json=fine, headers={"Origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403
    assert lists(db)[0].status == 300


def test_inspector_records_results(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    client = web(inspection_rate=1.0)
    for n in range(3):
        send(client, filed, a_set(n))
    numbers = [invt(db, n) for n in range(3)]
    sign_in(client, "rev")
    refused = client.post(
        f"/workbench/items/{numbers[0]}/inspection", json={"result": "seize", "details": "odd"}
    )
    assert refused.status_code == 403
    sign_in(client, "insp")
    page = client.get("/workbench")  # an inspector lands on the inspection queue
    assert 'data-queue="inspection"' in page.text
    assert all(n in page.text for n in numbers)
    assert 'data-action="seize"' in client.get(f"/workbench/items/{numbers[0]}").text
    for number, result in zip(
        numbers,
        [
            {"result": "conform"},
            {"result": "seize"},
            {"result": "discrepancy", "detention": 700},
        ],
        strict=True,
    ):
        done = client.post(
            f"/workbench/items/{number}/inspection", json={"details": "opened it", **result}
        )
        assert done.status_code == 200, done.text
    assert [d.status for d in lists(db)] == [800, 502, 700]


def test_detained_lists_wait_in_their_queue_until_their_department_ends_them(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """A seized list (502) and a list held at 599 wait in the detained queue; the seized
    one is the investigators' to release or return, the held one an inspector's."""
    staff(db, zhao=["investigator"])
    client = web(inspection_rate=1.0)
    for n in range(2):
        send(client, filed, a_set(n))
    seized, held = invt(db, 0), invt(db, 1)
    sign_in(client, "insp")
    client.post(f"/workbench/items/{seized}/inspection", json={"result": "seize", "details": "x"})
    client.post(
        f"/workbench/items/{held}/inspection",
        json={"result": "discrepancy", "details": "weight", "detention": 599},
    )
    page = client.get("/workbench?queue=detained")
    assert page.status_code == 200
    assert seized in page.text
    assert held in page.text
    assert 'id="size-detained">2<' in page.text
    item = client.get(f"/workbench/items/{seized}").text
    assert 'data-action="release"' in item
    assert "investigator" in item  # its buttons say which role ends it
    refused = client.post(
        f"/workbench/items/{seized}/detention", json={"action": "release", "reason": "ok"}
    )
    assert refused.status_code == 403
    done = client.post(
        f"/workbench/items/{held}/detention", json={"action": "return", "reason": "not as declared"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == 700
    sign_in(client, "zhao")
    assert 'data-queue="detained"' in client.get("/workbench").text  # lands on its queue
    released = client.post(
        f"/workbench/items/{seized}/detention",
        json={"action": "release", "reason": "brand owner confirmed the goods"},
    )
    assert released.status_code == 200, released.text
    assert [d.status for d in lists(db)] == [800, 700]
    assert 'id="size-detained">0<' in client.get("/workbench?queue=detained").text


def test_item_marks_disagreements_and_masks_ids_and_phones(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    client = web()
    payer = "110105194912310029"
    send(client, filed, a_set(1, payment={"payerIdNumber": payer, "payerName": "李娜"}))
    number = invt(db)
    assert lists(db)[0].status == 100
    sign_in(client, "rev")
    html = client.get(f"/workbench/items/{number}").text
    assert "C02.buyer" in html
    assert "处不一致" in html
    assert "disagreement" not in html
    client.cookies.set("lang", "en")
    assert "disagreement" in client.get(f"/workbench/items/{number}").text
    assert 'class="differs"' in html
    assert "110*************29" in html  # the payer's ID, masked, marked as differing
    for secret in (BUYER_ID, payer, BUYER_PHONE):
        assert secret not in html
    assert "李娜" in html  # names are shown to the reviewer (near matches are judged)
    assert "无需关员处理" in html  # not waiting for an officer


def test_an_action_twice_or_on_a_list_out_of_its_queue_is_refused(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """A second click (or a stale page) must not release a seized list, return a detained
    one, or approve a list whose documents never came: 409, naming where the list is."""
    client = web(inspection_rate=1.0)
    send(client, filed, a_set(1))
    send(client, filed, a_set(2)[3:])  # the list alone: it waits for its documents
    seized, waiting = invt(db, 0), invt(db, 1)
    sign_in(client, "insp")
    url = f"/workbench/items/{seized}/inspection"
    assert client.post(url, json={"result": "seize", "details": "drugs"}).status_code == 200
    for again in ({"result": "conform"}, {"result": "discrepancy", "detention": 700}):
        refused = client.post(url, json={"details": "looked again", **again})
        assert refused.status_code == 409, refused.text
        assert "502" in refused.json()["detail"]
        assert "500" in refused.json()["detail"]
    sign_in(client, "rev")
    for approve in (True, False):
        refused = client.post(
            f"/workbench/items/{waiting}/review", json={"approve": approve, "reason": "fine"}
        )
        assert refused.status_code == 409, refused.text
        assert "waiting for its documents" in refused.json()["detail"]
    assert [d.status for d in lists(db)] == [502, 120]
    with db() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("declaration.%"))
        ).all()
        assert actions == ["declaration.inspection.seize"]


def test_the_sender_is_told_the_decision_not_the_officers_notes(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """The receipt (CEB622) to the list's sender says what became of it and that an
    officer decided; the officer's notes (which may name a tip, a rule or a person) and
    name stay with customs, and ID numbers in them are masked in the list's history."""
    client = web(inspection_rate=1.0)
    send(client, filed, a_set(1))
    seized = invt(db)
    sign_in(client, "insp")
    notes = f"tip from informant: buyer {BUYER_ID} runs the ring, rule R7"
    done = client.post(
        f"/workbench/items/{seized}/inspection", json={"result": "seize", "details": notes}
    )
    assert done.status_code == 200, done.text
    receipts = client.get("/api/v1/receipts?limit=100", headers=auth(filed[AGENT])).json()
    last = receipts["receipts"][-1]
    assert last["returnStatus"] == 502
    assert last["returnInfo"] == ("detained, passed to anti-smuggling: on inspection by customs"), (
        last["returnInfo"]
    )
    history = client.get(f"/workbench/items/{seized}").text
    assert "tip from informant" in history
    assert BUYER_ID not in history


def test_an_administrator_sees_the_queues_but_not_a_lists_personal_data(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """The item view shows the buyer's, payer's and consignee's names and the address in
    full; an officer who only manages accounts gets 403 naming the roles, not the names."""
    staff(db, adm=["administrator"])
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    number = invt(db)
    sign_in(client, "adm")
    assert number in client.get("/workbench").text
    refused = client.get(f"/workbench/items/{number}")
    assert refused.status_code == 403
    assert "reviewer or inspector or investigator or risk_analyst" in refused.json()["detail"]
    assert "张伟" not in refused.text
    for username in ("rev", "insp", "ana"):
        sign_in(client, username)
        assert client.get(f"/workbench/items/{number}").status_code == 200


def test_two_officers_deciding_one_list_at_once_decide_it_once(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    """Two reviewers open the same list; the one whose verdict lands second gets 409 (it
    used to be applied over the first: a released list then rejected, or a second tax
    bill refused by the store as a 500). Concurrent only on PostgreSQL (SQLite has one
    writer at a time)."""
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    number = invt(db)
    first = db()
    if first.get_bind().dialect.name != "postgresql":
        first.close()
        pytest.skip("needs PostgreSQL's row locks")
    policy = Policy.from_settings(Settings(review_rate=1.0, inspection_rate=0.0))
    Clearance(first, policy).review(number, approve=True, officer="rev", reason="fine")
    outcome: list[object] = []

    def second() -> None:
        with db() as s:
            try:
                Clearance(s, policy).review(number, approve=False, officer="rev2", reason="no")
                s.commit()
                outcome.append("applied")
            except Conflict as exc:
                outcome.append(exc.detail)

    other = threading.Thread(target=second)
    other.start()
    other.join(1.0)
    assert other.is_alive()  # waits for the first verdict's lock
    first.commit()
    first.close()
    other.join(10.0)
    assert outcome
    assert "is at 800 released, not 300 manual review" in str(outcome[0])
    assert [d.status for d in lists(db)] == [800]


def test_a_bad_value_in_the_workbench_address_gets_the_error_page(
    web: Callable[..., TestClient], officers: None
) -> None:
    """/workbench?queue=bogus and /networks?id=abc show the site's error page (422), not
    the API's JSON; the workbench's actions keep answering JSON to its script."""
    client = web()
    sign_in(client, "insp")
    client.cookies.set("lang", "en")
    for path, where in (
        ("/workbench?queue=bogus", "query/queue"),
        ("/networks?id=abc", "query/id"),
    ):
        answer = client.get(path)
        assert answer.status_code == 422, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "A value in the page&#39;s address is not valid." in answer.text, path
        assert f"<code>{where}</code>" in answer.text, path
    action = client.post("/workbench/items/X/inspection", json={"result": "conform"})
    assert action.status_code == 422
    assert action.headers["content-type"] == "application/json"
