"""The bonded stock ledger: goods enter with CEB711 entries, are reserved when a 1210 list
is approved, leave when it is released, come back when a released list is cancelled or
returned; officers count them at the shelf and correct the book with reasons.

:class:`Warehouse` is an intake listener (CEB711 entries) and, through :func:`on_move`, a
clearance move hook (lists changing state), both in the caller's transaction. It never
commits.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.clearance.service import Move, Policy
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.intake.pipeline import Accepted
from cbec.intake.service import receipt_row
from cbec.messages.fields import parse_app_time
from cbec.messages.models import MESSAGE_TYPES, CEB711Message
from cbec.messages.receipts import (
    APPROVED,
    CLOSED,
    DETAINED_ANTI_SMUGGLING,
    REJECTED,
    RELEASED,
    RETURNED,
)
from cbec.risk import service as risk_service
from cbec.risk.rules import Action
from cbec.risk.schemas import FlagIn, InstructionIn
from cbec.store import bulk
from cbec.store.models import (
    BondedAccount,
    BondedGoods,
    ControlInstruction,
    Declaration,
    Receipt,
    StockCount,
    StockMovement,
    StockReservation,
    utcnow,
)
from cbec.warehouse import repository
from cbec.warehouse.ledger import Book, Kind, StockError, apply, discrepancy_score

log = logging.getLogger("cbec.warehouse")

BONDED_MODES = frozenset({"1210", "1239"})
#: session.info key: whether the store keeps any bonded account (asked once per session)
_HAS_ACCOUNTS = "cbec.warehouse.has_accounts"


@dataclass(slots=True)
class _Line:
    goods: BondedGoods | None
    qty: Decimal
    item_record_no: str
    gcode: str
    gname: str
    bar_code: str | None
    unit: str


@dataclass(slots=True)
class ScanResult:
    """What a handheld shows for one item on one account."""

    goods: BondedGoods
    account: BondedAccount
    shelf_days: int | None
    instructions: list[ControlInstruction] = field(default_factory=list)
    last_count: StockCount | None = None


class Warehouse:
    """The ledger on one session."""

    def __init__(self, session: Session, *, clock: Any = utcnow) -> None:
        self.session = session
        self.clock = clock
        self._receipts: list[dict[str, Any]] = []

    # -- booking ------------------------------------------------------------------------

    def book(
        self,
        goods: BondedGoods,
        kind: Kind,
        qty: Decimal,
        *,
        at: datetime | None = None,
        document_id: int | None = None,
        declaration_id: int | None = None,
        count_id: int | None = None,
        reference: str = "",
        reason: str = "",
        actor: str = "system",
    ) -> StockMovement:
        """Apply one movement to ``goods`` and record it (StockError if it cannot be)."""
        at = at or self.clock()
        before = Book(goods.on_hand or Decimal(0), goods.reserved or Decimal(0))
        change = apply(before, kind, qty)
        goods.on_hand, goods.reserved = change.book.on_hand, change.book.reserved
        if change.on_hand_delta > 0 and before.on_hand == 0:
            goods.stock_since = at  # the oldest stock on hand entered now
        if goods.on_hand == 0:
            goods.stock_since = None
        if kind is Kind.INBOUND:
            goods.last_entry_at = at
        movement = StockMovement(
            goods_id=goods.id,
            kind=kind.value,
            on_hand_delta=change.on_hand_delta,
            reserved_delta=change.reserved_delta,
            on_hand_after=goods.on_hand,
            reserved_after=goods.reserved,
            document_id=document_id,
            declaration_id=declaration_id,
            count_id=count_id,
            reference=reference[:60],
            reason=reason,
            actor=actor[:64],
            at=at,
        )
        self.session.add(movement)
        return movement

    # -- CEB711 entries (intake listener) -------------------------------------------------

    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        """Intake accepted ``items``: book the bonded entries among them."""
        entries = [i for i in items if i.kind == "bonded_entry"]
        if not entries:
            return
        rows = {
            r.id: r for r in repository.entry_documents(session, [i.document_id for i in entries])
        }
        for item in entries:
            row = rows[item.document_id]
            message = item.message
            if not isinstance(message, CEB711Message):
                message = MESSAGE_TYPES[row.message_type].model_validate_json(row.body)
            assert isinstance(message, CEB711Message)
            status, info = self._enter(item, message)
            head = message.bondedEntry.bondedEntryHead
            self._receipts.append(
                receipt_row(
                    item.sender_code,
                    "CEB712",
                    "CEB711",
                    item.business_key,
                    status,
                    info,
                    self.clock(),
                    {
                        "guid": head.guid,
                        "customsCode": head.customsCode,
                        "areaCode": head.areaCode,
                        "emsNo": head.emsNo,
                        "entryNo": head.entryNo,
                    },
                    ori_guid=message.guid,
                )
            )
        self.flush()

    def _enter(self, item: Accepted, message: CEB711Message) -> tuple[int, str]:
        """Book one entry (or its modification or withdrawal); returns the receipt status
        and text. A refused entry leaves the book as it was."""
        head = message.bondedEntry.bondedEntryHead
        base = "CEB711Message/BondedEntry/BondedEntryHead"
        account = repository.account(self.session, head.emsNo)
        if account is not None and account.area_code != head.areaCode:
            return REJECTED, str(
                FieldError(
                    f"{base}/emsNo",
                    "W01.account",
                    f"account {head.emsNo} is kept by zone operator {account.area_code}",
                )
            )
        if account is not None and account.ebc_code != head.ebcCode:
            return REJECTED, str(
                FieldError(
                    f"{base}/ebcCode",
                    "W01.account",
                    f"account {head.emsNo} belongs to {account.ebc_code}, not {head.ebcCode}",
                )
            )
        lines: list[_Line] = []
        first_line: dict[str, tuple[int, str]] = {}  # itemRecordNo -> its first line, HS
        if item.app_type != "3":
            for n, line in enumerate(message.bondedEntry.bondedEntryList, start=1):
                k, gcode = first_line.setdefault(line.itemRecordNo, (n, line.gcode))
                if gcode != line.gcode:
                    return REJECTED, str(
                        FieldError(
                            f"CEB711Message/BondedEntry/BondedEntryList[{n}]/gcode",
                            "W02.goods",
                            f"item {line.itemRecordNo} is line {k} as HS {gcode}",
                        )
                    )
                found = (
                    repository.goods(self.session, account.id, line.itemRecordNo)
                    if account is not None
                    else None
                )
                if found is not None and found.gcode != line.gcode:
                    return REJECTED, str(
                        FieldError(
                            f"CEB711Message/BondedEntry/BondedEntryList[{n}]/gcode",
                            "W02.goods",
                            f"item {line.itemRecordNo} is on the book as HS {found.gcode}",
                        )
                    )
                lines.append(
                    _Line(
                        found,
                        line.qty,
                        line.itemRecordNo,
                        line.gcode,
                        line.gname,
                        line.barCode,
                        line.unit,
                    )
                )
        at = parse_app_time(head.entryTime) if item.app_type == "1" else self.clock()
        # Reverse what an earlier version of this entry booked (modify, delete) first.
        reversal = (
            repository.entry_net(self.session, item.document_id) if item.app_type != "1" else {}
        )
        goods_rows = repository.goods_by_ids(self.session, reversal)
        try:
            for goods_id, net in reversal.items():
                if net:
                    self._check(goods_rows[goods_id], Kind.ENTRY_REVERSAL, -net, lines)
        except StockError as exc:
            return REJECTED, str(
                FieldError(
                    f"{base}/appType", exc.rule, f"the entry cannot be changed: {exc.message}"
                )
            )
        for goods_id, net in reversal.items():
            if net:
                self.book(
                    goods_rows[goods_id],
                    Kind.ENTRY_REVERSAL,
                    -net,
                    at=self.clock(),
                    document_id=item.document_id,
                    reference=head.entryNo,
                    reason="entry modified" if item.app_type == "2" else "entry withdrawn",
                    actor=item.sender_code,
                )
        if item.app_type == "3":
            return APPROVED, f"entry {head.entryNo} withdrawn from account {head.emsNo}"
        if account is None:
            account = BondedAccount(
                ems_no=head.emsNo,
                area_code=head.areaCode,
                ebc_code=head.ebcCode,
                customs_code=head.customsCode,
                created_at=self.clock(),
            )
            self.session.add(account)
            self.session.flush()
            self.session.info[_HAS_ACCOUNTS] = True
        for wanted in lines:
            goods = wanted.goods or repository.goods(
                self.session, account.id, wanted.item_record_no
            )
            if goods is None:
                goods = BondedGoods(
                    account_id=account.id,
                    item_record_no=wanted.item_record_no,
                    gcode=wanted.gcode,
                    gname=wanted.gname,
                    bar_code=wanted.bar_code,
                    unit=wanted.unit,
                    on_hand=Decimal(0),
                    reserved=Decimal(0),
                )
                self.session.add(goods)
                self.session.flush()
            elif wanted.bar_code and not goods.bar_code:
                goods.bar_code = wanted.bar_code
            self.book(
                goods,
                Kind.INBOUND,
                wanted.qty,
                at=at,
                document_id=item.document_id,
                reference=head.entryNo,
                reason=f"entry {head.entryNo}",
                actor=item.sender_code,
            )
        total = sum((x.qty for x in lines), Decimal(0))
        return APPROVED, (
            f"entry {head.entryNo}: {len(lines)} line(s), {total.normalize():f} unit(s) "
            f"entered into account {head.emsNo}"
        )

    def _check(self, goods: BondedGoods, kind: Kind, qty: Decimal, lines: list[_Line]) -> None:
        # A modification adds its new lines right after the reversal: only what the
        # reversal leaves plus what the new version adds must cover the reservations.
        back = sum((x.qty for x in lines if x.item_record_no == goods.item_record_no), Decimal(0))
        book = Book(goods.on_hand + back, goods.reserved)
        apply(book, kind, qty)

    # -- lists changing state (clearance move hook) --------------------------------------

    def moved(self, move: Move) -> None:
        """Reserve on approval, move out on release (or seizure), release the reservation
        when the list is rejected or returned, put goods back when a released list is
        cancelled or returned: only what left with its release, never what was seized
        (a seized list that anti-smuggling later releases takes nothing more out of the
        book, and its cancellation puts nothing back)."""
        d = move.declaration
        if d.trade_mode not in BONDED_MODES or not self._has_accounts():
            return
        target = move.to_status
        if target == APPROVED:
            self._reserve(move)
        elif target == RELEASED:
            self._close(d, Kind.OUTBOUND, "open", "consumed", move.at, move.reason, move.actor)
        elif target == DETAINED_ANTI_SMUGGLING:
            self._close(d, Kind.SEIZURE, "open", "seized", move.at, move.reason, move.actor)
        elif target in (REJECTED, RETURNED):
            self._close(d, Kind.UNRESERVE, "open", "returned", move.at, move.reason, move.actor)
        elif target == CLOSED and move.from_status == RELEASED:
            document_id = repository.latest_return_document(self.session, d.order_no)
            self._close(
                d,
                Kind.RETURN,
                "consumed",
                "returned",
                move.at,
                move.reason,
                move.actor,
                document_id,
            )

    def undo(self, moves: Sequence[Move]) -> None:
        """Undo what :meth:`moved` did for ``moves`` (the last first) of a list whose
        decision faulted: stock that went out comes back, reservations are released. The
        ledger keeps both movements, so it shows what happened."""
        for move in moves:
            d = move.declaration
            if d.trade_mode not in BONDED_MODES or not self._has_accounts():
                continue
            reason = f"decision of {d.invt_no or d.business_key} failed: {move.reason}"[:500]
            if move.to_status in (RELEASED, DETAINED_ANTI_SMUGGLING):
                taken = "consumed" if move.to_status == RELEASED else "seized"
                self._close(
                    d, Kind.RETURN, taken, "returned", move.at, reason, "system", d.document_id
                )
            elif move.to_status == APPROVED:
                self._close(d, Kind.UNRESERVE, "open", "returned", move.at, reason, "system")

    def _has_accounts(self) -> bool:
        known = self.session.info.get(_HAS_ACCOUNTS)
        if known is None:
            known = self.session.info[_HAS_ACCOUNTS] = repository.any_account(self.session)
        return bool(known)

    def _reserve(self, move: Move) -> None:
        d = move.declaration
        inventory = move.load_list().inventory
        ems_no = inventory.inventoryHead.emsNo
        account = repository.account(self.session, ems_no) if ems_no else None
        if account is None:
            return  # a book cbec does not keep
        if account.ebc_code != d.ebc_code:
            # Another enterprise's book: its goods are not this list's to take. Clearance
            # sent the list to review (C11.account); a reviewer approved it anyway. Nothing
            # is reserved (so nothing moves out on release); risk analysts see why.
            log.warning(
                "list %s of %s names account %s of %s: its stock is not touched",
                d.invt_no,
                d.ebc_code,
                account.ems_no,
                account.ebc_code,
            )
            risk_service.add_flag(
                self.session,
                FlagIn(
                    subject_kind="enterprise",
                    subject_key=d.ebc_code,
                    source="warehouse",
                    kind="bonded_account_mismatch",
                    score=1.0,
                    reason=(
                        f"list {d.invt_no} of {d.ebc_code} names bonded account {account.ems_no}"
                        f", kept for {account.ebc_code}: its stock was not reserved or moved"
                    ),
                ),
                by=Actor.system("warehouse"),
            )
            return
        wanted: dict[str, Decimal] = {}
        for line in inventory.inventoryList:
            if line.itemRecordNo:
                wanted[line.itemRecordNo] = wanted.get(line.itemRecordNo, Decimal(0)) + line.qty
        # one reservation per goods and list: one given back by an undone decision is reused
        given_back = {
            r.goods_id: r
            for r in repository.open_reservations(self.session, d.id)
            if r.status == "returned"
        }
        for item_record_no, qty in wanted.items():
            goods = repository.goods(self.session, account.id, item_record_no)
            if goods is None:
                log.warning(
                    "list %s takes item %s, never entered into account %s",
                    d.invt_no,
                    item_record_no,
                    account.ems_no,
                )
                continue
            take = min(qty, max(goods.on_hand - goods.reserved, Decimal(0)))
            if take > 0:
                self.book(
                    goods,
                    Kind.RESERVE,
                    take,
                    at=move.at,
                    document_id=d.document_id,
                    declaration_id=d.id,
                    reference=d.invt_no or "",
                    reason="list approved",
                )
            if take < qty:
                log.warning(
                    "list %s: %s of item %s asked for, %s free in account %s",
                    d.invt_no,
                    qty,
                    item_record_no,
                    take,
                    account.ems_no,
                )
            earlier = given_back.get(goods.id)
            if earlier is not None:  # a decision that faulted gave it back: take it again
                earlier.requested, earlier.qty, earlier.status = qty, take, "open"
                earlier.created_at, earlier.closed_at = move.at, None
                continue
            self.session.add(
                StockReservation(
                    goods_id=goods.id,
                    declaration_id=d.id,
                    invt_no=d.invt_no or "",
                    requested=qty,
                    qty=take,
                    status="open",
                    created_at=move.at,
                )
            )

    def _close(
        self,
        d: Declaration,
        kind: Kind,
        status: str,
        new_status: str,
        at: datetime,
        reason: str,
        actor: str,
        document_id: int | None = None,
    ) -> None:
        self.session.flush()
        reservations = [
            r for r in repository.open_reservations(self.session, d.id) if r.status == status
        ]
        goods = repository.goods_by_ids(self.session, [r.goods_id for r in reservations])
        for r in reservations:
            if r.qty > 0:
                self.book(
                    goods[r.goods_id],
                    kind,
                    r.qty,
                    at=at,
                    document_id=document_id or d.document_id,
                    declaration_id=d.id,
                    reference=d.invt_no or "",
                    reason=reason[:500],
                    actor=actor,
                )
            r.status, r.closed_at = new_status, at

    # -- officers at the shelf ----------------------------------------------------------

    def find(self, code: str, ems_no: str | None = None) -> list[tuple[BondedGoods, BondedAccount]]:
        found = list(repository.goods_by_code(self.session, code, ems_no))
        if not found:
            where = f" on account {ems_no}" if ems_no else ""
            raise NotFound(f"no bonded goods with bar code or item record number {code}{where}")
        return found

    def one(self, code: str, ems_no: str | None = None) -> tuple[BondedGoods, BondedAccount]:
        found = self.find(code, ems_no)
        if len(found) > 1:
            accounts = ", ".join(a.ems_no for _, a in found)
            raise BadRequest(
                f"{code} is on several accounts ({accounts}); name one",
                fields=[FieldError("emsNo", "warehouse.ambiguous", f"one of {accounts}")],
            )
        return found[0]

    def scan(self, code: str, ems_no: str | None = None) -> list[ScanResult]:
        """Every item the scanned code names, with its book and what stands against it."""
        found = self.find(code, ems_no)
        now = self.clock()
        counts = repository.last_counts(self.session, [g.id for g, _ in found])
        out = []
        for goods, account in found:
            prefixes = [goods.gcode[:n] for n in (2, 4, 6, 8, 10)]
            out.append(
                ScanResult(
                    goods,
                    account,
                    shelf_days(goods.stock_since, now),
                    list(repository.instructions_for_codes(self.session, prefixes)),
                    counts.get(goods.id),
                )
            )
        return out

    def count(
        self,
        code: str,
        counted: Decimal,
        *,
        officer: str,
        note: str = "",
        ems_no: str | None = None,
    ) -> StockCount:
        """Record what an officer counted at the shelf. A count that differs from the book
        raises an alert in the risk database (a flag on the account's e-commerce enterprise,
        source ``warehouse``); the book is corrected only by an adjustment."""
        if counted < 0:
            raise BadRequest(
                "a count is not negative",
                fields=[FieldError("counted", "warehouse.count", "must be 0 or more")],
            )
        goods, account = self.one(code, ems_no)
        now = self.clock()
        row = StockCount(
            goods_id=goods.id,
            counted=counted,
            book=goods.on_hand,
            difference=counted - goods.on_hand,
            officer=officer,
            note=note,
            at=now,
        )
        self.session.add(row)
        self.session.flush()
        if row.difference != 0:
            flag = risk_service.add_flag(
                self.session,
                FlagIn(
                    subject_kind="enterprise",
                    subject_key=account.ebc_code,
                    source="warehouse",
                    kind="stock_discrepancy",
                    score=discrepancy_score(goods.on_hand, counted),
                    reason=(
                        f"count {row.id}: item {goods.item_record_no} ({goods.gname}) on account "
                        f"{account.ems_no} of zone operator {account.area_code}: counted "
                        f"{_num(counted)}, book {_num(goods.on_hand)} "
                        f"(difference {_num(row.difference)})"
                    ),
                ),
                by=Actor.officer(officer),
            )
            row.risk_flag_id = flag.id
        audit.record(
            self.session,
            actor_kind="officer",
            actor=officer,
            action="warehouse.count",
            subject_kind="bonded_goods",
            subject_key=f"{account.ems_no}/{goods.item_record_no}",
            reason=note or None,
            details={"counted": counted, "book": goods.on_hand, "difference": row.difference},
        )
        return row

    def adjust(
        self,
        code: str,
        delta: Decimal,
        *,
        reason: str,
        officer: str,
        ems_no: str | None = None,
        count_id: int | None = None,
    ) -> StockMovement:
        """Correct the book by ``delta`` (signed), with a reason; never below what is on it
        or reserved."""
        if not reason.strip():
            raise BadRequest(
                "an adjustment needs a reason",
                fields=[FieldError("reason", "required", "say why the book changes")],
            )
        if delta == 0:
            raise BadRequest(
                "an adjustment changes the book",
                fields=[FieldError("delta", "warehouse.adjustment", "must not be 0")],
            )
        goods, account = self.one(code, ems_no)
        if count_id is not None:
            counted = self.session.get(StockCount, count_id)
            if counted is None or counted.goods_id != goods.id:
                raise BadRequest(
                    f"count {count_id} is not a count of {goods.item_record_no} "
                    f"on account {account.ems_no}",
                    fields=[
                        FieldError(
                            "countId",
                            "warehouse.count",
                            f"the id of a count of {goods.item_record_no} on account "
                            f"{account.ems_no}",
                        )
                    ],
                )
        try:
            movement = self.book(
                goods, Kind.ADJUSTMENT, delta, count_id=count_id, reason=reason, actor=officer
            )
        except StockError as exc:
            raise BadRequest(
                f"the book of {goods.item_record_no} cannot change by {_num(delta)}: {exc.message}",
                fields=[FieldError("delta", exc.rule, exc.message)],
            ) from None
        self.session.flush()
        audit.record(
            self.session,
            actor_kind="officer",
            actor=officer,
            action="warehouse.adjust",
            subject_kind="bonded_goods",
            subject_key=f"{account.ems_no}/{goods.item_record_no}",
            reason=reason,
            details={"delta": delta, "on_hand": goods.on_hand},
        )
        return movement

    def instruct(
        self,
        code: str,
        *,
        action: str,
        reason: str,
        officer: str,
        policy: Policy,
        ems_no: str | None = None,
    ) -> tuple[ControlInstruction, list[str]]:
        """A control instruction on the spot: ``hold`` or ``inspect`` the lists of these
        goods. It targets the goods' 10-digit HS code (the finest target clearance matches
        on), so lists of the same code from other books meet it too."""
        if not reason.strip():
            raise BadRequest(
                "an instruction needs a reason",
                fields=[FieldError("reason", "required", "say why the goods are stopped")],
            )
        actions = {"hold": Action.HOLD, "inspect": Action.OPEN_INSPECTION}
        if action not in actions:
            raise BadRequest(
                f"unknown action {action!r}",
                fields=[FieldError("action", "warehouse.action", "hold or inspect")],
            )
        goods, account = self.one(code, ems_no)
        return risk_service.issue_instruction(
            self.session,
            InstructionIn(
                target_kind="hs_code",
                target_value=goods.gcode,
                action=actions[action],
                reason=(
                    f"warehouse {account.ems_no} item {goods.item_record_no} ({goods.gname}): "
                    f"{reason}"
                ),
            ),
            by=Actor.officer(officer),
            policy=policy,
        )

    def over_shelf_time(self, days: int) -> list[ScanResult]:
        """Goods whose oldest stock on hand entered more than ``days`` days ago."""
        now = self.clock()
        return [
            ScanResult(g, a, shelf_days(g.stock_since, now))
            for g, a in repository.over_shelf(self.session, now - timedelta(days=days))
        ]

    def ledger(
        self, code: str, ems_no: str | None = None
    ) -> tuple[BondedGoods, BondedAccount, Sequence[StockMovement]]:
        goods, account = self.one(code, ems_no)
        return goods, account, repository.movements(self.session, goods.id)

    def account_goods(self, ems_no: str) -> tuple[BondedAccount, Sequence[BondedGoods]]:
        account = repository.account(self.session, ems_no)
        if account is None:
            raise NotFound(f"no bonded account {ems_no}")
        return account, repository.goods_of_account(self.session, account.id)

    def flush(self) -> None:
        self.session.flush()
        if self._receipts:
            bulk.insert_many(self.session, Receipt.__tablename__, self._receipts)
            self._receipts = []


def shelf_days(since: datetime | None, now: datetime) -> int | None:
    """Whole days since ``since`` (None when nothing is on the shelf)."""
    return None if since is None else max(0, (now - since).days)


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def account_owners(session: Session, ems_nos: Collection[str]) -> Mapping[str, str]:
    """The clearance lookup of who keeps bonded accounts (rule C11.account: a list naming
    another enterprise's account goes to review; see :mod:`cbec.warehouse.wiring`)."""
    if not Warehouse(session)._has_accounts():
        return {}
    return repository.account_owners(session, ems_nos)


def on_move(session: Session, move: Move) -> None:
    """The clearance move hook (see :mod:`cbec.warehouse.wiring`)."""
    Warehouse(session).moved(move)


def on_undo(session: Session, moves: Sequence[Move]) -> None:
    """The clearance undo hook: deciding a list faulted after these moves (the last
    first); put its stock back as it was (see :mod:`cbec.warehouse.wiring`)."""
    Warehouse(session).undo(moves)
