"""The consumer page: tick the lists that are not yours and dispute them, opt in to
identity-use notices; the page never echoes the ID number or the phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.store.models import ConsumerDispute, Declaration, NoticeSubscription
from tests.risk.conftest import BUYER, Traffic

FORM = {"name": "张伟", "idNumber": BUYER, "phone": "13812345678"}


@pytest.fixture
def traffic(make_client: Callable[..., TestClient], filed: dict[str, str]) -> Traffic:
    return Traffic(make_client(), filed)


def test_a_list_is_disputed_and_notices_opted_into_from_the_page(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    client = traffic.client
    client.cookies.set("lang", "en")  # the page in English (Chinese is the default)
    traffic.send(1)
    with db() as s:
        invt_no = s.scalars(select(Declaration.invt_no)).one()
    page = client.post("/consumer", data=FORM)
    assert f'name="lists" value="{invt_no}"' in page.text
    filed = client.post("/consumer/dispute", data={**FORM, "lists": [invt_no]})
    assert filed.status_code == 200
    assert "Dispute 1 filed for 1 list(s)" in filed.text
    assert BUYER not in filed.text
    page = client.post("/consumer", data=FORM)
    assert f'value="{invt_no}" form="dispute"' not in page.text  # shown as disputed instead
    assert "<td>open</td>" in page.text
    none_ticked = client.post("/consumer/dispute", data=FORM)
    assert none_ticked.status_code == 400
    wrong = client.post("/consumer/dispute", data={**FORM, "phone": "1", "lists": [invt_no]})
    assert wrong.status_code == 400  # not even a phone number: refused before any lookup
    stranger = client.post(
        "/consumer/dispute", data={**FORM, "phone": "13900000000", "lists": [invt_no]}
    )
    assert stranger.status_code == 404
    opted = client.post(
        "/consumer/notices", data={**FORM, "channel": "sms", "contact": "13912345678"}
    )
    assert "You will be notified by SMS at 139****5678" in opted.text
    refused = client.post("/consumer/notices", data={**FORM, "channel": "sms", "contact": "12345"})
    assert refused.status_code == 400
    assert "The contact is not a mobile number: give an 11-digit mainland number" in refused.text
    with db() as s:
        assert len(s.scalars(select(ConsumerDispute)).all()) == 1
        assert s.scalars(select(NoticeSubscription.contact)).all() == ["13912345678"]


def test_refusals_are_said_in_the_pages_language(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    """The page is Chinese by default: the self-service's refusals (identity not proved,
    a list not yours or already disputed, a bad contact) were shown in English there."""
    client = traffic.client
    traffic.send(1)
    with db() as s:
        invt_no = s.scalars(select(Declaration.invt_no)).one()
    stranger = client.post("/consumer", data={**FORM, "phone": "13900000000"})
    assert stranger.status_code == 404
    assert "没有与此姓名和手机号一致的清单" in stranger.text
    assert "no list declared" not in stranger.text
    assert BUYER not in stranger.text
    assert client.post("/consumer/dispute", data={**FORM, "lists": [invt_no]}).status_code == 200
    again = client.post("/consumer/dispute", data={**FORM, "lists": [invt_no, "X1"]})
    assert again.status_code == 400
    assert "X1 不是以您的身份申报的清单。" in again.text
    taken = client.post("/consumer/dispute", data={**FORM, "lists": [invt_no]})
    assert taken.status_code == 409
    assert f"{invt_no} 已在申诉中。" in taken.text
    contact = client.post(
        "/consumer/notices", data={**FORM, "channel": "email", "contact": "no-at-sign"}
    )
    assert "联系方式不是电子邮箱地址" in contact.text
    client.cookies.set("lang", "en")
    stranger = client.post("/consumer", data={**FORM, "phone": "13900000000"})
    assert "No list declared under this ID number carries this name and phone" in stranger.text
