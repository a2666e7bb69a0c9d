"""The registry over HTTP: the administrator files and manages, an enterprise reads its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.config import Settings
from tests.registry.factories import EBC_CODE, PAY_CODE, PLATFORM_CODE, bad_checksum, valid_uscc

ADMIN = {"Authorization": "Bearer t"}


def _app_client(engine: Engine, admin_token: str | None) -> TestClient:
    settings = Settings(database_url=str(engine.url), admin_token=admin_token)
    return TestClient(create_app(settings, engine=engine, migrate=False))


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API on the empty test store, administered with token ``t``."""
    with _app_client(engine, "t") as test_client:
        yield test_client


def key(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(code: str = PLATFORM_CODE, n: int = 1, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customsCode": code,
        "uscc": valid_uscc(n),
        "name": "南沙优选跨境平台",
        "roles": ["platform", "ecommerce"],
        "filingDate": "2024-03-01",
    }
    data.update(fields)
    return data


def file(client: TestClient, code: str = PLATFORM_CODE, n: int = 1, **fields: Any) -> Any:
    response = client.post("/api/v1/enterprises", json=body(code, n, **fields), headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def test_filing_answers_the_enterprise_and_a_key_that_works(client: TestClient) -> None:
    filed = file(client)

    assert filed["customsCode"] == PLATFORM_CODE
    assert filed["uscc"] == valid_uscc(1)
    assert filed["roles"] == ["ecommerce", "platform"]
    assert filed["status"] == "active"
    assert filed["statusReason"] is None
    assert filed["filingDate"] == "2024-03-01"
    assert {"createdAt", "updatedAt", "keyId"} <= set(filed)
    me = client.get("/api/v1/enterprises/me", headers=key(filed["apiKey"]))
    assert me.status_code == 200
    assert me.json()["customsCode"] == PLATFORM_CODE
    assert "apiKey" not in me.json()


def test_filing_is_committed(client: TestClient, db: sessionmaker[Session]) -> None:
    file(client)
    shown = client.get(f"/api/v1/enterprises/{PLATFORM_CODE}", headers=ADMIN)
    assert shown.status_code == 200
    assert shown.json()["name"] == "南沙优选跨境平台"


@pytest.mark.parametrize(
    ("fields", "path", "rule"),
    [
        ({"uscc": bad_checksum(valid_uscc(1))}, "uscc", "stdnum.cn.uscc"),
        ({"customsCode": "44019600"}, "customsCode", "length=10"),
        ({"roles": ["platform", "shop"]}, "roles[1]", "enumeration="),
        ({"roles": []}, "roles", "minOccurs=1"),
    ],
)
def test_bad_filing_is_400_naming_field_and_rule(
    client: TestClient, fields: dict[str, Any], path: str, rule: str
) -> None:
    response = client.post("/api/v1/enterprises", json=body(**fields), headers=ADMIN)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "validation_failed"
    [problem] = answer["fields"]
    assert problem["path"] == path
    assert problem["rule"].startswith(rule)
    assert client.get("/api/v1/enterprises", headers=ADMIN).json() == []


def test_duplicate_code_and_uscc_are_409(client: TestClient) -> None:
    file(client, PLATFORM_CODE, 1)
    same_code = client.post("/api/v1/enterprises", json=body(PLATFORM_CODE, 2), headers=ADMIN)
    same_uscc = client.post("/api/v1/enterprises", json=body(EBC_CODE, 1), headers=ADMIN)
    assert same_code.status_code == 409
    assert same_code.json()["fields"][0]["path"] == "customsCode"
    assert same_uscc.status_code == 409
    assert same_uscc.json()["fields"][0]["path"] == "uscc"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/enterprises"),
        ("GET", "/api/v1/enterprises"),
        ("GET", f"/api/v1/enterprises/{PLATFORM_CODE}"),
        ("PATCH", f"/api/v1/enterprises/{PLATFORM_CODE}"),
        ("POST", f"/api/v1/enterprises/{PLATFORM_CODE}/suspend"),
        ("POST", f"/api/v1/enterprises/{PLATFORM_CODE}/reinstate"),
        ("POST", f"/api/v1/enterprises/{PLATFORM_CODE}/revoke"),
        ("GET", f"/api/v1/enterprises/{PLATFORM_CODE}/keys"),
        ("POST", f"/api/v1/enterprises/{PLATFORM_CODE}/keys"),
        ("DELETE", f"/api/v1/enterprises/{PLATFORM_CODE}/keys/abc"),
    ],
)
def test_admin_routes_refuse_without_the_admin_token(
    client: TestClient, method: str, path: str
) -> None:
    filed = file(client)
    for headers in ({}, {"Authorization": "Bearer wrong"}, key(filed["apiKey"])):
        response = client.request(method, path, headers=headers, json=body())
        assert response.status_code == 403, (headers, response.text)
        assert "administrator token" in response.json()["detail"]


def test_without_a_configured_admin_token_administration_is_off(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    with _app_client(engine, None) as client:
        response = client.post("/api/v1/enterprises", json=body(), headers=ADMIN)
    assert response.status_code == 403
    assert "CBEC_ADMIN_TOKEN" in response.json()["detail"]


def test_me_needs_an_enterprise_key(client: TestClient) -> None:
    assert client.get("/api/v1/enterprises/me").status_code == 401
    assert client.get("/api/v1/enterprises/me", headers=ADMIN).status_code == 401


def test_amend_then_revoked_enterprise_cannot_be_amended(client: TestClient) -> None:
    file(client)
    amended = client.patch(
        f"/api/v1/enterprises/{PLATFORM_CODE}",
        json={"name": "新名称", "roles": ["platform"]},
        headers=ADMIN,
    )
    assert amended.status_code == 200
    assert (amended.json()["name"], amended.json()["roles"]) == ("新名称", ["platform"])

    revoked = client.post(
        f"/api/v1/enterprises/{PLATFORM_CODE}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert revoked.status_code == 200
    again = client.patch(f"/api/v1/enterprises/{PLATFORM_CODE}", json={"name": "x"}, headers=ADMIN)
    assert again.status_code == 409
    reinstated = client.post(f"/api/v1/enterprises/{PLATFORM_CODE}/reinstate", headers=ADMIN)
    assert reinstated.status_code == 409
    assert "final" in reinstated.json()["detail"]


def test_suspension_and_reinstatement_are_visible_to_the_enterprise(client: TestClient) -> None:
    filed = file(client)
    suspended = client.post(
        f"/api/v1/enterprises/{PLATFORM_CODE}/suspend",
        json={"reason": "unpaid tax bills"},
        headers=ADMIN,
    )
    assert suspended.status_code == 200

    me = client.get("/api/v1/enterprises/me", headers=key(filed["apiKey"])).json()
    assert (me["status"], me["statusReason"]) == ("suspended", "unpaid tax bills")

    reinstated = client.post(f"/api/v1/enterprises/{PLATFORM_CODE}/reinstate", headers=ADMIN)
    assert reinstated.status_code == 200
    me = client.get("/api/v1/enterprises/me", headers=key(filed["apiKey"])).json()
    assert me["status"] == "active"


def test_suspend_needs_a_reason(client: TestClient) -> None:
    file(client)
    response = client.post(f"/api/v1/enterprises/{PLATFORM_CODE}/suspend", headers=ADMIN)
    assert response.status_code == 422


def test_revoked_enterprise_key_is_refused(client: TestClient) -> None:
    filed = file(client)
    client.post(
        f"/api/v1/enterprises/{PLATFORM_CODE}/revoke", json={"reason": "fraud"}, headers=ADMIN
    )
    assert client.get("/api/v1/enterprises/me", headers=key(filed["apiKey"])).status_code == 401


def test_new_key_works_and_revoked_key_is_refused(client: TestClient) -> None:
    filed = file(client)
    issued = client.post(f"/api/v1/enterprises/{PLATFORM_CODE}/keys", headers=ADMIN)
    assert issued.status_code == 201
    new = issued.json()
    assert new["customsCode"] == PLATFORM_CODE
    assert client.get("/api/v1/enterprises/me", headers=key(new["apiKey"])).status_code == 200

    revoked = client.delete(
        f"/api/v1/enterprises/{PLATFORM_CODE}/keys/{filed['keyId']}", headers=ADMIN
    )
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    assert client.get("/api/v1/enterprises/me", headers=key(filed["apiKey"])).status_code == 401
    assert client.get("/api/v1/enterprises/me", headers=key(new["apiKey"])).status_code == 200

    keys = client.get(f"/api/v1/enterprises/{PLATFORM_CODE}/keys", headers=ADMIN).json()
    assert {k["keyId"]: k["revokedAt"] is None for k in keys} == {
        filed["keyId"]: False,
        new["keyId"]: True,
    }
    assert all("apiKey" not in k for k in keys)


def test_list_filters_by_role_and_status(client: TestClient) -> None:
    file(client, PLATFORM_CODE, 1, roles=["platform", "ecommerce"])
    file(client, EBC_CODE, 2, roles=["ecommerce"])
    file(client, PAY_CODE, 3, roles=["payment"])
    client.post(f"/api/v1/enterprises/{EBC_CODE}/suspend", json={"reason": "audit"}, headers=ADMIN)

    def codes(query: str) -> list[str]:
        response = client.get(f"/api/v1/enterprises{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [e["customsCode"] for e in response.json()]

    assert codes("") == [PLATFORM_CODE, EBC_CODE, PAY_CODE]
    assert codes("?role=ecommerce") == [PLATFORM_CODE, EBC_CODE]
    assert codes("?status=suspended") == [EBC_CODE]
    assert codes("?role=ecommerce&status=active") == [PLATFORM_CODE]
    assert client.get("/api/v1/enterprises?role=bank", headers=ADMIN).status_code == 422


def test_unknown_enterprise_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/enterprises/4401969999", headers=ADMIN)
    assert response.status_code == 404
    assert "4401969999" in response.json()["detail"]


def test_every_registry_route_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    operations = [
        op
        for path, item in paths.items()
        if path.startswith("/api/v1/enterprises")
        for op in item.values()
    ]
    assert len(operations) == 18
    assert all(op.get("description") for op in operations)


def test_administrator_sets_signature_policy_and_files_keys(client: TestClient) -> None:
    from cbec.messages.signature import SigningKey

    file(client, PLATFORM_CODE, 1)
    bad = client.put(
        f"/api/v1/enterprises/{PLATFORM_CODE}/signature-policy",
        json={"policy": "sometimes"},
        headers=ADMIN,
    )
    assert bad.status_code == 400
    assert bad.json()["fields"][0]["path"] == "policy"
    good = client.put(
        f"/api/v1/enterprises/{PLATFORM_CODE}/signature-policy",
        json={"policy": "warn"},
        headers=ADMIN,
    )
    assert good.status_code == 200
    assert good.json()["signaturePolicy"] == "warn"
    key = SigningKey.generate("rsa-sha256", "cert-01")
    filed_key = client.post(
        f"/api/v1/enterprises/{PLATFORM_CODE}/signature-keys",
        json={"keyName": "cert-01", "algorithm": "rsa-sha256", "publicKey": key.public_pem()},
        headers=ADMIN,
    )
    assert filed_key.status_code == 201
    assert "publicKey" not in filed_key.json()
    listed = client.get(f"/api/v1/enterprises/{PLATFORM_CODE}/signature-keys", headers=ADMIN)
    assert [k["keyName"] for k in listed.json()] == ["cert-01"]
    # without the administrator token: refused
    assert client.get(f"/api/v1/enterprises/{PLATFORM_CODE}/signature-keys").status_code in (
        401,
        403,
    )
