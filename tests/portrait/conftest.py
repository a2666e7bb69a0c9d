"""Clearance fixtures (catalogue, client), officers, and complete sets of documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from cbec.clearance.decision import draw
from tests.clearance.conftest import make_client, seeded  # noqa: F401 - fixtures
from tests.intake.conftest import auth, inventory, order, payment, waybill
from tests.officers.factories import use_cheap_hasher

PLATFORM, SELLER, PAY, LOGISTICS, AGENT = (
    "4401960001",
    "4401960002",
    "4401960003",
    "4401960004",
    "4401960005",
)
SEED = 7


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


def the_set(n: int, app_time: str | None = None) -> list[tuple[str, bytes]]:
    """Order, payment, waybill and list number ``n`` (the sample documents, renumbered),
    the list sent at ``app_time`` (yyyyMMddHHmmss, Beijing time) if given."""
    order_no, waybill_no = f"T2026111100{n:04d}", f"YT20261111{n:08d}"
    cop_no, pay = f"COP20261111{n:05d}", f"P20261111{n:08d}"
    return [
        (PLATFORM, order(guid=str(uuid.uuid4()).upper(), orderNo=order_no, payTransactionId=pay)),
        (PAY, payment(orderNo=order_no, payTransactionId=pay)),
        (LOGISTICS, waybill(orderNo=order_no, logisticsNo=waybill_no)),
        (
            AGENT,
            inventory(
                orderNo=order_no,
                logisticsNo=waybill_no,
                copNo=cop_no,
                **({"appTime": app_time} if app_time else {}),
            ),
        ),
    ]


def list_key(n: int) -> str:
    return f"{AGENT}|COP20261111{n:05d}"


def numbers_drawn(low: float, high: float, count: int, start: int = 1) -> list[int]:
    """``count`` set numbers whose inspection draw (seed :data:`SEED`) is in [low, high)."""
    found = []
    n = start
    while len(found) < count:
        if low <= draw(SEED, list_key(n), "inspection") < high:
            found.append(n)
        n += 1
    return found


def send(client: TestClient, tokens: dict[str, str], n: int, app_time: str | None = None) -> None:
    for sender, data in the_set(n, app_time):
        response = client.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
        assert response.status_code == 200, response.text


#: the goods of the sample list (tests/fixtures/xml/ceb621_inventory.xml), as filed
SAMPLE_ITEM = {
    "itemNo": "SKU-001",
    "goodsName": "婴儿配方奶粉",
    "hsCode": "1901101010",
    "brand": "无品牌",
    "spec": "900g/罐|1段|0-6月龄",
}


def key(token: str) -> dict[str, str]:
    """An enterprise's API key for a JSON request."""
    return {"Authorization": f"Bearer {token}"}


def file_catalogue(client: TestClient, tokens: dict[str, str], *items: dict[str, str]) -> None:
    """The platform files ``items`` (default: the sample list's goods) in its catalogue."""
    response = client.post(
        "/api/v1/catalogue/items",
        json={"items": list(items or [SAMPLE_ITEM])},
        headers=key(tokens[PLATFORM]),
    )
    assert response.status_code == 201, response.text


Client = Callable[..., TestClient]
