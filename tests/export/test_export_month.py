"""Done when: a generated export month summarises into declarations. The simulated month's
orders, waybills, lists, arrival reports, departures and applications are ingested, the
planted disagreements are rejected, the lists planted without an arrival wait, those
planted without a departure are released but left out, and the month's run puts every
closed B-flag list line into exactly one declaration, with 9610, 9710 and 9810 apart."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.export import wiring as export_wiring
from cbec.export.service import Exports
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.sim.exports import Options, generate_month, write_month
from cbec.store.models import (
    ExportDeclarationLink,
    ExportList,
    ExportListLine,
    ExportSummary,
    Receipt,
)


def test_a_generated_export_month_summarises_into_declarations(
    db: sessionmaker[Session], tmp_path: object
) -> None:
    from pathlib import Path

    out = Path(str(tmp_path))
    month = generate_month(Options(month="2026-10", lists=400, seed=5))
    write_month(month, out)
    truth = json.loads((out / "exports-truth.json").read_text("utf-8"))
    with db() as s:
        import_registry(s, json.loads((out / "registry.json").read_text("utf-8")))
        s.commit()
    with db() as s:
        intake = Intake(s, [export_wiring.listener_factory()(s)])
        locators = locate(out / "messages")
        outcomes = []
        for start in range(0, len(locators), 300):
            outcomes += intake.submit(load_and_prepare(locators[start : start + 300], 4 << 20))
        s.commit()
    assert all(o.accepted for o in outcomes), [o.return_info for o in outcomes if not o.accepted][
        :3
    ]
    with db() as s:
        rejected = s.scalars(select(ExportList.cop_no).where(ExportList.status == 100)).all()
        assert sorted(rejected) == truth["rejected"]
        waiting = s.execute(
            select(ExportList.cop_no, ExportList.waiting_for).where(ExportList.status == 120)
        ).all()
        assert sorted(c for c, _ in waiting) == truth["withoutArrival"]
        assert {w for _, w in waiting} == {"arrival"}
        released = s.scalars(select(ExportList.cop_no).where(ExportList.status == 800)).all()
        assert sorted(released) == truth["notExited"]
        departures = s.execute(
            select(Receipt.return_status, func.count())
            .where(Receipt.message_type == "CEB510", Receipt.return_status != 120)
            .group_by(Receipt.return_status)
        ).all()
        assert dict(departures).keys() == {399}  # every departure closed its lists
        not_exited_b = s.scalar(
            select(func.count()).where(
                ExportList.status == 800,
                ExportList.statistics_flag == "B",
                ExportList.ie_date < date(2026, 11, 1),
            )
        )
        modes = Counter(
            dict(
                s.execute(
                    select(ExportList.trade_mode, func.count()).group_by(ExportList.trade_mode)
                ).all()
            )
        )
        assert dict(modes) == truth["tradeModes"]
        run = Exports(s).summarise(
            "2026-10",
            run_on=date(2026, 11, 10),
            key="ebc_code,traf_mode,owner_code,country,port_code,gcode,currency",
        )
        s.commit()
        assert run.late is False
        assert run.not_exited == not_exited_b > 0
        closed_b_lines = s.scalar(
            select(func.count())
            .select_from(ExportListLine)
            .join(ExportList, ExportList.id == ExportListLine.export_list_id)
            .where(ExportList.status == 899, ExportList.statistics_flag == "B")
        )
        links = s.scalars(select(ExportDeclarationLink)).all()
        assert len(links) == closed_b_lines > 300
        assert len({(x.export_list_id, x.gnum) for x in links}) == len(links)
        assert {d.trade_mode for d in run.declarations} == {"9610", "9710", "9810"}
        assert all(len(d.entry_id or "") == 18 for d in run.declarations)
        # the applications filed in the month were honoured (names kept apart) and answered
        applied = s.scalars(
            select(ExportSummary).where(ExportSummary.document_id.is_not(None))
        ).all()
        assert applied
        assert all(a.status == "summarised" and a.item_name_flag == "1" for a in applied)
        stats = Exports(s).statistics("2026-10")
        assert {m: v["lists"] for m, v in stats.items()} == truth["tradeModes"]
        linked = {x.export_list_id for x in links}
        assert sum(v["listsSummarised"] for v in stats.values()) == len(linked)
        simplified = set(s.scalars(select(ExportList.id).where(ExportList.statistics_flag == "A")))
        assert simplified
        assert not simplified & linked  # simplified lists are never summarised


def test_two_runs_of_one_month_at_once_declare_each_list_once(
    db: sessionmaker[Session], tmp_path: object
) -> None:
    """An administrator starts the month's run while another (the scheduled one, or a
    second click) is still running: the second waits for the first to commit and finds
    the lists taken; before, both declared every list."""
    import threading
    from pathlib import Path

    out = Path(str(tmp_path))
    write_month(generate_month(Options(month="2026-10", lists=60, seed=6)), out)
    with db() as s:
        import_registry(s, json.loads((out / "registry.json").read_text("utf-8")))
        s.commit()
    with db() as s:
        intake = Intake(s, [export_wiring.listener_factory()(s)])
        intake.submit(load_and_prepare(locate(out / "messages"), 4 << 20))
        s.commit()
    key = "ebc_code,traf_mode,owner_code,country,port_code,gcode,currency"
    second: list[object] = []

    def again() -> None:
        with db() as s:
            second.append(Exports(s).summarise("2026-10", run_on=date(2026, 11, 10), key=key))
            s.commit()

    with db() as first:
        run = Exports(first).summarise("2026-10", run_on=date(2026, 11, 10), key=key)
        assert run.declaration_count > 0
        other = threading.Thread(target=again)
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waiting for the first run to end
        first.commit()
    other.join(30)
    [later] = second
    assert later.declaration_count == 0  # type: ignore[attr-defined]
    with db() as s:
        links = s.scalars(select(ExportDeclarationLink)).all()
        assert len({(x.export_list_id, x.gnum) for x in links}) == len(links) > 0
