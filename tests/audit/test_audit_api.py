"""The audit log over HTTP: read and verified by risk analysts and administrators only,
and never written, edited or deleted by any route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from tests.officers.factories import app_client, audit_triggers_dropped, login, staff


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API with an administrator, a risk analyst and a reviewer, and two decisions on
    record."""
    staff(db, boss=["administrator"], chen_jing=["risk_analyst"], li_wei=["reviewer"])
    with db() as s:
        for key, action in (("I0001", "declaration.review"), ("I0002", "declaration.reject")):
            audit.record(
                s,
                actor_kind="officer",
                actor="li.wei",
                action=action,
                subject_kind="declaration",
                subject_key=key,
                reason="buyer 11010519491231002X over quota",
                details={"buyerIdNumber": "11010519491231002X", "buyerName": "张三丰"},
            )
        s.commit()
    with app_client(engine) as test_client:
        yield test_client


def test_a_risk_analyst_reads_the_log_newest_first_with_personal_data_masked(
    client: TestClient,
) -> None:
    response = client.get(
        "/api/v1/audit", params={"subject": "declaration:I0002"}, headers=login(client, "chen.jing")
    )

    assert response.status_code == 200, response.text
    [entry] = response.json()
    assert entry["action"] == "declaration.reject"
    assert (entry["actorKind"], entry["actor"]) == ("officer", "li.wei")
    assert entry["details"] == {"buyerIdNumber": "110*************2X", "buyerName": "张**"}
    assert entry["reason"] == "buyer 110*************2X over quota"
    assert "11010519491231002X" not in response.text
    assert {"id", "at", "subjectKind", "subjectKey", "prevHash", "hash"} <= set(entry)


def test_filters(client: TestClient) -> None:
    headers = login(client, "boss")

    def actions(**params: object) -> list[str]:
        response = client.get("/api/v1/audit", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [e["action"] for e in response.json()]

    assert actions(actor="li.wei") == ["declaration.reject", "declaration.review"]
    assert actions(action="declaration.review") == ["declaration.review"]
    # The administrator's own login is on record too.
    assert actions(subject="officer:boss") == ["officer.login", "officer.create"]
    assert actions(limit=1) == ["officer.login"]
    assert actions(since="2000-01-01T00:00:00+08:00", actor="li.wei", limit=5) == [
        "declaration.reject",
        "declaration.review",
    ]
    assert actions(since="2999-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    ("params", "path"),
    [({"subject": "I0001"}, "subject"), ({"since": "2026-11-27T08:00:00"}, "since")],
)
def test_bad_filters_are_400_naming_the_parameter(
    client: TestClient, params: dict[str, str], path: str
) -> None:
    response = client.get("/api/v1/audit", params=params, headers=login(client, "boss"))
    assert response.status_code == 400
    assert [f["path"] for f in response.json()["fields"]] == [path]


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_a_reviewer_may_not_read_the_log(client: TestClient, path: str) -> None:
    response = client.get(path, headers=login(client, "li.wei"))

    assert response.status_code == 403
    assert "risk_analyst or administrator" in response.json()["detail"]


def test_without_a_session_the_log_is_closed(client: TestClient) -> None:
    assert client.get("/api/v1/audit").status_code == 401


def test_verify_over_http(client: TestClient, engine: Engine) -> None:
    headers = login(client, "chen.jing")
    intact = client.get("/api/v1/audit/verify", headers=headers).json()
    assert intact["ok"] is True
    assert intact["checked"] >= 6  # 3 officers created, 2 decisions, 1 login

    with audit_triggers_dropped(engine), engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET reason = 'all fine' WHERE action = 'declaration.reject'")
        )

    broken = client.get("/api/v1/audit/verify", headers=headers).json()
    assert broken["ok"] is False
    assert broken["brokenId"] is not None
    assert "altered" in broken["problem"]


def test_no_route_writes_edits_or_deletes_the_log(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    audit_paths = {p: set(item) for p, item in paths.items() if "/audit" in p}

    assert audit_paths == {"/api/v1/audit": {"get"}, "/api/v1/audit/verify": {"get"}}
    for method in ("post", "put", "patch", "delete"):
        assert client.request(method.upper(), "/api/v1/audit").status_code == 405
    assert all(
        op.get("description")
        for item in paths.values()
        for op in item.values()
        if "audit" in op["tags"]
    )
