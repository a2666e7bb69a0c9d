"""The public quota query cannot be used to find out whose ID numbers have lists, nor to
guess a person's phone by trying many: one answer for "no such lists" and "wrong name or
phone", and rate limits per caller and per ID number (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from cbec.privacy import proof_key
from cbec.store.models import Declaration
from tests.clearance.test_clearance_flow import AGENT, all_four, send
from tests.conftest import before_revision
from tests.intake.conftest import inventory
from tests.risk.conftest import Traffic

QUERY = {"name": "张伟", "idNumber": "11010519491231002X", "phone": "13812345678"}
UNKNOWN_ID = "110105194912310029"  # valid, never declared


def test_unknown_identity_and_wrong_phone_get_the_same_answer(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    assert client.post("/api/v1/consumer/quota", json=QUERY).status_code == 200
    wrong_phone = client.post("/api/v1/consumer/quota", json={**QUERY, "phone": "13900000000"})
    unknown = client.post("/api/v1/consumer/quota", json={**QUERY, "idNumber": UNKNOWN_ID})
    assert wrong_phone.status_code == unknown.status_code == 404
    assert wrong_phone.json() == unknown.json()
    assert "26,000" in unknown.json()["detail"]  # an identity with no list keeps it all


def test_a_caller_is_limited_and_told_when_to_come_back(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client(consumer_rate_per_client="3/minute")
    answers = [
        client.post("/api/v1/consumer/quota", json={**QUERY, "phone": f"1390000000{i}"})
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert answers[-1].json()["error"] == "too_many_requests"


def test_the_quota_page_also_says_when_to_come_back(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client(consumer_rate_per_client="3/minute")
    answers = [
        client.post("/consumer", data={**QUERY, "phone": f"1390000000{i}"}) for i in range(4)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers


def test_one_identity_is_limited_across_callers(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = make_client(consumer_rate_per_client="100/minute", consumer_rate_per_identity="2/hour")
    statuses = [
        client.post(
            "/api/v1/consumer/quota",
            json={**QUERY, "phone": f"1390000000{i}"},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [404, 404, 429]
    other = client.post("/api/v1/consumer/quota", json={**QUERY, "idNumber": UNKNOWN_ID})
    assert other.status_code == 404  # another ID number is not held up


def test_blanks_and_a_lower_case_x_are_the_same_identity(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    """An app that sends the phone with a trailing blank, or the ID number's check
    character as 'x', got 'no list carries this name and phone' (the page trims them)."""
    client = make_client()
    send(client, filed, *all_four())
    exact = client.post("/api/v1/consumer/quota", json=QUERY)
    assert exact.status_code == 200
    loose = {"name": " 张伟 ", "idNumber": " 11010519491231002x", "phone": "13812345678 "}
    for path in ("/api/v1/consumer/quota", "/api/v1/consumer/notices"):
        answer = client.post(path, json=loose)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["buyer"] == "110*************2X"
    assert client.post("/api/v1/consumer/quota", json=loose).json() == exact.json()


def test_a_holder_known_from_last_year_gets_this_years_quota(
    make_client: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    """Only this year's lists were searched for the name and phone: a consumer whose
    lists were all declared last year was told 'no list carries this name and phone'
    (404) instead of their untouched quota, and could not see lists others declared
    under their ID this year. The identity is proved as for disputes (any year)."""
    client = make_client()
    Traffic(client, filed).send(1, day="20251111")
    last_year = client.post("/api/v1/consumer/quota", json={**QUERY, "year": 2025})
    assert last_year.status_code == 200, last_year.text
    this_year = client.post("/api/v1/consumer/quota", json={**QUERY, "year": 2026})
    assert this_year.status_code == 200, this_year.text
    answer = this_year.json()
    assert (answer["used"], answer["remaining"], answer["lists"]) == ("0.00", "26000.00", [])
    stranger = client.post(
        "/api/v1/consumer/quota", json={**QUERY, "year": 2026, "phone": "13900000000"}
    )
    unknown = client.post(
        "/api/v1/consumer/quota", json={**QUERY, "year": 2026, "idNumber": UNKNOWN_ID}
    )
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()


def test_a_holder_proved_by_a_list_older_than_500_others_gets_the_answer(
    make_client: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    """Only the ID number's 500 newest lists were read for the name and phone: a holder
    whose own list was older than 500 lists others declared under their ID was told 'no
    list carries this name and phone' (404). The store is asked for a proving list."""
    client = make_client()
    Traffic(client, filed).send(1, day="20251111")  # the holder's own list, last year
    # this year, someone else declares 501 lists under the holder's ID number
    send(client, filed, (AGENT, inventory(buyerName="李娜", buyerTelephone="13900000000")))
    with db() as s:
        other = s.scalars(select(Declaration).where(Declaration.quota_year == 2026)).one()
        columns = [a.key for a in inspect(Declaration).column_attrs if a.key != "id"]
        row = {key: getattr(other, key) for key in columns}
        s.add_all(
            Declaration(**{**row, "business_key": f"{other.business_key}-{n}", "invt_no": None})
            for n in range(500)
        )
        s.commit()
    answer = client.post("/api/v1/consumer/quota", json={**QUERY, "year": 2026})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["buyer"] == "110*************2X"
    assert len(body["lists"]) == 501
    assert {item["consigneePhone"] for item in body["lists"]} == {"139****0000"}
    stranger = client.post("/api/v1/consumer/quota", json={**QUERY, "phone": "13900000001"})
    unknown = client.post("/api/v1/consumer/quota", json={**QUERY, "idNumber": UNKNOWN_ID})
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()


def test_migration_0023_lets_stored_lists_prove_their_buyer(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    engine: Engine,
) -> None:
    client = make_client()
    traffic = Traffic(client, filed)
    traffic.send(1, day="20251111")
    traffic.send(2)
    with db() as s:
        keys = {d.id: d.buyer_proof_key for d in s.scalars(select(Declaration))}
        holders, purged = sorted(keys)
        assert keys[holders] == proof_key(QUERY["idNumber"], QUERY["name"], QUERY["phone"])
        assert keys[purged] == keys[holders]  # the same buyer
        s.execute(
            update(Declaration).where(Declaration.id == purged).values(pii_purged_at=func.now())
        )
        s.commit()
    with before_revision(engine, "0023"), engine.begin() as connection:
        # lists filed before the key existed
        assert connection.execute(text("SELECT count(*) FROM declarations")).scalar() == 2
    with db() as s:
        filled = {d.id: d.buyer_proof_key for d in s.scalars(select(Declaration))}
    assert filled == {holders: keys[holders], purged: ""}  # a purged list proves no one
    answer = client.post("/api/v1/consumer/quota", json={**QUERY, "year": 2025})
    assert answer.status_code == 200, answer.text
