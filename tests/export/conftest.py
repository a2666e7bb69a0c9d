"""Export orders, lists and summary applications for the export tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.config import Settings
from cbec.messages import codec
from cbec.messages.models import (
    CEB303Message,
    CEB505Message,
    CEB507Message,
    CEB509Message,
    CEB603Message,
    CEB701Message,
)
from tests.intake.conftest import auth
from tests.officers.factories import use_cheap_hasher

PLATFORM, EBC, AGENT = "4401960001", "4401960002", "4401960005"
CARRIER, OPERATOR = "4401960004", "4401960006"
TRANSFER = {"copName": "sender", "dxpMode": "DXP", "dxpId": "DXPENT0000012345"}
#: (gnum, HS code, goods name, qty, unit price)
Line = tuple[int, str, str, str, str]
SHIRTS: list[Line] = [(1, "6109100021", "棉制针织T恤", "3", "40.00")]


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


def export_order(n: int, lines: list[Line] = SHIRTS, **head: Any) -> bytes:
    guid = f"CEB303-{n:06d}"
    total = sum(int(q) * float(p) for _, _, _, q, p in lines)
    data = {
        "guid": guid,
        "order": {
            "orderHead": {
                "guid": guid,
                "appType": "1",
                "appTime": "20261015100000",
                "appStatus": "2",
                "orderType": "E",
                "orderNo": f"EX2026{n:08d}",
                "ebpCode": PLATFORM,
                "ebpName": "南沙优选跨境平台",
                "ebcCode": EBC,
                "ebcName": "广州环球优品贸易有限公司",
                "goodsValue": f"{total:.2f}",
                "freight": "0",
                "currency": "142",
                **head,
            },
            "orderList": [
                {
                    "gnum": str(g),
                    "itemName": name,
                    "unit": "011",
                    "currency": "142",
                    "qty": q,
                    "price": p,
                    "totalPrice": f"{int(q) * float(p):.2f}",
                }
                for g, _, name, q, p in lines
            ],
        },
        "baseTransfer": {**TRANSFER, "copCode": PLATFORM},
    }
    return codec.to_xml(CEB303Message.model_validate(data))


def export_list(
    n: int,
    lines: list[Line] = SHIRTS,
    *,
    mode: str = "9610",
    flag: str = "B",
    day: str = "20261015",
    country: str = "502",
    app_type: str = "1",
    **head: Any,
) -> bytes:
    guid = f"CEB603-{n:06d}-{app_type}"
    data = {
        "guid": guid,
        "inventory": {
            "inventoryHead": {
                "guid": guid,
                "appType": app_type,
                "appTime": f"{day}110000",
                "appStatus": "2",
                "customsCode": "5141",
                "ebpCode": PLATFORM,
                "ebpName": "南沙优选跨境平台",
                "orderNo": f"EX2026{n:08d}",
                "logisticsCode": "4401960004",
                "logisticsName": "南沙速达物流有限公司",
                "logisticsNo": f"EY{n:010d}",
                "copNo": f"EC{n:010d}",
                "ieFlag": "E",
                "portCode": "5141",
                "ieDate": day,
                "statisticsFlag": flag,
                "agentCode": AGENT,
                "agentName": "广州通关报关代理有限公司",
                "ebcCode": EBC,
                "ebcName": "广州环球优品贸易有限公司",
                "ownerCode": EBC,
                "ownerName": "广州环球优品贸易有限公司",
                "tradeMode": mode,
                "trafMode": "5",
                "country": country,
                "freight": "0",
                "insuredFee": "0",
                "currency": "142",
                "packNo": "1",
                "grossWeight": "1.2",
                "netWeight": "1.0",
                **head,
            },
            "inventoryList": [
                {
                    "gnum": str(g),
                    "gcode": hs,
                    "gname": name,
                    "gmodel": "均码",
                    "country": "142",
                    "currency": "142",
                    "qty": q,
                    "unit": "011",
                    "qty1": q,
                    "unit1": "011",
                    "price": p,
                    "totalPrice": f"{int(q) * float(p):.2f}",
                }
                for g, hs, name, q, p in lines
            ],
        },
        "baseTransfer": {**TRANSFER, "copCode": AGENT},
    }
    return codec.to_xml(CEB603Message.model_validate(data))


def waybill_no(n: int) -> str:
    return f"EY{n:010d}"


def export_waybill(n: int, **fields: Any) -> bytes:
    """The export waybill (CEB505) of list ``n``."""
    guid = f"CEB505-{n:06d}"
    data = {
        "guid": guid,
        "logistics": {
            "guid": guid,
            "appType": "1",
            "appTime": "20261015103000",
            "appStatus": "2",
            "logisticsCode": CARRIER,
            "logisticsName": "南沙速达物流有限公司",
            "logisticsNo": waybill_no(n),
            "freight": "0",
            "insuredFee": "0",
            "currency": "142",
            "grossWeight": "1.2",
            "goodsInfo": "T恤",
            "ebcCode": EBC,
            **fields,
        },
        "baseTransfer": {**TRANSFER, "copCode": CARRIER},
    }
    return codec.to_xml(CEB505Message.model_validate(data))


def arrival(
    ns: list[int], cop_no: str = "AR001", *, operator: str = OPERATOR, sender: str = CARRIER
) -> bytes:
    """An arrival report (CEB507) naming the waybills of lists ``ns``."""
    guid = f"CEB507-{cop_no}"
    data = {
        "guid": guid,
        "arrival": {
            "arrivalHead": {
                "guid": guid,
                "appType": "1",
                "appTime": "20261015150000",
                "appStatus": "2",
                "customsCode": "5141",
                "copNo": cop_no,
                "operatorCode": operator,
                "operatorName": "南沙港跨境监管场站经营有限公司",
                "ieFlag": "E",
                "trafMode": "5",
                "logisticsCode": CARRIER,
                "logisticsName": "南沙速达物流有限公司",
            },
            "arrivalList": [
                {"gnum": str(g), "logisticsNo": waybill_no(n)} for g, n in enumerate(ns, start=1)
            ],
        },
        "baseTransfer": {**TRANSFER, "copCode": sender},
    }
    return codec.to_xml(CEB507Message.model_validate(data))


def departure(ns: list[int], cop_no: str = "DP001", *, sender: str = CARRIER) -> bytes:
    """A departure (CEB509) naming the waybills of lists ``ns``."""
    guid = f"CEB509-{cop_no}"
    head: dict[str, Any] = {
        "guid": guid,
        "appType": "1",
        "appTime": "20261016080000",
        "appStatus": "2",
        "customsCode": "5141",
        "copNo": cop_no,
        "logisticsCode": CARRIER,
        "logisticsName": "南沙速达物流有限公司",
        "trafMode": "5",
        "trafName": "CZ3101",
        "leaveTime": "20261016073000",
    }
    if sender != CARRIER:
        head["operatorCode"] = sender
    data = {
        "guid": guid,
        "departure": {
            "departureHead": head,
            "departureList": [
                {"gnum": str(g), "logisticsNo": waybill_no(n)} for g, n in enumerate(ns, start=1)
            ],
        },
        "baseTransfer": {**TRANSFER, "copCode": sender},
    }
    return codec.to_xml(CEB509Message.model_validate(data))


def shipped(*ns: int) -> list[tuple[str, bytes]]:
    """The waybills of lists ``ns`` and an arrival report naming them (what release needs
    besides the order)."""
    return [*((CARRIER, export_waybill(n)) for n in ns), (CARRIER, arrival(list(ns), f"AR{ns[0]}"))]


def summary_apply(
    cop_no: str,
    *,
    start: str = "20261001",
    end: str = "20261031",
    summary_flag: str = "1",
    item_name_flag: str = "0",
    lists: list[str] | None = None,
) -> bytes:
    guid = f"CEB701-{cop_no}"
    data = {
        "guid": guid,
        "summaryApply": {
            "summaryApplyHead": {
                "guid": guid,
                "appType": "1",
                "appTime": "20261101090000",
                "appStatus": "2",
                "customsCode": "5141",
                "copNo": cop_no,
                "agentCode": AGENT,
                "agentName": "广州通关报关代理有限公司",
                "ebcCode": EBC,
                "ebcName": "广州环球优品贸易有限公司",
                "declAgentCode": AGENT,
                "declAgentName": "广州通关报关代理有限公司",
                "startTime": start,
                "endTime": end,
                "summaryFlag": summary_flag,
                "itemNameFlag": item_name_flag,
            },
            "summaryApplyList": [{"invtNo": x} for x in lists or []],
        },
        "baseTransfer": {**TRANSFER, "copCode": AGENT},
    }
    return codec.to_xml(CEB701Message.model_validate(data))


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    settings = Settings(database_url=str(engine.url))
    with TestClient(create_app(settings, engine=engine, migrate=False)) as test_client:
        yield test_client


Send = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def senders(db: sessionmaker[Session], filed: dict[str, str]) -> dict[str, str]:
    """The sample enterprises and the operator of a supervised site (role area)."""
    from datetime import date

    from cbec.registry.credentials import issue_key
    from cbec.store.models import Enterprise, EnterpriseRole
    from tests.conftest import sample_uscc

    with db() as s:
        operator = Enterprise(
            customs_code=OPERATOR,
            uscc=sample_uscc(60),
            name="南沙港跨境监管场站经营有限公司",
            status="active",
            filing_date=date(2024, 3, 1),
            roles=[EnterpriseRole(role="area")],
        )
        s.add(operator)
        s.flush()
        token = issue_key(s, operator).token
        s.commit()
    return {**filed, OPERATOR: token}


@pytest.fixture
def send(client: TestClient, senders: dict[str, str]) -> Send:
    def post(*messages: tuple[str, bytes]) -> list[dict[str, Any]]:
        out = []
        for sender, data in messages:
            response = client.post("/api/v1/messages", content=data, headers=auth(senders[sender]))
            out.append({"http": response.status_code, **response.json()})
        return out

    return post
