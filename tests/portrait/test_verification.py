"""Platform verification: officers' checks, the automatic checks from our own data, and the
flag that feeds risk control."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.messages.fields import CST
from cbec.portrait import service
from cbec.portrait.schemas import CheckIn
from cbec.privacy import blind_id
from cbec.store.models import AuditEntry, RiskFlag, utcnow
from tests.intake.conftest import auth, order
from tests.portrait.conftest import (
    PLATFORM,
    SAMPLE_ITEM,
    Client,
    file_catalogue,
    key,
    send,
)

OFFICER = Actor.officer("ivy")


def check(kind: str, result: str, **extra: object) -> CheckIn:
    return CheckIn.model_validate(
        {"check": kind, "result": result, "evidence": "seen", "checkedOn": "2026-11-12", **extra}
    )


def goods(item: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in item.items() if k != "itemNo"}


def live_flags(s: Session) -> list[RiskFlag]:
    now = utcnow()
    return [
        f
        for f in s.scalars(select(RiskFlag).where(RiskFlag.source == "portrait"))
        if f.valid_to is None or f.valid_to > now
    ]


def test_a_failed_check_flags_the_platform_until_it_passes(
    filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    with db() as s:
        for kind in ("login", "register"):
            service.add_check(s, PLATFORM, check(kind, "pass"), by=OFFICER)
        start, end = service.window()
        assert service.verify(s, PLATFORM, start, end).status == "partial"
        assert live_flags(s) == []
        failing = service.add_check(s, PLATFORM, check("qualification", "fail"), by=OFFICER)
        result = service.verify(s, PLATFORM, start, end)
        assert result.status == "failed"
        (flag,) = live_flags(s)
        assert (flag.subject_kind, flag.subject_key, flag.kind) == (
            "enterprise",
            PLATFORM,
            "platform_unverified",
        )
        assert "qualification" in flag.reason
        service.update_check(s, failing.id, check("qualification", "pass"), by=OFFICER)
        assert live_flags(s) == []
        for kind in ("buy", "shipped", "goods", "traffic"):
            extra = (
                {"reportedOrders": 10, "periodFrom": "2026-11-01", "periodTo": "2026-11-30"}
                if kind == "traffic"
                else {}
            )
            service.add_check(s, PLATFORM, check(kind, "pass", **extra), by=OFFICER)
        assert service.verify(s, PLATFORM, start, end).status == "verified"
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count("platform_check.add") == 7
        assert "risk_flag.add" in actions
        assert "risk_flag.end" in actions
        s.commit()


def test_orders_never_followed_by_a_waybill_fail_the_platform(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    for n in range(10):
        response = client.post(
            "/api/v1/messages",
            content=order(guid=f"00000000-0000-0000-0000-{n:012d}", orderNo=f"NW{n:08d}"),
            headers=auth(filed[PLATFORM]),
        )
        assert response.status_code == 200, response.text
    send(client, filed, 1)  # one complete set: its order has a waybill
    with db() as s:
        start, end = service.window()
        # within the grace period, orders are not yet expected to have a waybill
        waiting = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert waiting["orders_without_waybill"].result == "n/a"
        late = service.verify(s, PLATFORM, start, end + timedelta(days=4))
        found = {a.name: a for a in late.automatic}["orders_without_waybill"]
        assert (found.result, found.value) == ("fail", round(10 / 11, 4))
        assert late.status == "failed"


def test_cleared_goods_traffic_and_disputes_are_checked_from_our_data(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    for n in (1, 2):
        send(client, filed, n)
    today = utcnow().astimezone(CST).date()  # periods are days in Beijing time
    with db() as s:
        start, end = service.window()
        # nothing filed: every cleared line is absent from the platform's catalogue
        auto = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        absent = auto["goods_not_in_catalogue"]
        assert (absent.result, absent.value, absent.count) == ("fail", 1.0, 2)  # one line each
        # the test list's line gives no item number: its HS code is looked for
        assert absent.examples[0]["itemNo"] is None
        assert absent.examples[0]["hsCode"] == "1901101010"
        assert absent.examples[0]["why"] == "HS code not filed"
    # filed under another HS code: still absent
    file_catalogue(client, filed, {**SAMPLE_ITEM, "hsCode": "0901210000"})
    with db() as s:
        auto = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert auto["goods_not_in_catalogue"].count == 2
    amended = client.put(
        "/api/v1/catalogue/items/SKU-001", json=goods(SAMPLE_ITEM), headers=key(filed[PLATFORM])
    )
    assert amended.status_code == 200, amended.text
    with db() as s:
        auto = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert (auto["goods_not_in_catalogue"].result, auto["goods_not_in_catalogue"].count) == (
            "pass",
            0,
        )
        # two lists cleared today against one order reported
        period = {"periodFrom": today.isoformat(), "periodTo": today.isoformat()}
        service.add_check(
            s, PLATFORM, check("traffic", "pass", reportedOrders=1, **period), by=OFFICER
        )
        auto = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert (auto["traffic_vs_clearance"].result, auto["traffic_vs_clearance"].value) == (
            "fail",
            2.0,
        )
        assert auto["buyer_disputes"].result == "pass"
        for kind in ("dispute", "identity_misuse"):
            s.add(
                RiskFlag(
                    subject_kind="identity",
                    subject_key=blind_id("11010519491231002X"),  # flags name people so
                    source="consumer",
                    kind=kind,
                    created_by="consumer",
                )
            )
        for _ in range(2):  # two disputes, each flagging the platform too
            s.add(
                RiskFlag(
                    subject_kind="enterprise",
                    subject_key=PLATFORM,
                    source="consumer",
                    kind="dispute",
                    created_by="consumer",
                )
            )
        s.flush()
        auto = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert auto["buyer_disputes"].result == "fail"
        p, _ = service.enterprise_portrait(s, PLATFORM, start, end)
        assert p.facts.disputes == 2  # the platform's flags; the buyer's are the same ones
        assert p.facts.disputed_buyers == 1
        assert p.facts.verification == "failed"
