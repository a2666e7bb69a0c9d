"""Officers over HTTP: logging in and out, and what each role may do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from tests.officers.factories import PASSWORD, app_client, bearer, login, staff


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API on the test store, with an administrator ``boss`` and a reviewer ``li.wei``."""
    staff(db, boss=["administrator"], li_wei=["reviewer"])
    with app_client(engine) as test_client:
        yield test_client


def new_officer(**fields: object) -> dict[str, object]:
    return {
        "username": "zhang.min",
        "name": "张敏",
        "roles": ["inspector"],
        "password": "first passphrase",
    } | fields


def test_login_answers_a_token_that_signs_requests(client: TestClient) -> None:
    response = client.post(
        "/api/v1/officers/login", json={"username": "li.wei", "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith(f"cbo_{body['tokenId']}_")
    assert body["officer"] == {
        "username": "li.wei",
        "name": "李伟",
        "roles": ["reviewer"],
        "active": True,
        "createdAt": body["officer"]["createdAt"],
    }
    me = client.get("/api/v1/officers/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "li.wei"
    assert "passwordHash" not in me.json()


def test_a_wrong_password_is_401(client: TestClient) -> None:
    response = client.post(
        "/api/v1/officers/login", json={"username": "li.wei", "password": "not it at all"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "detail": "wrong username or password"}


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("cbo_0123456789abcdef_nope"), bearer("garbage"), {"Authorization": "Basic eDp5"}],
)
def test_no_valid_session_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/api/v1/officers/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_an_expired_session_is_401(engine: Engine, db: sessionmaker[Session]) -> None:
    staff(db, li_wei=["reviewer"], boss=["administrator"])
    with app_client(engine, officer_session_hours=0) as client:
        headers = login(client, "li.wei")
        assert client.get("/api/v1/officers/me", headers=headers).status_code == 401


def test_after_logout_the_token_is_refused(client: TestClient) -> None:
    headers = login(client, "li.wei")

    assert client.post("/api/v1/officers/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/officers/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/officers", new_officer()),
        ("GET", "/api/v1/officers", None),
        ("POST", "/api/v1/officers/boss/deactivate", None),
        ("PUT", "/api/v1/officers/boss/roles", {"roles": ["reviewer"]}),
    ],
)
def test_a_reviewer_cannot_administer_403_names_the_role(
    client: TestClient, method: str, path: str, body: object
) -> None:
    headers = login(client, "li.wei")

    response = client.request(method, path, json=body, headers=headers)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "administrator" in response.json()["detail"]
    assert "'li.wei' holds reviewer" in response.json()["detail"]


def test_administration_routes_without_a_session_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/officers").status_code == 401


def test_an_administrator_opens_an_account_and_it_is_audited(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    admin = login(client, "boss")

    response = client.post("/api/v1/officers", json=new_officer(), headers=admin)

    assert response.status_code == 201, response.text
    assert response.json()["roles"] == ["inspector"]
    assert login(client, "zhang.min", "first passphrase")
    listed = client.get("/api/v1/officers", headers=admin).json()
    assert [o["username"] for o in listed] == ["boss", "li.wei", "zhang.min"]
    with db() as s:
        created = audit.history(s, "officer", "zhang.min")[0]
    assert (created.action, created.actor_kind, created.actor) == (
        "officer.create",
        "officer",
        "boss",
    )


@pytest.mark.parametrize(
    ("fields", "path", "status"),
    [
        ({"roles": ["chief"]}, "roles[0]", 400),
        ({"password": "short"}, "password", 400),
        ({"username": "Zhang Min"}, "username", 400),
        ({"username": "li.wei"}, "username", 409),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    client: TestClient, fields: dict[str, object], path: str, status: int
) -> None:
    response = client.post(
        "/api/v1/officers", json=new_officer(**fields), headers=login(client, "boss")
    )
    assert response.status_code == status
    assert [f["path"] for f in response.json()["fields"]] == [path]


def test_roles_change_takes_effect_on_the_next_request(client: TestClient) -> None:
    admin, reviewer = login(client, "boss"), login(client, "li.wei")

    response = client.put(
        "/api/v1/officers/li.wei/roles", json={"roles": ["administrator"]}, headers=admin
    )

    assert response.status_code == 200
    assert response.json()["roles"] == ["administrator"]
    assert client.get("/api/v1/officers", headers=reviewer).status_code == 200


def test_a_deactivated_officer_is_shut_out(client: TestClient) -> None:
    admin, reviewer = login(client, "boss"), login(client, "li.wei")

    response = client.post(
        "/api/v1/officers/li.wei/deactivate", json={"reason": "transferred"}, headers=admin
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert client.get("/api/v1/officers/me", headers=reviewer).status_code == 401
    refused = client.post(
        "/api/v1/officers/login", json={"username": "li.wei", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert "deactivated" in refused.json()["detail"]


def test_the_last_administrator_cannot_deactivate_themselves(client: TestClient) -> None:
    response = client.post("/api/v1/officers/boss/deactivate", headers=login(client, "boss"))
    assert response.status_code == 409
    assert response.json()["fields"][0]["rule"] == "last-active-administrator"


def test_unknown_officer_is_404(client: TestClient) -> None:
    response = client.put(
        "/api/v1/officers/nobody/roles", json={"roles": ["reviewer"]}, headers=login(client, "boss")
    )
    assert response.status_code == 404


def test_an_officer_changes_their_own_password(client: TestClient) -> None:
    mine, elsewhere = login(client, "li.wei"), login(client, "li.wei")
    change = {"currentPassword": PASSWORD, "newPassword": "another passphrase"}

    wrong = client.put(
        "/api/v1/officers/me/password",
        json=change | {"currentPassword": "not my password"},
        headers=mine,
    )
    assert wrong.status_code == 401
    assert client.put("/api/v1/officers/me/password", json=change, headers=mine).status_code == 204

    assert client.get("/api/v1/officers/me", headers=mine).status_code == 200
    assert client.get("/api/v1/officers/me", headers=elsewhere).status_code == 401
    assert login(client, "li.wei", "another passphrase")


def test_every_officer_route_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    officer_ops = [
        op
        for path, item in paths.items()
        if path.startswith("/api/v1/officers")
        for op in item.values()
    ]
    assert len(officer_ops) == 8
    assert all(op.get("description") for op in officer_ops)
