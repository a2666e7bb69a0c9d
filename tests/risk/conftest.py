"""Traffic for risk tests: lists with their order, payment and waybill, sent over the API,
varied in buyer, price, address, phone and day; and the officers who work risk control."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from cbec.messages import codec
from cbec.messages.models import CEB311Message, CEB621Message
from cbec.store.models import Declaration
from tests.clearance.conftest import cheap_hasher, make_client, seeded
from tests.intake.conftest import auth, inventory, order, payment, waybill
from tests.officers.factories import login, staff

__all__ = ["cheap_hasher", "make_client", "seeded"]

PLATFORM, PAY, LOGISTICS, AGENT = "4401960001", "4401960003", "4401960004", "4401960005"
EBC = "4401960002"
BUYER = "11010519491231002X"


def resident_id(n: int) -> str:
    """A valid resident ID number (Beijing Chaoyang, born 1980) numbered ``n``."""
    base = f"1101051980{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Traffic:
    """Sends complete lists (order, payment, waybill, list) over the API."""

    client: TestClient
    tokens: dict[str, str]

    def messages(
        self,
        n: int,
        *,
        buyer: str = BUYER,
        payer: str | None = None,
        price: str = "199.00",
        address: str = "北京市朝阳区建国路88号",
        phone: str = "13812345678",
        day: str = "20261111",
        gcode: str = "1901101010",
    ) -> list[tuple[str, bytes]]:
        """The four messages of list number ``n`` (two units at ``price``; tax at 9.1%)."""
        order_no, logistics_no = f"T{day}{n:06d}", f"L{day}{n:06d}"
        guid = str(uuid.UUID(int=n + int(day) * 10**7)).upper()
        total = _cents(Decimal(price) * 2)
        tax = _cents(total * Decimal("0.091"))
        paid = total + tax
        o = codec.from_xml(
            order(
                guid=guid,
                orderNo=order_no,
                appTime=f"{day}093015",
                goodsValue=str(total),
                taxTotal=str(tax),
                acturalPaid=str(paid),
                buyerIdNumber=buyer,
                payTransactionId=f"P{order_no}",
                consigneeAddress=address,
                consigneeTelephone=phone,
            )
        )
        assert isinstance(o, CEB311Message)
        data = o.model_dump()
        data["order"]["orderList"][0].update(price=price, totalPrice=str(total))
        order_xml = codec.to_xml(CEB311Message.model_validate(data))
        i = codec.from_xml(
            inventory(
                guid=guid,
                orderNo=order_no,
                copNo=f"C{day[-4:]}{n:06d}",
                logisticsNo=logistics_no,
                buyerIdNumber=buyer,
                consigneeAddress=address,
                appTime=f"{day}095000",
                declTime=day,
            )
        )
        assert isinstance(i, CEB621Message)
        data = i.model_dump()
        data["inventory"]["inventoryList"][0].update(
            gcode=gcode, price=price, totalPrice=str(total)
        )
        list_xml = codec.to_xml(CEB621Message.model_validate(data))
        return [
            (PLATFORM, order_xml),
            (
                PAY,
                payment(
                    guid=guid,
                    orderNo=order_no,
                    payTransactionId=f"P{order_no}",
                    amountPaid=str(paid),
                    payerIdNumber=payer or buyer,
                    payTime=f"{day}093018",
                ),
            ),
            (
                LOGISTICS,
                waybill(
                    guid=guid,
                    orderNo=order_no,
                    logisticsNo=logistics_no,
                    consigneeAddress=address,
                    consigneeTelephone=phone,
                    appTime=f"{day}094000",
                ),
            ),
            (AGENT, list_xml),
        ]

    def send(self, n: int, **changes: str) -> None:
        for sender, data in self.messages(n, **changes):
            response = self.client.post(
                "/api/v1/messages", content=data, headers=auth(self.tokens[sender])
            )
            assert response.status_code == 200, response.text


def declaration(db: sessionmaker[Session], n: int, day: str = "20261111") -> Declaration:
    with db() as s:
        return s.scalars(select(Declaration).where(Declaration.order_no == f"T{day}{n:06d}")).one()


@pytest.fixture
def traffic(make_client: Callable[..., TestClient], filed: dict[str, str]) -> Traffic:
    """Clearance with no random sampling, and a sender of lists."""
    return Traffic(make_client(), filed)


@pytest.fixture
def analyst(traffic: Traffic, db: sessionmaker[Session]) -> dict[str, str]:
    """Headers of a signed-in risk analyst (chen.jing); also files a reviewer (li.wei), an
    inspector (wang.fang) and an investigator (zhao.lei)."""
    staff(
        db,
        chen_jing=["risk_analyst"],
        li_wei=["reviewer"],
        wang_fang=["inspector"],
        zhao_lei=["investigator"],
    )
    return login(traffic.client, "chen.jing")
