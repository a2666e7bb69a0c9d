"""Identity-use notices: a consumer opts in with a contact; each new list declared under
their identity records a notice (in intake's transaction), which they read through the
same identity check as the quota query; opting out stops them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.cli import app
from cbec.config import get_settings
from cbec.intake import pipeline
from cbec.store.models import IdentityNotice, NoticeSubscription
from tests.risk.conftest import BUYER, Traffic, resident_id

WHO = {"name": "张伟", "idNumber": BUYER, "phone": "13812345678"}


@pytest.fixture
def traffic(make_client: Callable[..., TestClient], filed: dict[str, str]) -> Traffic:
    return Traffic(make_client(), filed)


def notices(client: TestClient) -> dict[str, object]:
    answer = client.post("/api/v1/consumer/notices", json=WHO)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_an_opted_in_consumer_gets_a_notice_per_new_list(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    client = traffic.client
    traffic.send(1)  # before opting in: no notice
    subscribed = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "sms", "contact": "13912345678"},
    )
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json()["contact"] == "139****5678"
    traffic.send(2)
    traffic.send(3, buyer=resident_id(9))  # someone else's list
    traffic.send(4)
    answer = notices(client)
    assert answer["buyer"] == "110*************2X"
    listed = answer["notices"]
    assert isinstance(listed, list)
    assert [n["orderNo"] for n in listed] == ["T20261111000004", "T20261111000002"]
    assert all(n["invtNo"] and n["status"].startswith("800") for n in listed)
    assert listed[0]["platform"] == "南沙优选跨境平台 (4401960001)"
    with db() as s:
        rows = s.scalars(select(IdentityNotice)).all()
        assert {(r.id_number, r.channel, r.contact, r.status) for r in rows} == {
            (BUYER, "sms", "13912345678", "pending")
        }
    # opting out stops new notices; the old ones stay readable
    out = client.post("/api/v1/consumer/notices/subscription/cancel", json=WHO)
    assert out.json()["active"] is False
    traffic.send(5)
    assert len(notices(client)["notices"]) == 2  # type: ignore[arg-type]


def test_opting_in_needs_the_identity_and_a_real_contact(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    client = traffic.client
    traffic.send(1)
    wrong = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "phone": "13900000000", "channel": "sms", "contact": "13912345678"},
    )
    assert wrong.status_code == 404
    bad_mobile = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "sms", "contact": "12345"},
    )
    assert bad_mobile.status_code == 400
    assert bad_mobile.json()["fields"][0]["path"] == "contact"
    assert bad_mobile.json()["fields"][0]["rule"] == "sms.mobile"
    bad_mail = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "email", "contact": "not-an-address"},
    )
    assert bad_mail.json()["fields"][0]["rule"] == "email.address"
    channel = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "fax", "contact": "13912345678"},
    )
    assert channel.status_code == 422
    assert channel.json()["fields"][0]["path"] == "body/channel"
    read = client.post("/api/v1/consumer/notices", json={**WHO, "phone": "13900000000"})
    assert read.status_code == 404
    mail = client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "email", "contact": "zhang.wei@example.cn"},
    )
    assert mail.json()["contact"] == "z***@example.cn"
    with db() as s:
        assert s.scalars(select(NoticeSubscription.contact)).all() == ["zhang.wei@example.cn"]


def test_a_file_drop_records_notices_too(
    traffic: Traffic,
    db: sessionmaker[Session],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``cbec ingest`` registers the notice recorder with the rest of the pipeline."""
    traffic.send(1)
    traffic.client.post(
        "/api/v1/consumer/notices/subscription",
        json={**WHO, "channel": "sms", "contact": "13912345678"},
    )
    for i, (_sender, data) in enumerate(traffic.messages(2)):
        (tmp_path / f"{i:02d}.xml").write_bytes(data)
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(tmp_path)])
    finally:
        get_settings.cache_clear()
        pipeline.unregister("consumer-notices")
    assert result.exit_code == 0, result.output
    with db() as s:
        assert s.scalars(select(IdentityNotice.order_no)).all() == ["T20261111000002"]
