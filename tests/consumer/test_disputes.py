""" "Not me": a consumer disputes lists declared under their identity; the identity, the
lists and the enterprises are flagged; an officer confirms (the lists stop counting against
the quota, and the restored quota is shown) or rejects (the flags end)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.privacy import blind_id
from cbec.store.models import AuditEntry, ConsumerDispute, Declaration, QuotaUsage, RiskFlag
from tests.clearance.conftest import cheap_hasher
from tests.officers.factories import login, staff
from tests.risk.conftest import BUYER, Traffic, resident_id

__all__ = ["cheap_hasher"]

WHO = {"name": "张伟", "idNumber": BUYER, "phone": "13812345678"}
PLATFORM, EBC = "4401960001", "4401960002"


@pytest.fixture
def traffic(make_client: Callable[..., TestClient], filed: dict[str, str]) -> Traffic:
    return Traffic(make_client(), filed)


@pytest.fixture
def officers(traffic: Traffic, db: sessionmaker[Session]) -> dict[str, dict[str, str]]:
    staff(db, zhao_lei=["investigator"], li_wei=["reviewer"], chen_jing=["risk_analyst"])
    return {
        "investigator": login(traffic.client, "zhao.lei"),
        "reviewer": login(traffic.client, "li.wei"),
        "analyst": login(traffic.client, "chen.jing"),
    }


def invt_nos(db: sessionmaker[Session], buyer: str = BUYER) -> list[str]:
    with db() as s:
        rows = s.scalars(
            select(Declaration.invt_no)
            .where(Declaration.buyer_key == blind_id(buyer))
            .order_by(Declaration.id)
        )
        return [r for r in rows if r is not None]


def quota(client: TestClient) -> dict[str, object]:
    answer = client.post("/api/v1/consumer/quota", json=WHO)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_a_confirmed_dispute_gives_the_quota_back_and_flags_everyone(
    traffic: Traffic, officers: dict[str, dict[str, str]], db: sessionmaker[Session]
) -> None:
    traffic.send(1)
    traffic.send(2)
    mine, theirs = invt_nos(db)
    assert quota(traffic.client)["used"] == "796.00"
    opened = traffic.client.post(
        "/api/v1/consumer/disputes",
        json={**WHO, "lists": [theirs], "statement": "not me; call 13812345678"},
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert dispute["status"] == "open"
    assert dispute["buyer"] == "110*************2X"
    assert dispute["statement"] == "not me; call 138****5678"  # scrubbed
    assert dispute["lists"] == [
        {"invtNo": theirs, "platform": PLATFORM, "ebcCode": EBC, "value": "398.00"}
    ]
    with db() as s:
        flags = s.scalars(select(RiskFlag).order_by(RiskFlag.id)).all()
        assert {(f.subject_kind, f.subject_key, f.source, f.kind) for f in flags} == {
            ("identity", blind_id(BUYER), "consumer", "identity_misuse"),
            ("list", theirs, "consumer", "dispute"),
            ("enterprise", PLATFORM, "consumer", "dispute"),
            ("enterprise", EBC, "consumer", "dispute"),
        }
        assert {f.score for f in flags} == {0.5}
    # not counted back yet: customs has not confirmed
    answer = quota(traffic.client)
    assert answer["used"] == "796.00"
    assert [row["dispute"] for row in answer["lists"]] == [None, "open"]  # type: ignore[attr-defined]

    base = f"/api/v1/consumer/disputes/{dispute['id']}"
    decision = {"confirm": True, "reason": "platform could not show the buyer's consent"}
    denied = traffic.client.post(f"{base}/decision", json=decision, headers=officers["reviewer"])
    assert denied.status_code == 403
    assert traffic.client.post(f"{base}/decision", json=decision).status_code == 401
    listed = traffic.client.get(
        "/api/v1/consumer/disputes?status=open", headers=officers["analyst"]
    ).json()
    assert [d["id"] for d in listed] == [dispute["id"]]
    confirmed = traffic.client.post(
        f"{base}/decision", json=decision, headers=officers["investigator"]
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["restored"] == "398.00"
    assert confirmed.json()["decidedBy"] == "zhao.lei"

    answer = quota(traffic.client)
    assert (answer["used"], answer["restored"], answer["remaining"]) == (
        "398.00",
        "398.00",
        "25602.00",
    )
    rows = {row["invtNo"]: row for row in answer["lists"]}  # type: ignore[attr-defined]
    assert (rows[theirs]["dispute"], rows[theirs]["excluded"], rows[theirs]["counted"]) == (
        "confirmed",
        True,
        False,
    )
    assert (rows[mine]["excluded"], rows[mine]["counted"]) == (False, True)
    with db() as s:
        usage = s.get(QuotaUsage, (blind_id(BUYER), 2026))
        assert usage is not None
        assert (usage.used, usage.lists) == (Decimal("398.00"), 1)
        assert {f.score for f in s.scalars(select(RiskFlag))} == {1.0}
        assert all("confirmed by zhao.lei" in f.reason for f in s.scalars(select(RiskFlag)))
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["consumer_dispute.open", "consumer_dispute.confirm"]
    again = traffic.client.post(f"{base}/decision", json=decision, headers=officers["analyst"])
    assert again.status_code == 409
    twice = traffic.client.post("/api/v1/consumer/disputes", json={**WHO, "lists": [theirs]})
    assert twice.status_code == 409
    assert twice.json()["fields"][0] == {
        "path": "lists[0]",
        "rule": "lists.disputed",
        "message": f"{theirs} is already in a dispute that is confirmed",
    }


def test_a_rejected_dispute_ends_its_flags_and_keeps_the_quota(
    traffic: Traffic, officers: dict[str, dict[str, str]], db: sessionmaker[Session]
) -> None:
    traffic.send(1)
    [listed] = invt_nos(db)
    dispute = traffic.client.post(
        "/api/v1/consumer/disputes", json={**WHO, "lists": [listed]}
    ).json()
    rejected = traffic.client.post(
        f"/api/v1/consumer/disputes/{dispute['id']}/decision",
        json={"confirm": False, "reason": "paid from the holder's own account"},
        headers=officers["investigator"],
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["restored"] is None
    assert quota(traffic.client)["used"] == "398.00"
    with db() as s:
        assert all(f.valid_to is not None for f in s.scalars(select(RiskFlag)))
    # a rejected dispute does not stop a new one
    renewed = traffic.client.post("/api/v1/consumer/disputes", json={**WHO, "lists": [listed]})
    assert renewed.status_code == 201


def test_a_disputed_list_approved_later_never_counts(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """A list held for manual review is disputed and confirmed; when the reviewer then
    approves it, clearance leaves it out of the buyer's quota."""
    traffic = Traffic(make_client(review_rate=1.0), filed)
    staff(db, zhao_lei=["investigator"], li_wei=["reviewer"])
    traffic.send(1)
    [listed] = invt_nos(db)
    with db() as s:
        assert s.scalars(select(Declaration.status)).one() == 300
    dispute = traffic.client.post(
        "/api/v1/consumer/disputes", json={**WHO, "lists": [listed]}
    ).json()
    traffic.client.post(
        f"/api/v1/consumer/disputes/{dispute['id']}/decision",
        json={"confirm": True, "reason": "identity theft reported to police"},
        headers=login(traffic.client, "zhao.lei"),
    )
    approved = traffic.client.post(
        f"/api/v1/declarations/{listed}/review",
        json={"approve": True, "reason": "documents in order"},
        headers=login(traffic.client, "li.wei"),
    )
    assert approved.status_code == 200, approved.text
    with db() as s:
        d = s.scalars(select(Declaration)).one()
        assert (d.status, d.quota_counted, d.quota_excluded) == (800, False, True)
        assert s.get(QuotaUsage, (blind_id(BUYER), 2026)) is None
    assert quota(traffic.client)["used"] == "0.00"


def test_the_restored_quota_counts_only_what_the_quota_carried(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """A rejected list never counted against the quota: disputing it gives nothing back, so
    the page's "restored" is what the dispute gave back, not the value of every list in it
    (it showed 796.00 restored while the quota had moved by 398.00)."""
    traffic = Traffic(make_client(review_rate=1.0), filed)
    staff(db, zhao_lei=["investigator"], li_wei=["reviewer"])
    traffic.send(1)
    traffic.send(2)
    released, rejected = invt_nos(db)
    reviewer = login(traffic.client, "li.wei")
    for number, approve in ((released, True), (rejected, False)):
        done = traffic.client.post(
            f"/api/v1/declarations/{number}/review",
            json={"approve": approve, "reason": "checked"},
            headers=reviewer,
        )
        assert done.status_code == 200, done.text
    assert quota(traffic.client)["used"] == "398.00"
    dispute = traffic.client.post(
        "/api/v1/consumer/disputes", json={**WHO, "lists": [released, rejected]}
    ).json()
    confirmed = traffic.client.post(
        f"/api/v1/consumer/disputes/{dispute['id']}/decision",
        json={"confirm": True, "reason": "identity theft reported to police"},
        headers=login(traffic.client, "zhao.lei"),
    )
    assert confirmed.json()["restored"] == "398.00"
    answer = quota(traffic.client)
    assert (answer["used"], answer["restored"], answer["remaining"]) == (
        "0.00",
        "398.00",
        "26000.00",
    )


def test_bad_disputes_are_refused_naming_the_field(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    traffic.send(1)
    traffic.send(2, buyer=resident_id(7))
    [mine] = invt_nos(db)
    [other] = invt_nos(db, resident_id(7))
    # who cannot prove the identity gets the quota query's uniform answer
    unknown = traffic.client.post(
        "/api/v1/consumer/disputes", json={**WHO, "phone": "13900000000", "lists": [mine]}
    )
    no_lists = traffic.client.post("/api/v1/consumer/quota", json={**WHO, "phone": "13900000000"})
    assert unknown.status_code == no_lists.status_code == 404
    assert unknown.json() == no_lists.json()
    # another identity's list, a list named twice
    bad = traffic.client.post(
        "/api/v1/consumer/disputes", json={**WHO, "lists": [other, mine, mine]}
    )
    assert bad.status_code == 400
    assert [(f["path"], f["rule"]) for f in bad.json()["fields"]] == [
        ("lists[0]", "lists.yours"),
        ("lists[2]", "lists.unique"),
    ]
    empty = traffic.client.post("/api/v1/consumer/disputes", json={**WHO, "lists": []})
    assert empty.status_code == 422
    assert empty.json()["fields"][0]["path"] == "body/lists"
    typo = traffic.client.post("/api/v1/consumer/disputes", json={**WHO, "list": [mine]})
    assert typo.status_code == 422
    with db() as s:
        assert s.scalars(select(ConsumerDispute)).all() == []
        assert s.scalars(select(RiskFlag)).all() == []


def test_two_disputes_of_one_list_at_once_file_one(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    """A double click sends the same dispute twice at once: the second waits for the
    first and is told the list is already disputed (before, both were filed)."""
    import threading

    from cbec.consumer import disputes
    from cbec.consumer.schemas import DisputeIn
    from cbec.errors import Conflict

    traffic.send(1)
    [mine] = invt_nos(db)
    data = DisputeIn.model_validate({**WHO, "lists": [mine]})
    second: list[object] = []

    def again() -> None:
        with db() as s:
            try:
                second.append(disputes.open_dispute(s, data))
                s.commit()
            except Conflict as exc:
                second.append(exc)

    with db() as first:
        disputes.open_dispute(first, data)
        other = threading.Thread(target=again)
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waiting for the first to end
        first.commit()
    other.join(10)
    [refused] = second
    assert isinstance(refused, Conflict)
    assert [(f.path, f.rule) for f in refused.fields] == [("lists[0]", "lists.disputed")]
    with db() as s:
        assert len(s.scalars(select(ConsumerDispute)).all()) == 1
