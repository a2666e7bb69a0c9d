"""Bonded entries and 1210 lists for the warehouse tests, a zone operator filed beside the
sample enterprises, and officers at the shelf."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from cbec.messages import codec
from cbec.messages.models import CEB621Message, CEB711Message
from cbec.registry.credentials import issue_key
from cbec.store.models import Enterprise, EnterpriseRole
from tests.conftest import sample_uscc
from tests.intake.conftest import auth, inventory, order, payment, waybill
from tests.officers.factories import login, staff, use_cheap_hasher

PLATFORM, EBC, PAY, LOGISTICS, AGENT, AREA = (
    "4401960001",
    "4401960002",
    "4401960003",
    "4401960004",
    "4401960005",
    "4401960006",
)
EMS = "T5141W000012"
MILK, MILK_BAR = "T5141W000012-0001", "6901234567892"
SERUM, SERUM_BAR = "T5141W000012-0002", "6901234567908"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


@pytest.fixture
def tokens(filed: dict[str, str], db: sessionmaker[Session]) -> dict[str, str]:
    """The sample enterprises, a bonded-zone operator, and the catalogue."""
    with db() as s:
        area = Enterprise(
            customs_code=AREA,
            uscc=sample_uscc(60),
            name="广州南沙保税仓储有限公司",
            status="active",
            filing_date=date(2024, 3, 1),
            roles=[EnterpriseRole(role="area")],
        )
        s.add(area)
        s.flush()
        token = issue_key(s, area).token
        catalog_service.seed(s)
        s.commit()
    return {**filed, AREA: token}


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    settings = Settings(database_url=str(engine.url), review_rate=0.0, inspection_rate=0.0)
    with TestClient(create_app(settings, engine=engine, migrate=False)) as test_client:
        yield test_client


@pytest.fixture
def officer(client: TestClient, db: sessionmaker[Session]) -> dict[str, str]:
    """Headers of an inspector who is also a risk analyst (counts and instructions)."""
    staff(db, wang_fang=["inspector", "risk_analyst"])
    return login(client, "wang.fang")


def entry(
    entry_no: str,
    lines: list[tuple[str, str, str | None]],
    *,
    app_type: str = "1",
    ems_no: str = EMS,
    area: str = AREA,
    entry_time: str = "20261101080000",
    gcode: str = "1901101010",
) -> bytes:
    """A CEB711 entry: ``lines`` of (itemRecordNo, qty, barCode)."""
    guid = f"CEB711-{entry_no}-{app_type}"
    data: dict[str, Any] = {
        "guid": guid,
        "bondedEntry": {
            "bondedEntryHead": {
                "guid": guid,
                "appType": app_type,
                "appTime": "20261101090000",
                "appStatus": "2",
                "customsCode": "5141",
                "entryNo": entry_no,
                "emsNo": ems_no,
                "areaCode": area,
                "areaName": "广州南沙保税仓储有限公司",
                "ebcCode": EBC,
                "ebcName": "广州环球优品贸易有限公司",
                "entryTime": entry_time,
                "declNo": "514120261000000001",
            },
            "bondedEntryList": [
                {
                    "gnum": str(n),
                    "itemRecordNo": item,
                    "gcode": gcode,
                    "gname": "婴儿配方奶粉" if item == MILK else "保湿精华液",
                    "gmodel": "900g/罐",
                    "barCode": bar,
                    "country": "305",
                    "qty": qty,
                    "unit": "011",
                }
                for n, (item, qty, bar) in enumerate(lines, start=1)
            ],
        },
        "baseTransfer": {
            "copCode": area,
            "copName": "zone",
            "dxpMode": "DXP",
            "dxpId": "DXPENT0000012350",
        },
    }
    return codec.to_xml(CEB711Message.model_validate(data))


def bonded_set(n: int, item: str = MILK) -> list[tuple[str, bytes]]:
    """The four documents of order ``n``: a 1210 list of 2 units of ``item``."""
    order_no = f"T2026111100{n:04d}"
    waybill_no = f"YT20261111{n:08d}"
    listed = codec.from_xml(
        inventory(
            orderNo=order_no,
            logisticsNo=waybill_no,
            copNo=f"COP20261111{n:05d}",
            guid=f"C2B1A098-7F6E-4D5C-8B4A-3928170{n:05d}",
            tradeMode="1210",
            emsNo=EMS,
            areaCode=AREA,
            areaName="广州南沙保税仓储有限公司",
        )
    )
    assert isinstance(listed, CEB621Message)
    listed.inventory.inventoryList[0].itemRecordNo = item
    return [
        (
            PLATFORM,
            order(
                guid=f"4CDE1CFD-EDED-46B1-946C-B8022E4{n:05d}",
                orderNo=order_no,
                payTransactionId=f"P20261111{n:08d}",
            ),
        ),
        (PAY, payment(orderNo=order_no, payTransactionId=f"P20261111{n:08d}")),
        (LOGISTICS, waybill(orderNo=order_no, logisticsNo=waybill_no)),
        (AGENT, codec.to_xml(listed)),
    ]


Send = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def send(client: TestClient, tokens: dict[str, str]) -> Send:
    """``send((sender, bytes), ...)``: post each message, return the answers."""

    def post(*messages: tuple[str, bytes]) -> list[dict[str, Any]]:
        out = []
        for sender, data in messages:
            response = client.post("/api/v1/messages", content=data, headers=auth(tokens[sender]))
            assert response.status_code == 200, response.text
            out.append(response.json())
        return out

    return post
