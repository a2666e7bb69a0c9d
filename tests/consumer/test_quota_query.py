"""The public quota query cannot be used to find out whose ID numbers have lists, nor to
guess a person's phone by trying many: one answer for "no such lists" and "wrong name or
phone", and rate limits per caller and per ID number (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.clearance.test_clearance_flow import all_four, send
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
