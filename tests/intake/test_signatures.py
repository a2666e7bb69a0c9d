"""Signed messages at the front door: an enterprise files its key, customs sets its policy,
and intake accepts, warns about or rejects each declared message by its signature."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cbec.errors import ValidationFailed
from cbec.messages import signature
from cbec.messages.signature import SigningKey
from cbec.registry import service as registry
from cbec.registry.schemas import SignatureKeyFiling
from tests.intake.conftest import auth, order

PLATFORM = "4401960001"


@pytest.fixture(scope="module")
def platform_key() -> SigningKey:
    return SigningKey.generate("sm2-sm3", "platform-2026")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _file_key(client: TestClient, token: str, key: SigningKey) -> dict[str, Any]:
    response = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"keyName": key.key_name, "algorithm": key.algorithm, "publicKey": key.public_pem()},
        headers=_bearer(token),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _policy(db: sessionmaker[Session], policy: str) -> None:
    with db() as s:
        registry.set_signature_policy(s, PLATFORM, policy)
        s.commit()


def _send(client: TestClient, token: str, data: bytes) -> Any:
    return client.post("/api/v1/messages", content=data, headers=auth(token))


def test_enterprise_files_its_key_and_signed_order_is_accepted_under_enforce(
    client: TestClient,
    filed: dict[str, str],
    db: sessionmaker[Session],
    platform_key: SigningKey,
) -> None:
    out = _file_key(client, filed[PLATFORM], platform_key)
    assert out["fingerprint"] == signature.fingerprint(platform_key.public_pem())
    _policy(db, "enforce")
    response = _send(client, filed[PLATFORM], signature.sign(order(), platform_key))
    assert response.status_code == 200, response.text
    assert response.json()["returnStatus"] == 120


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("unsigned", "signature.missing"),
        ("tampered", "signature.digest"),
        ("other key", "signature.key"),
        ("forged", "signature.invalid"),
    ],
)
def test_enforced_failures_are_rejected_naming_the_rule(
    client: TestClient,
    filed: dict[str, str],
    db: sessionmaker[Session],
    platform_key: SigningKey,
    case: str,
    rule: str,
) -> None:
    _file_key(client, filed[PLATFORM], platform_key)
    _policy(db, "enforce")
    if case == "unsigned":
        data = order()
    elif case == "tampered":
        data = signature.sign(order(), platform_key).replace(b">398.00<", b">39.80<", 1)
    elif case == "other key":
        data = signature.sign(order(), SigningKey.generate("sm2-sm3", "not-filed"))
    else:  # a key of the same name, not the filed one
        data = signature.sign(order(), SigningKey.generate("sm2-sm3", platform_key.key_name))
    response = _send(client, filed[PLATFORM], data)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["accepted"] is False
    assert body["returnStatus"] == 100
    assert body["fields"][0]["rule"] == rule
    assert body["fields"][0]["path"] == "CEB311Message/Signature"
    assert rule in body["returnInfo"]


def test_warn_accepts_and_says_why_in_the_receipt(
    client: TestClient,
    filed: dict[str, str],
    db: sessionmaker[Session],
    platform_key: SigningKey,
) -> None:
    _file_key(client, filed[PLATFORM], platform_key)
    _policy(db, "warn")
    response = _send(client, filed[PLATFORM], order())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] is True
    assert "signature warning [signature.missing]" in body["returnInfo"]


def test_off_checks_nothing_and_saved_messages_need_no_signature(
    client: TestClient, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    assert _send(client, filed[PLATFORM], order()).status_code == 200
    _policy(db, "enforce")
    saved = order(guid="5CDE1CFD-EDED-46B1-946C-B8022E42FC95", appStatus="1", orderNo="T2")
    response = _send(client, filed[PLATFORM], saved)
    assert response.status_code == 200, response.text


def test_revoked_key_no_longer_verifies(
    client: TestClient,
    filed: dict[str, str],
    db: sessionmaker[Session],
    platform_key: SigningKey,
) -> None:
    _file_key(client, filed[PLATFORM], platform_key)
    _policy(db, "enforce")
    revoked = client.delete(
        f"/api/v1/enterprises/me/signature-keys/{platform_key.key_name}",
        headers=_bearer(filed[PLATFORM]),
    )
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    response = _send(client, filed[PLATFORM], signature.sign(order(), platform_key))
    assert response.status_code == 403
    assert response.json()["fields"][0]["rule"] == "signature.key"


def test_bad_key_filings_name_the_field(client: TestClient, filed: dict[str, str]) -> None:
    headers = _bearer(filed[PLATFORM])
    rsa = SigningKey.generate("rsa-sha256", "r")
    response = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"algorithm": "sm2-sm3", "publicKey": rsa.public_pem()},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["path"] == "publicKey"
    response = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"algorithm": "dsa", "publicKey": rsa.public_pem()},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["path"] == "algorithm"
    # the same name for another key is a conflict; the same key again changes nothing
    first = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"keyName": "k1", "algorithm": "rsa-sha256", "publicKey": rsa.public_pem()},
        headers=headers,
    )
    again = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"keyName": "k1", "algorithm": "rsa-sha256", "publicKey": rsa.public_pem()},
        headers=headers,
    )
    assert first.status_code == again.status_code == 201
    other = SigningKey.generate("rsa-sha256", "k1")
    clash = client.post(
        "/api/v1/enterprises/me/signature-keys",
        json={"keyName": "k1", "algorithm": "rsa-sha256", "publicKey": other.public_pem()},
        headers=headers,
    )
    assert clash.status_code == 409
    listed = client.get("/api/v1/enterprises/me/signature-keys", headers=headers).json()
    assert [k["keyName"] for k in listed] == ["k1"]


def _registry_entry(keys: list[dict[str, str]]) -> dict[str, Any]:
    from stdnum.cn import uscc

    base = "91440101MA5C00009"
    return {
        "customsCode": "4401960009",
        "uscc": base + uscc.calc_check_digit(base),
        "name": "签名测试企业",
        "roles": ["ecommerce"],
        "signaturePolicy": "enforce",
        "signatureKeys": keys,
    }


def test_registry_import_files_keys_and_policy(db: sessionmaker[Session]) -> None:
    key = SigningKey.generate("ecdsa-sha256", "ebc-1")
    filing = {"keyName": key.key_name, "algorithm": key.algorithm, "publicKey": key.public_pem()}
    document = {"format": "cbec-registry/1", "enterprises": [_registry_entry([filing])]}
    with db() as s:
        registry.import_registry(s, document)
        s.commit()
    with db() as s:
        assert registry.get_by_code(s, "4401960009").signature_policy == "enforce"
        keys = registry.list_signature_keys(s, "4401960009")
        assert [(k.key_name, k.algorithm) for k in keys] == [("ebc-1", "ecdsa-sha256")]
        # importing the same document again changes nothing
        summary = registry.import_registry(s, document)
        assert summary.unchanged == ["4401960009"]
    bad_key = {"algorithm": "rsa-sha256", "publicKey": "x"}
    bad = {"format": "cbec-registry/1", "enterprises": [_registry_entry([bad_key])]}
    with db() as s, pytest.raises(ValidationFailed) as caught:
        registry.import_registry(s, bad)
    assert caught.value.fields[0].path == "enterprises[0].signatureKeys[0].publicKey"


def test_key_filing_service_refuses_revoked_enterprise(db: sessionmaker[Session]) -> None:
    key = SigningKey.generate("rsa-sha256", "r")
    with db() as s:
        from cbec.errors import NotFound

        with pytest.raises(NotFound):
            registry.file_signature_key(
                s,
                "4401969999",
                SignatureKeyFiling(algorithm="rsa-sha256", public_key=key.public_pem()),
            )
