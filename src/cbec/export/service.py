"""Exports: export lists (CEB603) are checked against their order (CEB303) and released one
by one with a CEB604 receipt at each step, once their waybill (CEB505) and an arrival
report naming it (CEB507) are in, whatever the order they come in; a departure (CEB509)
closes the released lists leaving on the waybills it names (899, 结关); each month's closed
summary-flag lists are gathered into export declarations (CEB701 applications, CEB792
results). A released list whose goods have not left is not summarised: the customs
announcements (2018 No. 194) summarise the previous month's *closed* (结关) lists.

:class:`Exports` is an intake listener, in the caller's transaction; it never commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import delete
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.export import checks, repository
from cbec.export.summary import LINE_COLUMNS, Summary, is_late, parse_key, parse_period, summarise
from cbec.intake.pipeline import Accepted
from cbec.intake.service import receipt_row
from cbec.messages.fields import CST, format_return_time, parse_app_time, parse_decl_date
from cbec.messages.models import (
    MESSAGE_TYPES,
    CEB303Message,
    CEB505Message,
    CEB507Message,
    CEB509Message,
    CEB603Message,
    CEB701Message,
    CEB792Message,
)
from cbec.messages.receipts import (
    ACCEPTED,
    APPROVED,
    CLOSED,
    REJECTED,
    RELEASED,
    STATUS_TEXT,
)
from cbec.months import parse_month
from cbec.store import bulk
from cbec.store.models import (
    Document,
    ExportDeclaration,
    ExportDeclarationLink,
    ExportList,
    ExportListLine,
    ExportMovement,
    ExportSummary,
    Receipt,
    utcnow,
)

log = logging.getLogger("cbec.export")
#: Declarations a run hands back as objects (the rest are in the store).
SHOWN = 1_000


@dataclass(slots=True)
class SummaryRun:
    """What ``cbec export summarise`` did for one month."""

    period: str
    late: bool
    key: tuple[str, ...] = ()
    lists: int = 0
    list_lines: int = 0
    summaries: list[ExportSummary] = field(default_factory=list)
    #: the first :data:`SHOWN` declarations made (all of them in a normal month)
    declarations: list[ExportDeclaration] = field(default_factory=list)
    declaration_count: int = 0
    seconds: float = 0.0
    #: released B lists of the month left out because their goods have not left yet
    not_exited: int = 0


def _load(row: Any) -> Any:
    return MESSAGE_TYPES[row.message_type].model_validate_json(row.body)


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM`` (BadRequest naming the rule otherwise)."""
    year, month = parse_month(period, rule="export.month")
    first = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, nxt - timedelta(days=1)


class Exports:
    """Export lists and summaries on one session."""

    def __init__(self, session: Session, *, clock: Any = utcnow) -> None:
        self.session = session
        self.clock = clock
        self._receipts: list[dict[str, Any]] = []
        self._doc_status: dict[int, int] = {}
        self._messages: dict[int, Any] = {}
        #: lists filed in this batch (their first receipt says what they wait for)
        self._filed_now: set[int] = set()

    # -- the intake listener ------------------------------------------------------------

    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        """File export lists and arrival reports, release the lists whose documents are
        there, close those a departure names, file summary applications."""
        self._filed_now = set()
        for item in items:
            if item.message is not None:
                self._messages[item.document_id] = item.message
        lists = [i for i in items if i.kind == "export_list"]
        orders = [i for i in items if i.kind == "export_order" and i.app_type != "3"]
        live = [i for i in items if i.app_type != "3"]
        waybills = [i for i in live if i.kind == "export_waybill"]
        arrivals = [i for i in live if i.kind == "export_arrival"]
        departures = [i for i in live if i.kind == "export_departure"]
        filed = self._file_lists(lists)
        waiting = repository.awaiting_for_orders(
            self.session, {(i.ebp_code or "", i.ebc_code or "", i.order_no) for i in orders}
        )
        named = {(code, no) for code, _, no in (i.business_key.partition("|") for i in waybills)}
        named |= self._file_arrivals(arrivals)
        by_waybill = repository.lists_by_waybill(self.session, named, awaiting_only=True)
        moved = [x for rows in by_waybill.values() for x in rows]
        seen: dict[int, ExportList] = {x.id: x for x in [*filed, *waiting, *moved]}
        self._evaluate(list(seen.values()))
        for item in departures:
            self._depart(item)
        applications = [i for i in items if i.kind == "export_summary" and i.app_type != "3"]
        if applications:
            self._file_applications(applications)
        self.flush()

    def _message(self, document_id: int, row: Any = None) -> Any:
        message = self._messages.get(document_id)
        if message is None:
            if row is None:
                row = repository.documents(self.session, [document_id])[document_id]
            message = self._messages[document_id] = _load(row)
        return message

    def _file_lists(self, items: Sequence[Accepted]) -> list[ExportList]:
        if not items:
            return []
        docs = repository.documents(self.session, [i.document_id for i in items])
        existing = repository.lists_by_key(self.session, [i.business_key for i in items])
        now = self.clock()
        out: list[ExportList] = []
        for item in items:
            doc = docs[item.document_id]
            row = existing.get(item.business_key)
            if item.app_type == "3" or doc.deleted:
                if row is not None and row.status == ACCEPTED:
                    row.status, row.awaiting = REJECTED, False
                    self._receipt(row, REJECTED, "withdrawn by the sender (appType 3)")
                continue
            message = self._message(doc.id, doc)
            assert isinstance(message, CEB603Message)
            head = message.inventory.inventoryHead
            values = {
                "document_id": doc.id,
                "order_no": head.orderNo,
                "logistics_code": head.logisticsCode,
                "logistics_no": head.logisticsNo,
                "waiting_for": "",
                "ebp_code": head.ebpCode,
                "ebc_code": head.ebcCode,
                "agent_code": head.agentCode,
                "owner_code": head.ownerCode,
                "cop_no": head.copNo,
                "trade_mode": head.tradeMode,
                "statistics_flag": head.statisticsFlag,
                "customs_code": head.customsCode,
                "port_code": head.portCode,
                "traf_mode": head.trafMode,
                "country": head.country,
                "currency": head.currency,
                "gross_weight": head.grossWeight,
                "net_weight": head.netWeight,
                "total_price": sum(
                    (x.totalPrice for x in message.inventory.inventoryList), Decimal(0)
                ),
                "ie_date": parse_decl_date(head.ieDate),
                "status": ACCEPTED,
                "awaiting": True,
                "findings": "[]",
                "received_at": now,
            }
            if row is None:
                row = ExportList(business_key=item.business_key, **values)
                self.session.add(row)
                existing[item.business_key] = row
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                self.session.flush()
                self.session.execute(
                    delete(ExportListLine).where(ExportListLine.export_list_id == row.id)
                )
            out.append(row)
        self.session.flush()
        lines = []
        for row in out:
            if row.invt_no is None:
                row.invt_no = f"{row.customs_code}{row.ie_date.year}E{row.id % 1_000_000_000:09d}"
            message = self._message(row.document_id)
            for line in message.inventory.inventoryList:
                lines.append(
                    {
                        "export_list_id": row.id,
                        "gnum": int(line.gnum),
                        "gcode": line.gcode,
                        "gname": line.gname,
                        "qty": line.qty,
                        "unit": line.unit,
                        "total_price": line.totalPrice,
                    }
                )
        bulk.insert_many(self.session, ExportListLine.__tablename__, lines)
        self._filed_now.update(row.id for row in out)
        return out

    def _evaluate(self, rows: Sequence[ExportList]) -> None:
        now = self.clock()
        rows = [r for r in rows if r.status == ACCEPTED]
        uncached = [r.document_id for r in rows if r.document_id not in self._messages]
        for document_id, doc in repository.documents(self.session, uncached).items():
            self._message(document_id, doc)
        pairs = {(r.logistics_code or "", r.logistics_no or "") for r in rows}
        waybills = repository.waybill_documents(self.session, pairs)
        arrived = repository.moved(self.session, "arrival", pairs)
        for row in rows:
            message = self._message(row.document_id)
            wanted = checks.needs(row.trade_mode)
            missing: list[str] = []
            order = None
            if "order" in wanted:
                found = repository.document_by_key(
                    self.session, "export_order", f"{row.ebp_code}|{row.ebc_code}|{row.order_no}"
                )
                if found is None or found.deleted:
                    missing.append("order")
                else:
                    order = self._message(found.id, found)
                    assert isinstance(order, CEB303Message)
            pair = (row.logistics_code or "", row.logistics_no or "")
            waybill = None
            if "waybill" in wanted:
                if pair in waybills:
                    waybill = self._message(waybills[pair].id, waybills[pair])
                    assert isinstance(waybill, CEB505Message)
                else:
                    missing.append("waybill")
            if "arrival" in wanted and pair not in arrived:
                missing.append("arrival")
            filed_now = row.id in self._filed_now
            if missing:
                waits = ",".join(missing)
                if filed_now or waits != row.waiting_for:
                    what = checks.waiting_text(missing)
                    self._receipt(
                        row,
                        ACCEPTED,
                        f"{STATUS_TEXT[ACCEPTED]}: list {row.invt_no} "
                        + ("filed; waiting" if filed_now else "still waiting")
                        + f" for {what}",
                    )
                row.waiting_for = waits
                continue
            if filed_now:
                self._receipt(row, ACCEPTED, f"{STATUS_TEXT[ACCEPTED]}: list {row.invt_no} filed")
            findings = checks.check(
                message.inventory,
                order.order if order is not None else None,
                waybill.logistics if waybill is not None else None,
            )
            row.awaiting = False
            row.waiting_for = ""
            row.findings = json.dumps([f.as_dict() for f in findings], ensure_ascii=False)
            if findings:
                row.status = REJECTED
                self._receipt(row, REJECTED, "rejected: " + "; ".join(str(f) for f in findings))
            else:
                row.status = RELEASED
                row.released_at = now
                row.released_on = now.astimezone(CST).date()
                self._receipt(row, RELEASED, f"{STATUS_TEXT[RELEASED]} ({row.trade_mode})")

    # -- arrival reports and departures ---------------------------------------------------

    def _file_arrivals(self, items: Sequence[Accepted]) -> set[tuple[str, str]]:
        """Keep the waybills each arrival report names (even those nothing names yet: the
        waybill or list may follow); a line naming a waybill no waybill or list names, or
        named twice, is answered in a CEB508 receipt naming its path and rule."""
        if not items:
            return set()
        docs = repository.documents(self.session, [i.document_id for i in items])
        named: set[tuple[str, str]] = set()
        movements: list[dict[str, Any]] = []
        for item in items:
            message = self._message(item.document_id, docs[item.document_id])
            assert isinstance(message, CEB507Message)
            head = message.arrival.arrivalHead
            at = parse_app_time(head.appTime)
            mine: dict[str, int] = {}
            notes: list[FieldError] = []
            for n, line in enumerate(message.arrival.arrivalList, start=1):
                path = f"CEB507Message/Arrival/ArrivalList[{n}]/logisticsNo"
                if line.logisticsNo in mine:
                    notes.append(
                        FieldError(
                            path,
                            "X02.twice",
                            f"waybill {line.logisticsNo} is already line {mine[line.logisticsNo]}",
                        )
                    )
                    continue
                mine[line.logisticsNo] = n
                movements.append(
                    {
                        "kind": "arrival",
                        "logistics_code": head.logisticsCode,
                        "logistics_no": line.logisticsNo,
                        "document_id": item.document_id,
                        "operator_code": head.operatorCode,
                        "bill_no": head.billNo,
                        "at": at,
                        "created_at": self.clock(),
                    }
                )
            pairs = {(head.logisticsCode, no) for no in mine}
            named |= pairs
            known = set(repository.waybill_documents(self.session, pairs))
            known |= set(repository.lists_by_waybill(self.session, pairs))
            for no, n in mine.items():
                if (head.logisticsCode, no) not in known:
                    notes.append(
                        FieldError(
                            f"CEB507Message/Arrival/ArrivalList[{n}]/logisticsNo",
                            "X01.waybill",
                            f"no waybill (CEB505) or export list of {head.logisticsCode} "
                            f"names {no}; kept until one does",
                        )
                    )
            if notes:
                self._receipts.append(
                    receipt_row(
                        item.sender_code,
                        "CEB508",
                        "CEB507",
                        item.business_key,
                        ACCEPTED,
                        f"{STATUS_TEXT[ACCEPTED]}: {len(mine)} waybill(s) recorded; "
                        + "; ".join(str(f) for f in sorted(notes, key=lambda f: f.path)),
                        self.clock(),
                        _arrival_keys(head),
                    )
                )
        bulk.insert_many(self.session, ExportMovement.__tablename__, movements)
        return named

    def _depart(self, item: Accepted) -> None:
        """Close (899) the released lists leaving on the waybills a departure names; a line
        naming a waybill of no list, or of a list not released, is answered naming its path
        and rule (the goods of a list not released may not leave)."""
        docs = repository.documents(self.session, [item.document_id])
        message = self._message(item.document_id, docs[item.document_id])
        assert isinstance(message, CEB509Message)
        head = message.departure.departureHead
        left = parse_app_time(head.leaveTime)
        lines = message.departure.departureList
        pairs = {(head.logisticsCode, x.logisticsNo) for x in lines}
        lists = repository.lists_by_waybill(self.session, pairs)
        bulk.insert_many(
            self.session,
            ExportMovement.__tablename__,
            [
                {
                    "kind": "departure",
                    "logistics_code": head.logisticsCode,
                    "logistics_no": no,
                    "document_id": item.document_id,
                    "operator_code": head.operatorCode,
                    "bill_no": head.billNo,
                    "at": left,
                    "created_at": self.clock(),
                }
                for no in dict.fromkeys(x.logisticsNo for x in lines)
            ],
        )
        closed = 0
        notes: list[FieldError] = []
        for n, line in enumerate(lines, start=1):
            path = f"CEB509Message/Departure/DepartureList[{n}]/logisticsNo"
            rows = lists.get((head.logisticsCode, line.logisticsNo), [])
            if not rows:
                notes.append(
                    FieldError(
                        path,
                        "Y01.waybill",
                        f"no export list of {head.logisticsCode} leaves on {line.logisticsNo}",
                    )
                )
            for row in rows:
                if row.status == RELEASED:
                    row.status, row.exited_at = CLOSED, left
                    closed += 1
                    self._receipt(
                        row,
                        CLOSED,
                        f"{STATUS_TEXT[CLOSED]}: left {head.leaveTime} "
                        f"(departure {head.copNo}, {head.trafName or head.trafMode})",
                    )
                elif row.status == CLOSED:
                    notes.append(
                        FieldError(
                            path,
                            "Y03.once",
                            f"list {row.invt_no} on {line.logisticsNo} has already left",
                        )
                    )
                else:
                    state = "waiting" if row.status == ACCEPTED else STATUS_TEXT[row.status]
                    notes.append(
                        FieldError(
                            path,
                            "Y02.released",
                            f"list {row.invt_no} on {line.logisticsNo} is not released "
                            f"({row.status} {state}); its goods may not leave",
                        )
                    )
        info = f"{closed} list(s) closed" + (
            "; " + "; ".join(str(f) for f in notes) if notes else ""
        )
        self._receipts.append(
            receipt_row(
                item.sender_code,
                "CEB510",
                "CEB509",
                item.business_key,
                APPROVED if closed else REJECTED,
                info if closed else f"{STATUS_TEXT[REJECTED]}: {info}",
                self.clock(),
                {
                    "guid": head.guid,
                    "logisticsCode": head.logisticsCode,
                    "copNo": head.copNo,
                    "preNo": head.preNo,
                    "msgSeqNo": head.msgSeqNo,
                },
            )
        )
        if notes:
            log.info(
                "departure %s: %d list(s) closed, %d line(s) refused",
                head.copNo,
                closed,
                len(notes),
            )

    def _receipt(self, row: ExportList, status: int, info: str) -> None:
        message = self._message(row.document_id)
        head = message.inventory.inventoryHead
        self._doc_status[row.document_id] = status
        self._receipts.append(
            receipt_row(
                row.agent_code,
                "CEB604",
                "CEB603",
                row.business_key,
                status,
                info,
                self.clock(),
                {
                    "guid": head.guid,
                    "customsCode": row.customs_code,
                    "ebpCode": row.ebp_code,
                    "ebcCode": row.ebc_code,
                    "agentCode": row.agent_code,
                    "copNo": row.cop_no,
                    "invtNo": row.invt_no,
                },
            )
        )

    def _file_applications(self, items: Sequence[Accepted]) -> None:
        docs = repository.documents(self.session, [i.document_id for i in items])
        for item in items:
            message = self._message(item.document_id, docs[item.document_id])
            assert isinstance(message, CEB701Message)
            head = message.summaryApply.summaryApplyHead
            base = "CEB701Message/SummaryApply/SummaryApplyHead"
            status, info = ACCEPTED, ""
            if head.startTime[:6] != head.endTime[:6] or head.startTime > head.endTime:
                status, info = (
                    REJECTED,
                    str(
                        FieldError(
                            f"{base}/endTime",
                            "E10.period",
                            f"a summary covers one month, not {head.startTime}..{head.endTime}",
                        )
                    ),
                )
            else:
                period = f"{head.startTime[:4]}-{head.startTime[4:6]}"
                self.session.add(
                    ExportSummary(
                        period=period,
                        ebc_code=head.ebcCode,
                        agent_code=head.agentCode,
                        decl_agent_code=head.declAgentCode,
                        customs_code=head.customsCode,
                        summary_flag=head.summaryFlag,
                        item_name_flag=head.itemNameFlag,
                        named_lists=json.dumps(
                            [x.invtNo for x in message.summaryApply.summaryApplyList or []]
                        ),
                        document_id=item.document_id,
                        status="filed",
                        created_at=self.clock(),
                    )
                )
                info = f"application for {period} filed; summarised by the month's run"
            self._receipts.append(
                receipt_row(
                    item.sender_code,
                    "CEB702",
                    "CEB701",
                    item.business_key,
                    status if status == REJECTED else APPROVED,
                    info,
                    self.clock(),
                    {
                        "guid": head.guid,
                        "customsCode": head.customsCode,
                        "agentCode": head.agentCode,
                        "ebcCode": head.ebcCode,
                        "copNo": head.copNo,
                    },
                )
            )

    def flush(self) -> None:
        self.session.flush()
        if self._receipts:
            bulk.insert_many(self.session, Receipt.__tablename__, self._receipts)
            self._receipts = []
        if self._doc_status:
            bulk.update_many(
                self.session,
                Document.__tablename__,
                [{"id": i, "status": s} for i, s in self._doc_status.items()],
            )
            self._doc_status = {}

    # -- summary declarations -------------------------------------------------------------

    def summarise(
        self, period: str, *, run_on: date, key: Sequence[str] | str, deadline_day: int = 15
    ) -> SummaryRun:
        """Gather ``period``'s closed B lists (released, goods left) not yet summarised (by
        export date; released lists whose goods have not left are counted, not taken) into
        declarations: a summary per e-commerce enterprise (the one it filed, whose flags
        are honoured, or one made here), a declaration per group of the key, the links
        from every list line to its declaration line. Late when run after the deadline."""
        try:
            fields = parse_key(key)
        except ValueError as exc:
            raise BadRequest(str(exc), fields=[FieldError("key", "export.key", str(exc))]) from None
        first, last = month_bounds(period)
        # Before the month is read: a run started at the same time waits for this one.
        repository.lock_summary_run(self.session, period)
        frame = pl.read_database(
            repository.summary_lines(first, last),
            connection=self.session.connection(),
            schema_overrides=LINE_COLUMNS,
        )
        # The latest application of each enterprise counts, on every run of the month (a
        # later run, for lists that left late, honours its flags too); one it replaced is
        # never taken again.
        filed: dict[str, ExportSummary] = {}
        for s in repository.applications(self.session, period):
            earlier = filed.get(s.ebc_code)
            if earlier is not None and earlier.status == "filed":
                earlier.status = "superseded"
            filed[s.ebc_code] = s
        result = summarise(
            frame,
            fields,
            item_name_flags={ebc: s.item_name_flag for ebc, s in filed.items()},
            named={
                ebc: json.loads(s.named_lists) for ebc, s in filed.items() if s.summary_flag == "2"
            },
        )
        late = is_late(period, run_on, deadline_day)
        run = SummaryRun(
            period,
            late,
            fields,
            lists=frame["list_id"].n_unique(),
            list_lines=frame.height,
            not_exited=repository.not_exited(self.session, first, last),
        )
        self._write(run, result, filed)
        audit.record(
            self.session,
            actor_kind="system",
            actor="export",
            action="export.summarise",
            subject_kind="period",
            subject_key=period,
            details={
                "declarations": run.declaration_count,
                "lists": result.links["list_id"].n_unique(),
                "late": late,
                "key": list(fields),
                "notExited": run.not_exited,
            },
        )
        return run

    def _write(self, run: SummaryRun, result: Summary, filed: dict[str, ExportSummary]) -> None:
        now = self.clock()
        year, month = parse_period(run.period)
        decls = result.declarations
        summaries: dict[str, ExportSummary] = {}
        for ebc, port in (
            decls.group_by("ebc_code", maintain_order=True).agg(pl.col("port_code").first()).rows()
        ):
            s = filed.get(ebc) or ExportSummary(
                period=run.period,
                ebc_code=ebc,
                agent_code=ebc,
                decl_agent_code=ebc,
                customs_code=port,
                summary_flag="1",
                item_name_flag="0",
                named_lists="[]",
                created_at=now,
            )
            # an application summarised before stays late if an earlier run was
            s.status, s.summarised_at, s.late = "summarised", now, bool(s.late) or run.late
            self.session.add(s)
            summaries[ebc] = s
        self.session.flush()
        for s in summaries.values():
            s.sum_no = s.sum_no or f"{s.customs_code}{year}{month:02d}S{s.id % 10_000_000:07d}"
        # Declarations, links and list updates go in bulk, their rows made by polars: a
        # month may hold a million lists.
        summary_of = {ebc: x.id for ebc, x in summaries.items()}
        goods = (
            result.lines.sort("decl", "decl_gnum")
            .group_by("decl", maintain_order=True)
            .agg(
                pl.struct(
                    gnum=pl.col("decl_gnum"),
                    gcode=pl.col("gcode"),
                    gname=pl.col("gname"),
                    qty=_money("qty_e5"),
                    unit=pl.col("unit"),
                    totalPrice=_money("price_e5"),
                )
                .struct.json_encode()
                .str.join(",")
                .alias("lines")
            )
        )
        # Declaration numbers: exit port (4), year (4), 1 (export), a 9-digit serial above
        # every row id so far; a serial never exceeds its row's id, so never repeats.
        base = repository.last_declaration_id(self.session)
        decl_rows = (
            decls.join(goods, on="decl", how="left")
            .sort("decl")
            .select(
                summary_id=pl.col("ebc_code").replace_strict(summary_of, return_dtype=pl.Int64),
                entry_id=pl.col("port_code")
                + pl.lit(f"{year}1")
                + ((pl.int_range(pl.len()) + base + 1) % 1_000_000_000)
                .cast(pl.String)
                .str.zfill(9),
                period=pl.lit(run.period),
                ebc_code="ebc_code",
                owner_code="owner_code",
                trade_mode="trade_mode",
                traf_mode="traf_mode",
                country="country",
                port_code="port_code",
                currency="currency",
                group_key=pl.struct(list(run.key)).struct.json_encode(),
                list_count=pl.col("list_count").cast(pl.Int64),
                total_price=_money("price_e5"),
                gross_weight=_money("gross_e5"),
                net_weight=_money("net_e5"),
                lines=pl.lit("[") + pl.col("lines").fill_null("") + pl.lit("]"),
                dec_state=pl.lit("10"),
                late=pl.lit(run.late),
                created_at=pl.lit(now),
            )
        )
        new_ids = bulk.insert_many(
            self.session, ExportDeclaration.__tablename__, decl_rows.to_dicts()
        )
        ids = pl.DataFrame(
            {"decl": decls["decl"].sort(), "declaration_id": pl.Series(new_ids, dtype=pl.Int64)}
        )
        links = result.links.join(ids, on="decl").select(
            "declaration_id",
            export_list_id="list_id",
            invt_no="invt_no",
            gnum="gnum",
            decl_gnum="decl_gnum",
        )
        bulk.insert_many(self.session, ExportDeclarationLink.__tablename__, links.to_dicts())
        per_ebc = repository.entry_ids_by_enterprise(
            self.session, [x.id for x in summaries.values() if x.document_id is not None], 20
        )
        for ebc, s in summaries.items():
            count, mine = per_ebc.get(s.id, (0, []))
            if s.document_id is not None:
                self._receipts.append(
                    receipt_row(
                        s.agent_code,
                        "CEB702",
                        "CEB701",
                        f"{s.agent_code}|summary",
                        APPROVED,
                        f"summarised into {count} declaration(s): "
                        + ", ".join(mine)
                        + (" ..." if count > len(mine) else "")
                        + (" (late)" if run.late else ""),
                        now,
                        {
                            "customsCode": s.customs_code,
                            "agentCode": s.agent_code,
                            "ebcCode": ebc,
                            "copNo": "-",
                            "sumNo": s.sum_no,
                        },
                    )
                )
        run.declaration_count = len(new_ids)
        run.declarations = list(repository.declarations_by_ids(self.session, new_ids[:SHOWN]))
        run.summaries = list(summaries.values())
        self.flush()

    # -- reading ----------------------------------------------------------------------

    def declarations(
        self, period: str | None = None, ebc_code: str | None = None
    ) -> Sequence[ExportDeclaration]:
        if period is not None:
            month_bounds(period)
        return repository.declarations(self.session, period, ebc_code)

    def links(self, declaration_ids: Sequence[int]) -> Sequence[ExportDeclarationLink]:
        return repository.links_of(self.session, declaration_ids)

    def declaration(self, entry_id: str, ebc_code: str | None = None) -> ExportDeclaration:
        row = repository.declaration(self.session, entry_id)
        if row is None or (ebc_code is not None and row.ebc_code != ebc_code):
            raise NotFound(f"no export declaration {entry_id}")
        return row

    def ceb792(self, row: ExportDeclaration) -> CEB792Message:
        """The summary result (CEB792) of one declaration, with its list links."""
        summary = repository.summary(self.session, row.summary_id)
        assert summary is not None
        links = repository.links_of(self.session, [row.id])
        guid = f"CEB792-{row.entry_id}"
        return CEB792Message.model_validate(
            {
                "guid": guid,
                "summaryResult": {
                    "summaryResultHead": {
                        "guid": guid,
                        "customsCode": summary.customs_code,
                        "sumNo": summary.sum_no,
                        "entryId": row.entry_id,
                        "decState": row.dec_state,
                        "ebcCode": row.ebc_code,
                        "ownerCode": row.owner_code,
                        "declAgentCode": summary.decl_agent_code,
                        "tradeMode": row.trade_mode,
                        "trafMode": row.traf_mode,
                        "country": row.country,
                        "portCode": row.port_code,
                        "currency": row.currency,
                        "totalPrice": row.total_price,
                        "grossWeight": row.gross_weight,
                        "netWeight": row.net_weight,
                        "invtCount": str(row.list_count),
                        "late": "1" if row.late else "0",
                        "returnTime": format_return_time(row.created_at),
                    },
                    "summaryResultList": [
                        {**line, "gnum": str(line["gnum"]), "currency": row.currency}
                        for line in json.loads(row.lines)
                    ],
                    "summaryResultInvt": [
                        {"invtNo": x.invt_no, "gnum": str(x.gnum), "declGnum": str(x.decl_gnum)}
                        for x in links
                    ],
                },
            }
        )

    def statistics(self, period: str) -> dict[str, dict[str, Any]]:
        """Per trade mode (9610, 9710, 9810, 1210 apart): lists received in the month by
        export date, released (closed ones included), exited (closed), rejected, waiting,
        the value released, and declarations."""
        first, last = month_bounds(period)
        out: dict[str, dict[str, Any]] = {}

        def mode(trade_mode: str) -> dict[str, Any]:
            return out.setdefault(
                trade_mode,
                {
                    "lists": 0,
                    "released": 0,
                    "rejected": 0,
                    "awaiting": 0,
                    "exited": 0,
                    "releasedValue": Decimal(0),
                    "declarations": 0,
                    "listsSummarised": 0,
                    "declaredValue": Decimal(0),
                },
            )

        rows = repository.statistics(self.session, first, last)
        for trade_mode, status, awaiting, summarised, count, value in rows:
            m = mode(trade_mode)
            m["lists"] += count
            if summarised:
                m["listsSummarised"] += count
            if status in (RELEASED, CLOSED):
                m["released"] += count
                m["releasedValue"] += Decimal(value)
                if status == CLOSED:
                    m["exited"] += count
            elif status == REJECTED:
                m["rejected"] += count
            elif awaiting:
                m["awaiting"] += count
        for trade_mode, count, value in repository.declaration_statistics(self.session, period):
            m = mode(trade_mode)
            m["declarations"] += count
            m["declaredValue"] += Decimal(value)
        return dict(sorted(out.items()))


def _arrival_keys(head: Any) -> dict[str, Any]:
    return {
        "guid": head.guid,
        "operatorCode": head.operatorCode,
        "logisticsCode": head.logisticsCode,
        "preNo": head.preNo,
        "copNo": head.copNo,
        "billNo": head.billNo,
        "msgSeqNo": head.msgSeqNo,
    }


def _money(column: str) -> pl.Expr:
    """An integer column of 10^-5 units as exact decimal text: 4000000 -> "40.00000"."""
    value = pl.col(column)
    return (value // 100_000).cast(pl.String) + "." + (value % 100_000).cast(pl.String).str.zfill(5)


def run_day(moment: datetime) -> date:
    """The customs (Beijing) date of a moment."""
    return moment.astimezone(CST).date()
