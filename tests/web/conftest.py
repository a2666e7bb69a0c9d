"""The web pages on the test store: a seeded catalogue, filed enterprises, officers signed
in through the login form, and complete sets of messages numbered so that each is a new
list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from tests.intake.conftest import auth, inventory, order, payment, waybill
from tests.officers.factories import PASSWORD, staff, use_cheap_hasher

PLATFORM, EBC, PAY, LOGISTICS, AGENT = (
    "4401960001",
    "4401960002",
    "4401960003",
    "4401960004",
    "4401960005",
)
BUYER_ID = "11010519491231002X"
BUYER_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


@pytest.fixture
def seeded(db: sessionmaker[Session]) -> None:
    with db() as s:
        catalog_service.seed(s)
        s.commit()


@pytest.fixture
def web(
    engine: Engine, db: sessionmaker[Session], seeded: None, filed: dict[str, str]
) -> Iterator[Callable[..., TestClient]]:
    """``web(review_rate=1)``: the app with those sampling rates (none by default), its
    monitoring screen recomputed at every look."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        defaults: dict[str, Any] = {"review_rate": 0.0, "inspection_rate": 0.0}
        config = Settings(database_url=str(engine.url), **{**defaults, **settings})
        app = create_app(config, engine=engine, migrate=False)
        app.state.web_monitor.interval = 0.0
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def officers(db: sessionmaker[Session]) -> None:
    """A reviewer, an inspector and an analyst (who may look but not decide)."""
    staff(db, rev=["reviewer"], insp=["inspector"], ana=["risk_analyst"])


def sign_in(client: TestClient, username: str) -> None:
    """Sign in through the login form; the client keeps the session cookie."""
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/workbench"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/workbench"


def a_set(n: int, **changes: dict[str, str]) -> list[tuple[str, bytes]]:
    """Order, payment, waybill and list number ``n`` (the sample set, renumbered), each
    with the head changes given under its kind."""
    order_no = f"T2026111100{n:04d}"
    waybill_no = f"YT20261111{n:08d}"
    common = {"orderNo": order_no}
    return [
        (
            PLATFORM,
            order(
                guid=f"4CDE1CFD-EDED-46B1-946C-B8022E42{n:04d}",
                **{**common, "payTransactionId": f"P20261111{n:08d}", **changes.get("order", {})},
            ),
        ),
        (
            PAY,
            payment(
                **{**common, "payTransactionId": f"P20261111{n:08d}", **changes.get("payment", {})}
            ),
        ),
        (
            LOGISTICS,
            waybill(**{**common, "logisticsNo": waybill_no, **changes.get("waybill", {})}),
        ),
        (
            AGENT,
            inventory(
                **{
                    **common,
                    "logisticsNo": waybill_no,
                    "copNo": f"COP20261111{n:05d}",
                    **changes.get("inventory", {}),
                }
            ),
        ),
    ]


def send(client: Any, tokens: dict[str, str], messages: list[tuple[str, bytes]]) -> None:
    """POST each message as its sender (a TestClient or an httpx client on a live server)."""
    for sender, data in messages:
        response = client.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
        assert response.status_code == 200, response.text
