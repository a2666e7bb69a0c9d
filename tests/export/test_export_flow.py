"""Export lists end to end over the API: checked against their order, released one by one
with CEB604 receipts, then the month summarised into declarations with their links."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.export.service import Exports
from cbec.messages import codec
from cbec.messages.models import CEB792Message
from cbec.store.models import ExportDeclarationLink, ExportList, ExportSummary, Receipt
from tests.export.conftest import (
    AGENT,
    CARRIER,
    EBC,
    PLATFORM,
    SHIRTS,
    Send,
    departure,
    export_list,
    export_order,
    shipped,
    summary_apply,
)
from tests.intake.conftest import auth

BAGS = [(1, "4202210090", "牛皮手袋", "1", "300.00")]


def receipts(db: sessionmaker[Session], kind: str = "CEB604") -> list[tuple[int, str]]:
    with db() as s:
        rows = s.scalars(select(Receipt).where(Receipt.message_type == kind).order_by(Receipt.id))
        return [(r.return_status, r.return_info) for r in rows]


def status(db: sessionmaker[Session]) -> list[int]:
    with db() as s:
        return list(s.scalars(select(ExportList.status).order_by(ExportList.id)))


def left(*ns: int) -> tuple[str, bytes]:
    """The departure of the goods of lists ``ns`` (what a summary needs)."""
    return (CARRIER, departure(list(ns), f"DP{ns[0]}"))


def summarise(
    db: sessionmaker[Session], month: str = "2026-10", on: date = date(2026, 11, 3), **kw: str
):  # type: ignore[no-untyped-def]
    with db() as s:
        run = Exports(s).summarise(
            month,
            run_on=on,
            key=kw.get("key", "ebc_code,traf_mode,owner_code,country,port_code,gcode,currency"),
        )
        s.commit()
        return run


def test_list_with_its_order_is_released(send: Send, db: sessionmaker[Session]) -> None:
    answers = send((PLATFORM, export_order(1)), *shipped(1), (AGENT, export_list(1)))
    assert answers[0]["receiptType"] == "CEB304"
    assert [a["receiptType"] for a in answers[1:]] == ["CEB506", "CEB508", "CEB604"]
    assert [s for s, _ in receipts(db)] == [120, 120, 800]
    with db() as s:
        row = s.scalars(select(ExportList)).one()
        assert row.invt_no == "51412026E" + f"{row.id:09d}"
        assert row.released_on is not None


def test_list_waits_for_its_order_then_is_released(send: Send, db: sessionmaker[Session]) -> None:
    send(*shipped(1), (AGENT, export_list(1)))
    assert status(db) == [120]
    assert "waiting for its order (CEB303)" in receipts(db)[-1][1]
    send((PLATFORM, export_order(1)))
    assert status(db) == [800]


def test_list_that_disagrees_with_its_order_is_rejected_naming_field_and_rule(
    send: Send, db: sessionmaker[Session]
) -> None:
    send(
        (PLATFORM, export_order(1)),
        *shipped(1),
        (AGENT, export_list(1, [(1, "6109100021", "T恤", "5", "40.00")])),
    )
    assert status(db) == [100]
    info = receipts(db)[-1][1]
    path = "CEB603Message/Inventory/InventoryList[1]/qty"
    assert f"{path}: quantity 5 differs from 3 ordered [E03.lines]" in info


def test_9810_leaves_without_an_order_9710_needs_one(send: Send, db: sessionmaker[Session]) -> None:
    send(*shipped(1, 2), (AGENT, export_list(1, mode="9810")), (AGENT, export_list(2, mode="9710")))
    assert status(db) == [800, 120]


def test_bonded_export_needs_its_account(send: Send, db: sessionmaker[Session]) -> None:
    send((PLATFORM, export_order(1)), *shipped(1), (AGENT, export_list(1, mode="1210")))
    assert status(db) == [100]
    assert "[E05.bonded]" in receipts(db)[-1][1]


def test_released_list_cannot_be_modified(send: Send, db: sessionmaker[Session]) -> None:
    send((PLATFORM, export_order(1)), *shipped(1), (AGENT, export_list(1)))
    answer = send((AGENT, export_list(1, app_type="2", country="304")))[0]
    assert answer["http"] == 409
    assert answer["fields"][0]["rule"] == "appType.modify-decided"


def test_invalid_export_list_names_path_and_rule(client: TestClient, filed: dict[str, str]) -> None:
    bad = export_list(1).replace(b"<ceb:statisticsFlag>B<", b"<ceb:statisticsFlag>C<")
    response = client.post("/api/v1/messages", content=bad, headers=auth(filed[AGENT]))
    assert response.status_code == 400
    field = response.json()["fields"][0]
    assert field["path"] == "CEB603Message/Inventory/InventoryHead/statisticsFlag"


def test_month_summarised_into_declarations_with_links(
    send: Send, db: sessionmaker[Session], client: TestClient, filed: dict[str, str]
) -> None:
    two_lines = [SHIRTS[0], (2, "4202210090", "牛皮手袋", "1", "300.00")]
    send(
        *shipped(1, 2, 3, 4, 5, 6),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),  # shirts to 502
        (PLATFORM, export_order(2)),
        (AGENT, export_list(2, day="20261020")),  # shirts to 502: same declaration
        (PLATFORM, export_order(3, two_lines)),
        (AGENT, export_list(3, two_lines, day="20261031")),  # split over two declarations
        (PLATFORM, export_order(4)),
        (AGENT, export_list(4, country="304")),  # another country: another declaration
        (PLATFORM, export_order(5)),
        (AGENT, export_list(5, flag="A")),  # simplified: never summarised
        (PLATFORM, export_order(6)),
        (AGENT, export_list(6, day="20261101")),  # next month
        left(1, 2, 3, 4, 5, 6),
    )
    assert status(db) == [899] * 6
    run = summarise(db)
    assert run.late is False
    assert run.lists == 4
    assert run.not_exited == 0
    got = sorted(
        (d.country, d.lines.count("gnum"), d.list_count, d.total_price) for d in run.declarations
    )
    assert got == [
        ("304", 1, 1, Decimal("120.00000")),
        ("502", 1, 1, Decimal("300.00000")),  # the bag of list 3
        ("502", 1, 3, Decimal("360.00000")),  # 3 x 120 of shirts
    ]
    assert all(d.entry_id and len(d.entry_id) == 18 for d in run.declarations)
    with db() as s:
        links = s.scalars(select(ExportDeclarationLink)).all()
        assert len(links) == 5  # every B list line of October, once
        assert len({(x.export_list_id, x.gnum) for x in links}) == 5
    mine = client.get(
        "/api/v1/export/my-declarations?month=2026-10", headers=auth(filed[EBC])
    ).json()
    assert sum(len(d["links"]) for d in mine) == 5
    shirts = next(d for d in mine if d["listCount"] == 3)
    assert shirts["lines"] == [
        {
            "gnum": 1,
            "gcode": "6109100021",
            "gname": "棉制针织T恤",
            "qty": "9.00000",
            "unit": "011",
            "totalPrice": "360.00000",
        }
    ]
    # weight of list 3 (1.2 kg) shared by value: 120 of 420 to the shirts, 300 to the bag
    bag = next(d for d in mine if d["totalPrice"] == "300")
    assert bag["grossWeight"] == "0.85714"  # 1.2 x 300 / 420, rounded down
    assert shirts["grossWeight"] == "2.74286"  # 1.2 + 1.2 + the rest of list 3
    xml = client.get(
        f"/api/v1/export/my-declarations/{bag['entryId']}/ceb792", headers=auth(filed[EBC])
    )
    assert xml.status_code == 200
    message = codec.from_xml(xml.content)
    assert isinstance(message, CEB792Message)
    assert message.summaryResult.summaryResultHead.entryId == bag["entryId"]
    assert [x.declGnum for x in message.summaryResult.summaryResultInvt] == ["1"]
    assert (
        client.get(
            f"/api/v1/export/my-declarations/{bag['entryId']}/ceb792", headers=auth(filed[PLATFORM])
        ).status_code
        == 404
    )
    # a second run finds nothing left of October
    again = summarise(db)
    assert again.declarations == []
    assert again.lists == 0


def test_late_summary_is_flagged(send: Send, db: sessionmaker[Session]) -> None:
    send((PLATFORM, export_order(1)), *shipped(1), (AGENT, export_list(1)), left(1))
    run = summarise(db, on=date(2026, 11, 16))
    assert run.late is True
    assert [d.late for d in run.declarations] == [True]


def test_filed_application_flags_are_honoured(send: Send, db: sessionmaker[Session]) -> None:
    blue = [(1, "6109100021", "蓝色T恤", "1", "40.00")]
    red = [(1, "6109100021", "红色T恤", "1", "40.00")]
    send(
        *shipped(1, 2, 3),
        (PLATFORM, export_order(1, blue)),
        (AGENT, export_list(1, blue)),
        (PLATFORM, export_order(2, red)),
        (AGENT, export_list(2, red)),
        (PLATFORM, export_order(3, red)),
        (AGENT, export_list(3, red)),
        left(1, 2, 3),
        (AGENT, summary_apply("SA001", item_name_flag="1")),
    )
    assert receipts(db, "CEB702")[-1][0] == 399
    run = summarise(db)
    assert [d.lines.count("gnum") for d in run.declarations] == [2]  # names kept apart
    assert run.summaries[0].document_id is not None
    assert "summarised into 1 declaration(s)" in receipts(db, "CEB702")[-1][1]


def test_named_lists_only_with_summary_flag_2(send: Send, db: sessionmaker[Session]) -> None:
    send(
        *shipped(1, 2),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),
        (PLATFORM, export_order(2)),
        (AGENT, export_list(2)),
        left(1, 2),
    )
    with db() as s:
        first = s.scalars(select(ExportList.invt_no).order_by(ExportList.id)).first()
    assert first is not None
    send((AGENT, summary_apply("SA002", summary_flag="2", lists=[first])))
    run = summarise(db)
    assert [d.list_count for d in run.declarations] == [1]


def test_later_runs_of_the_month_honour_the_latest_application(
    send: Send, db: sessionmaker[Session]
) -> None:
    send(
        *shipped(1, 2, 3),
        *((PLATFORM, export_order(n)) for n in (1, 2, 3)),
        *((AGENT, export_list(n)) for n in (1, 2, 3)),
        left(1),
    )
    with db() as s:
        invts = list(s.scalars(select(ExportList.invt_no).order_by(ExportList.id)))
    # an application naming list 1 only, replaced by one summarising every list
    send((AGENT, summary_apply("SA010", summary_flag="2", lists=[invts[0]])))
    send((AGENT, summary_apply("SA011", summary_flag="1")))
    assert [d.list_count for d in summarise(db).declarations] == [1]
    # list 2 leaves late: the replaced application (list 1 only) no longer counts
    send(left(2))
    assert [d.list_count for d in summarise(db).declarations] == [1]
    # a new application naming list 1 only holds on the next run: list 3, unnamed, waits
    send((AGENT, summary_apply("SA012", summary_flag="2", lists=[invts[0]])), left(3))
    assert summarise(db).declarations == []
    with db() as s:
        summaries = s.scalars(select(ExportSummary).order_by(ExportSummary.id)).all()
        assert [x.status for x in summaries] == ["superseded", "summarised", "filed"]


def test_a_withdrawn_application_is_not_honoured(send: Send, db: sessionmaker[Session]) -> None:
    send(
        *shipped(1, 2),
        *((PLATFORM, export_order(n)) for n in (1, 2)),
        *((AGENT, export_list(n)) for n in (1, 2)),
        left(1, 2),
    )
    with db() as s:
        first = s.scalars(select(ExportList.invt_no).order_by(ExportList.id)).first()
    assert first is not None
    filed = summary_apply("SA020", summary_flag="2", lists=[first])
    withdrawn = filed.replace(b">1</ceb:appType>", b">3</ceb:appType>").replace(
        b"CEB701-SA020", b"CEB701-SA020-3"
    )
    answers = send((AGENT, filed), (AGENT, withdrawn))
    assert [a["http"] for a in answers] == [200, 200], answers
    assert [d.list_count for d in summarise(db).declarations] == [2]


def test_application_spanning_two_months_is_refused(send: Send, db: sessionmaker[Session]) -> None:
    send((AGENT, summary_apply("SA003", start="20261001", end="20261105")))
    status_, info = receipts(db, "CEB702")[-1]
    assert status_ == 100
    assert "SummaryApplyHead/endTime" in info
    assert "[E10.period]" in info


def test_statistics_report_9710_and_9810_apart(send: Send, db: sessionmaker[Session]) -> None:
    send(
        *shipped(1, 2, 3, 4),
        (PLATFORM, export_order(1)),
        (AGENT, export_list(1)),
        (PLATFORM, export_order(2, BAGS)),
        (AGENT, export_list(2, BAGS, mode="9710")),
        (AGENT, export_list(3, BAGS, mode="9810")),
        (AGENT, export_list(4, mode="9710")),  # no order yet
        left(1, 2, 3),
    )
    summarise(db)
    with db() as s:
        stats = Exports(s).statistics("2026-10")
    assert set(stats) == {"9610", "9710", "9810"}
    assert (stats["9710"]["lists"], stats["9710"]["released"], stats["9710"]["awaiting"]) == (
        2,
        1,
        1,
    )
    assert stats["9810"]["releasedValue"] == Decimal("300")
    assert stats["9810"]["exited"] == 1
    assert [stats[m]["declarations"] for m in ("9610", "9710", "9810")] == [1, 1, 1]


def test_bad_month_and_key_name_the_rule(db: sessionmaker[Session]) -> None:
    import pytest

    from cbec.errors import BadRequest

    with db() as s, pytest.raises(BadRequest) as caught:
        Exports(s).summarise("2026-13", run_on=date(2026, 11, 1), key="gcode")
    assert caught.value.fields[0].rule == "export.month"
    with db() as s, pytest.raises(BadRequest) as caught:
        Exports(s).summarise("2026-10", run_on=date(2026, 11, 1), key="gcode,colour")
    assert caught.value.fields[0].path == "key"
    assert "colour" in caught.value.detail
