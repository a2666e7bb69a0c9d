"""Waybills (CEB505), arrival reports (CEB507) and departures (CEB509): a list is released
only once its waybill and an arrival report naming it are in, whatever their order; a
departure closes released lists (899) and only closed lists are summarised; mismatches are
answered naming the field path and the rule."""

from __future__ import annotations

from datetime import date
from itertools import permutations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.export.service import Exports
from cbec.store.models import ExportList, ExportMovement, Receipt
from tests.export.conftest import (
    AGENT,
    CARRIER,
    EBC,
    OPERATOR,
    PLATFORM,
    Send,
    arrival,
    departure,
    export_list,
    export_order,
    export_waybill,
    shipped,
)
from tests.officers.factories import login, staff


def list_status(db: sessionmaker[Session], n: int) -> int:
    with db() as s:
        return s.scalars(select(ExportList.status).where(ExportList.cop_no == f"EC{n:010d}")).one()


def last(db: sessionmaker[Session], kind: str) -> tuple[int, str]:
    with db() as s:
        row = s.scalars(
            select(Receipt).where(Receipt.message_type == kind).order_by(Receipt.id.desc())
        ).first()
        assert row is not None
        return row.return_status, row.return_info


def test_release_waits_for_waybill_and_arrival_in_every_order(
    send: Send, db: sessionmaker[Session]
) -> None:
    for n, order in enumerate(permutations(("list", "waybill", "arrival")), start=1):
        documents = {
            "list": (AGENT, export_list(n)),
            "waybill": (CARRIER, export_waybill(n)),
            "arrival": (CARRIER, arrival([n], f"AR{n}")),
        }
        send((PLATFORM, export_order(n)))
        seen = []
        for step, kind in enumerate(order, start=1):
            answer = send(documents[kind])[0]
            assert answer["http"] == 200, answer
            seen.append(kind)
            if "list" in seen:
                assert list_status(db, n) == (800 if step == 3 else 120), (order, step)
    with db() as s:
        assert s.scalars(select(ExportList.status)).all() == [800] * 6


def test_waiting_receipts_name_what_is_missing(send: Send, db: sessionmaker[Session]) -> None:
    send((AGENT, export_list(1)))
    status, info = last(db, "CEB604")
    assert status == 120
    assert info.endswith(
        "filed; waiting for its order (CEB303), its waybill (CEB505), "
        "an arrival report naming its waybill (CEB507)"
    )
    send((PLATFORM, export_order(1)), (CARRIER, export_waybill(1)))
    assert last(db, "CEB604")[1].endswith(
        "still waiting for an arrival report naming its waybill (CEB507)"
    )
    send((CARRIER, arrival([1])))
    assert last(db, "CEB604") == (800, "released (9610)")


def test_waybill_of_another_enterprise_rejects_the_list(
    send: Send, db: sessionmaker[Session]
) -> None:
    send(
        (PLATFORM, export_order(1)),
        (CARRIER, export_waybill(1, ebcCode="4401969999")),
        (CARRIER, arrival([1])),
        (AGENT, export_list(1)),
    )
    assert list_status(db, 1) == 100
    info = last(db, "CEB604")[1]
    assert "CEB603Message/Inventory/InventoryHead/ebcCode" in info
    assert "[E06.waybill]" in info


def test_arrival_naming_an_unknown_waybill_is_answered_and_kept(
    send: Send, db: sessionmaker[Session]
) -> None:
    send(*shipped(1))
    answer = send((CARRIER, arrival([1, 2, 2], "AR9")))[0]
    assert answer["http"] == 200
    status, info = last(db, "CEB508")
    assert status == 120
    assert "CEB507Message/Arrival/ArrivalList[2]/logisticsNo" in info
    assert "[X01.waybill]" in info
    assert "ArrivalList[3]/logisticsNo: waybill EY0000000002 is already line 2 [X02.twice]" in info
    # the waybill and list that follow are matched with the arrival kept
    send((PLATFORM, export_order(2)), (CARRIER, export_waybill(2)), (AGENT, export_list(2)))
    assert list_status(db, 2) == 800


def test_departure_closes_released_lists(send: Send, db: sessionmaker[Session]) -> None:
    send((PLATFORM, export_order(1)), *shipped(1), (AGENT, export_list(1)))
    answer = send((CARRIER, departure([1])))[0]
    assert answer["receiptType"] == "CEB510"
    assert list_status(db, 1) == 899
    assert last(db, "CEB604")[0] == 899
    assert last(db, "CEB510") == (399, "1 list(s) closed")
    with db() as s:
        row = s.scalars(select(ExportList)).one()
        assert row.exited_at is not None
        assert row.exited_at.isoformat() == "2026-10-15T23:30:00+00:00"  # 07:30 Beijing
        kinds = sorted(s.scalars(select(ExportMovement.kind)))
        assert kinds == ["arrival", "departure"]
    send((CARRIER, departure([1], "DP2")))
    status, info = last(db, "CEB510")
    assert status == 100
    assert "[Y03.once]" in info


def test_departure_of_lists_not_released_is_refused_naming_path_and_rule(
    send: Send, db: sessionmaker[Session]
) -> None:
    send(*shipped(1), (AGENT, export_list(1)))  # no order: waits
    send((CARRIER, departure([1, 7])))
    status, info = last(db, "CEB510")
    assert status == 100
    assert "CEB509Message/Departure/DepartureList[1]/logisticsNo: list " in info
    assert "is not released (120 waiting); its goods may not leave [Y02.released]" in info
    assert (
        "DepartureList[2]/logisticsNo: no export list of 4401960004 leaves on EY0000000007" in info
    )
    assert "[Y01.waybill]" in info
    assert list_status(db, 1) == 120
    # released later, the list is not closed by that earlier departure
    send((PLATFORM, export_order(1)))
    assert list_status(db, 1) == 800


def test_site_operator_may_report_arrival_and_departure(
    send: Send, db: sessionmaker[Session]
) -> None:
    send((PLATFORM, export_order(1)), (CARRIER, export_waybill(1)), (AGENT, export_list(1)))
    assert send((OPERATOR, arrival([1], sender=OPERATOR)))[0]["http"] == 200
    assert list_status(db, 1) == 800
    assert send((OPERATOR, departure([1], sender=OPERATOR)))[0]["http"] == 200
    assert list_status(db, 1) == 899
    # but not a waybill, and nobody else may report for the carrier
    refused = send((OPERATOR, export_waybill(2)))[0]
    assert refused["http"] == 403
    assert refused["fields"][0]["rule"] == "role.may-send"
    other = send((PLATFORM, arrival([1], "AR5", sender=PLATFORM)))[0]
    assert other["http"] == 403


def test_summary_takes_only_lists_whose_goods_left(send: Send, db: sessionmaker[Session]) -> None:
    send(
        *shipped(1, 2),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),
        (PLATFORM, export_order(2)),
        (AGENT, export_list(2)),
        (CARRIER, departure([1])),
    )
    with db() as s:
        run = Exports(s).summarise("2026-10", run_on=date(2026, 11, 3), key="gcode")
        s.commit()
    assert (run.lists, run.not_exited) == (1, 1)
    assert [d.list_count for d in run.declarations] == [1]
    send((CARRIER, departure([2], "DP2")))
    with db() as s:
        again = Exports(s).summarise("2026-10", run_on=date(2026, 11, 4), key="gcode")
        s.commit()
        stats = Exports(s).statistics("2026-10")
    assert (again.lists, again.not_exited) == (1, 0)
    assert stats["9610"]["exited"] == 2
    assert stats["9610"]["released"] == 2
    assert EBC in {d.ebc_code for d in again.declarations}


def test_officers_see_exited_and_left_out_lists_over_the_api(
    send: Send, db: sessionmaker[Session], client: TestClient
) -> None:
    send(
        *shipped(1, 2),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),
        (PLATFORM, export_order(2)),
        (AGENT, export_list(2)),
        (CARRIER, departure([2])),
    )
    staff(db, boss=["administrator"])
    headers = login(client, "boss")
    stats = client.get("/api/v1/export/statistics?month=2026-10", headers=headers)
    assert stats.status_code == 200, stats.text
    assert (stats.json()["9610"]["released"], stats.json()["9610"]["exited"]) == (2, 1)
    run = client.post("/api/v1/export/summaries", json={"month": "2026-10"}, headers=headers)
    assert run.status_code == 201, run.text
    assert (run.json()["lists"], run.json()["notExited"]) == (1, 1)
