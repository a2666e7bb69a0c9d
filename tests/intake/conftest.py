"""Message builders and an API client for the intake tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.config import Settings
from cbec.messages import codec
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message, CEB621Message
from tests.conftest import sample_xml

TRANSFER = {"copCode": "", "copName": "sender", "dxpMode": "DXP", "dxpId": "DXPENT0000012345"}


def _transfer(code: str) -> dict[str, str]:
    return {**TRANSFER, "copCode": code}


def order(*, guid: str = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", **head: Any) -> bytes:
    """The sample order (tests/fixtures/xml/ceb311_order.xml) with head fields changed."""
    message = codec.from_xml(sample_xml("ceb311_order.xml"))
    assert isinstance(message, CEB311Message)
    data = message.model_dump()
    data["guid"] = guid
    data["order"]["orderHead"].update(head)
    return codec.to_xml(CEB311Message.model_validate(data))


def payment(**head: Any) -> bytes:
    data = {
        "guid": "0B8E4C9C-3E0C-4F43-9E0D-5D3C0F1A2B3C",
        "payment": {
            "paymentHead": {
                "guid": "0B8E4C9C-3E0C-4F43-9E0D-5D3C0F1A2B3C",
                "appType": "1",
                "appTime": "20261111093020",
                "appStatus": "2",
                "payCode": "4401960003",
                "payName": "广州快付支付有限公司",
                "payTransactionId": "P2026111100000001",
                "orderNo": "T20261111000001",
                "ebpCode": "4401960001",
                "ebpName": "南沙优选跨境平台",
                "payerIdType": "1",
                "payerIdNumber": "11010519491231002X",
                "payerName": "张伟",
                "telephone": "13812345678",
                "amountPaid": "434.22",
                "currency": "142",
                "payTime": "20261111093018",
                **head,
            }
        },
        "baseTransfer": _transfer("4401960003"),
    }
    return codec.to_xml(CEB411Message.model_validate(data))


def waybill(**head: Any) -> bytes:
    data = {
        "guid": "7A1D2C3B-4E5F-4061-8273-9485A6B7C8D9",
        "logistics": {
            "logisticsHead": {
                "guid": "7A1D2C3B-4E5F-4061-8273-9485A6B7C8D9",
                "appType": "1",
                "appTime": "20261111094000",
                "appStatus": "2",
                "logisticsCode": "4401960004",
                "logisticsName": "南沙速达物流有限公司",
                "logisticsNo": "YT2026111100000001",
                "orderNo": "T20261111000001",
                "freight": "0",
                "insuredFee": "0",
                "currency": "142",
                "weight": "2.1",
                "packNo": "1",
                "consignee": "张伟",
                "consigneeAddress": "北京市朝阳区建国路88号",
                "consigneeTelephone": "13812345678",
                **head,
            }
        },
        "baseTransfer": _transfer("4401960004"),
    }
    return codec.to_xml(CEB511Message.model_validate(data))


def inventory(**head: Any) -> bytes:
    data = {
        "guid": "C2B1A098-7F6E-4D5C-8B4A-39281706F5E4",
        "inventory": {
            "inventoryHead": {
                "guid": "C2B1A098-7F6E-4D5C-8B4A-39281706F5E4",
                "appType": "1",
                "appTime": "20261111095000",
                "appStatus": "2",
                "orderNo": "T20261111000001",
                "ebpCode": "4401960001",
                "ebpName": "南沙优选跨境平台",
                "ebcCode": "4401960002",
                "ebcName": "广州环球优品贸易有限公司",
                "logisticsNo": "YT2026111100000001",
                "logisticsCode": "4401960004",
                "logisticsName": "南沙速达物流有限公司",
                "copNo": "COP2026111100001",
                "ieFlag": "I",
                "declTime": "20261111",
                "customsCode": "5141",
                "portCode": "5141",
                "buyerIdType": "1",
                "buyerIdNumber": "11010519491231002X",
                "buyerName": "张伟",
                "buyerTelephone": "13812345678",
                "consigneeAddress": "北京市朝阳区建国路88号",
                "agentCode": "4401960005",
                "agentName": "广州通关报关代理有限公司",
                "tradeMode": "9610",
                "trafMode": "5",
                "country": "305",
                "freight": "0",
                "insuredFee": "0",
                "currency": "142",
                "grossWeight": "2.1",
                "netWeight": "1.8",
                **head,
            },
            "inventoryList": [
                {
                    "gnum": "1",
                    "gcode": "1901101010",
                    "gname": "婴儿配方奶粉",
                    "gmodel": "900g/罐",
                    "country": "305",
                    "currency": "142",
                    "qty": "2",
                    "unit": "011",
                    "qty1": "1.8",
                    "unit1": "035",
                    "price": "199.00",
                    "totalPrice": "398.00",
                }
            ],
        },
        "baseTransfer": _transfer("4401960005"),
    }
    return codec.to_xml(CEB621Message.model_validate(data))


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API on the test store (emptied before and after)."""
    settings = Settings(database_url=str(engine.url), max_message_bytes=256 * 1024)
    app = create_app(settings, engine=engine, migrate=False)
    with TestClient(app) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
