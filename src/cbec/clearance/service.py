"""Clearance: every retail import list is matched with its order, payment and waybill,
checked, taxed and decided, with a receipt to its sender at each step.

:class:`Clearance` is an intake listener: intake calls it in the same transaction with every
document it accepted, so a list is decided the moment its last document arrives. Services
never commit; the edge that called intake commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.catalog import service as catalog_service
from cbec.catalog.snapshot import CatalogSnapshot, MissingParameter
from cbec.clearance import checks, repository
from cbec.clearance.classes import ClassRates, rates_for
from cbec.clearance.compare import compare
from cbec.clearance.decision import (
    Decision,
    Exploration,
    Inspection,
    NoRisk,
    Outcome,
    Rates,
    RiskAssessor,
    decide,
)
from cbec.clearance.findings import Finding
from cbec.clearance.states import COUNTS_AGAINST_QUOTA, DETAINED, check_move, name
from cbec.clearance.taxes import TaxResult, compute_tax
from cbec.config import Settings
from cbec.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound
from cbec.intake.pipeline import Accepted
from cbec.intake.service import receipt_row
from cbec.messages.fields import CST, parse_decl_date
from cbec.messages.models import (
    MESSAGE_TYPES,
    CEB311Message,
    CEB411Message,
    CEB511Message,
    CEB621Message,
    CEB623Message,
    CEB625Message,
)
from cbec.messages.receipts import (
    ACCEPTED,
    APPROVED,
    CLOSED,
    DETAINED_ANTI_SMUGGLING,
    DETAINED_CLEARANCE,
    DETAINED_LEGAL,
    DETAINED_OTHER,
    INSPECTION,
    MANUAL_REVIEW,
    REJECTED,
    RELEASED,
    RETURNED,
    STATUS_TEXT,
)
from cbec.officers.roles import Role
from cbec.privacy import blind_id, proof_key, province_of, scrub
from cbec.store import bulk
from cbec.store.models import (
    Declaration,
    DeclarationEvent,
    Document,
    QuotaUsage,
    Receipt,
    TaxBill,
    utcnow,
)
from cbec.store.retry import STORE_ERRORS, is_retryable

log = logging.getLogger("cbec.clearance")

#: Called in the same transaction after an inspector records a seizure (session, list,
#: officer, details): the risk package opens a case. Registered by the assembly.
SeizureHook = Callable[[Session, Declaration, str, str], None]
_seizure_hooks: dict[str, SeizureHook] = {}


def on_seizure(name: str, hook: SeizureHook) -> None:
    """Call ``hook`` after every seizure (registering a name again replaces it)."""
    _seizure_hooks[name] = hook


#: Called when a detention ends: (session, list, from status, action, officer, reason).
DetentionHook = Callable[[Session, Declaration, int, str, str, str], None]
_detention_hooks: dict[str, DetentionHook] = {}


def on_detention_end(name: str, hook: DetentionHook) -> None:
    """Call ``hook`` after every detention an officer ends, release or return (registering
    a name again replaces it)."""
    _detention_hooks[name] = hook


@dataclass(frozen=True, slots=True)
class Move:
    """A list changing state, as move hooks see it (in the transaction that moves it)."""

    declaration: Declaration
    from_status: int
    to_status: int
    reason: str
    at: datetime
    actor: str
    #: the list's CEB621 message (parsed once per run, on demand)
    load_list: Callable[[], CEB621Message]


#: Called in the same transaction whenever a list changes state: the warehouse reserves
#: bonded stock on approval and moves it out on release. Registered by the assembly.
MoveHook = Callable[[Session, Move], None]
_move_hooks: dict[str, MoveHook] = {}


def on_move(name: str, hook: MoveHook) -> None:
    """Call ``hook`` after every state change of a list (registering a name again
    replaces it)."""
    _move_hooks[name] = hook


#: Called when deciding a list faulted after some of its moves had been hooked: those
#: moves, the last first, so that what the move hooks did can be undone (the list itself
#: goes back to waiting). Registered by the assembly beside the move hook.
UndoHook = Callable[[Session, Sequence[Move]], None]
_undo_hooks: dict[str, UndoHook] = {}


def on_undo(name: str, hook: UndoHook) -> None:
    """Call ``hook`` with the moves of a list whose decision faulted."""
    _undo_hooks[name] = hook


#: Asked, before a batch of lists is decided, who keeps the bonded accounts (emsNo) its
#: 1210/1239 lists name: account -> customs code of the e-commerce enterprise it is kept
#: for, for the accounts known (the others are left out). The warehouse answers from its
#: ledger; registered by the assembly. Rule C11.account compares it with the list's ebcCode.
AccountOwners = Callable[[Session, Collection[str]], Mapping[str, str]]
_account_owners: dict[str, AccountOwners] = {}


def on_bonded_accounts(name: str, lookup: AccountOwners) -> None:
    """Ask ``lookup`` who keeps the bonded accounts of the lists decided (registering a
    name again replaces it)."""
    _account_owners[name] = lookup


@dataclass(frozen=True, slots=True)
class Policy:
    """Clearance settings that are not catalogue data."""

    rates: Rates = field(default_factory=Rates)
    seed: int = 0
    await_documents: timedelta = timedelta(hours=24)
    #: the random share of inspections kept live (off unless configured: the settings'
    #: ``exploration_share``); one counter for every clearance run of the process
    exploration: Exploration = field(default_factory=Exploration)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            rates=Rates(review=settings.review_rate, inspection=settings.inspection_rate),
            seed=settings.sampling_seed,
            await_documents=timedelta(seconds=settings.await_documents_seconds),
            exploration=Exploration(settings.exploration_share),
        )


@dataclass(slots=True)
class _Set:
    """A list and the three documents it needs."""

    declaration: Declaration
    inventory: CEB621Message
    inventory_guid: str
    order: CEB311Message | None = None
    payment: CEB411Message | None = None
    waybill: CEB511Message | None = None

    def missing(self) -> list[str]:
        out = []
        if self.order is None:
            out.append("order (CEB311)")
        if self.payment is None:
            out.append("payment (CEB411)")
        if self.waybill is None:
            out.append("waybill (CEB511)")
        return out


def _load(message_type: str, body: str) -> Any:
    return MESSAGE_TYPES[message_type].model_validate_json(body)


class _Parsed:
    """Validated messages by inbound message id, kept for the run so that the documents a
    list needs are not parsed again from the store (a document row names the message its
    body came from, so an entry can never be stale). Intake hands over each message it
    accepted, or its canonical text when the message was validated in another process
    (validated here on first use); the rest are read from the store, only the bodies not
    held. Bounded: the oldest half goes when it is full."""

    def __init__(self, session: Session, limit: int = 200_000) -> None:
        self.session = session
        self.limit = limit
        #: message id -> the message, or (message type, canonical text) not yet validated
        self._by_message: dict[int, Any] = {}

    def put(self, message_id: int, message: Any) -> None:
        if len(self._by_message) >= self.limit:
            for key in list(self._by_message)[: self.limit // 2]:
                del self._by_message[key]
        self._by_message[message_id] = message

    def put_text(self, message_id: int, message_type: str, canonical: str) -> None:
        self.put(message_id, (message_type, canonical))

    def fetch(self, rows: Iterable[Any]) -> None:
        """Read, in one query, the stored bodies of the document rows (with message_id and
        message_type) whose messages are not held."""
        wanted = {
            r.message_id: r.message_type
            for r in rows
            if r is not None and r.message_id not in self._by_message
        }
        for message_id, body in repository.message_bodies(self.session, wanted).items():
            self.put_text(message_id, wanted[message_id], body)

    def load(self, row: Any) -> Any:
        """The message of a document row (with message_id and message_type), held or
        fetched (see :meth:`fetch`)."""
        message = self._by_message.get(row.message_id)
        if message is None:
            self.fetch([row])
            message = self._by_message[row.message_id]
        if isinstance(message, tuple):
            message = _load(*message)
            self._by_message[row.message_id] = message
        return message


class _Redo(Exception):
    """The store refused a statement while one list was decided (PostgreSQL then refuses
    every later statement of the transaction): what the batch did since its savepoint is
    rolled back and done again, each list in a savepoint of its own."""


#: What a list's sender is told (CEB622) of an officer's decision: the status and that an
#: officer decided it, never the officer's name, nor the notes of an approval or an
#: inspection (they may name risk rules, tips or people; officers read them in the list's
#: history and the audit log). A rejection on review also gives the reviewer's reason.
TOLD_REVIEWED = "on manual review by customs"
TOLD_INSPECTED = "on inspection by customs"
TOLD_DETENTION = "after detention, by customs"

#: Who ends each detention (releases or returns a list held at it): the clearance side
#: for 501 (passed to clearance) and 599 (other, as a risk hold), with the risk analysts
#: for the holds their instructions make; anti-smuggling for 502 (seized) and 503 (passed
#: to the legal department, which works with anti-smuggling's cases).
DETENTION_ROLES: dict[int, tuple[str, ...]] = {
    DETAINED_CLEARANCE: (Role.INSPECTOR.value,),
    DETAINED_ANTI_SMUGGLING: (Role.INVESTIGATOR.value,),
    DETAINED_LEGAL: (Role.INVESTIGATOR.value,),
    DETAINED_OTHER: (Role.INSPECTOR.value, Role.RISK_ANALYST.value),
}


class Clearance:
    """Decides lists on one session. Create one per intake run (it caches catalogue
    snapshots, enterprise facts and quota usage for the run)."""

    def __init__(
        self,
        session: Session,
        policy: Policy | None = None,
        *,
        assessor: RiskAssessor | None = None,
        clock: Any = utcnow,
    ) -> None:
        self.session = session
        self.policy = policy or Policy()
        self.assessor = assessor or NoRisk()
        self.clock = clock
        self._catalogs: dict[date, CatalogSnapshot] = {}
        self._receipts: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        #: the hooked moves of the list being decided (undone if deciding it faults)
        self._hooked: list[Move] = []
        self._doc_status: dict[int, int] = {}
        #: messages validated in this run (handed over by intake, or parsed once here)
        self._parsed = _Parsed(session)
        self._tax_bills: list[dict[str, Any]] = []
        #: how many lists this instance has decided (for benchmarks and summaries)
        self.decided = 0
        #: each list decided in a savepoint of its own (after a store error; see _Redo)
        self._careful = False
        #: decisions not yet written, and (lists counted, targeted inspections) of them:
        #: the exploration window counts them when they are (see flush)
        self._explored: list[Decision] = []
        self._explored_counts = (0, 0)

    # -- the intake listener ------------------------------------------------------------

    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        """Intake accepted ``items``: file new lists, re-check what they complete."""
        for item in items:
            if item.message is not None:
                self._parsed.put(item.message_id, item.message)
            elif item.canonical is not None:
                self._parsed.put_text(item.message_id, item.message_type, item.canonical)
        self._guarded(lambda: self._accepted(items))

    def _guarded(self, work: Callable[[], None]) -> None:
        """Do ``work`` in a savepoint. When the store refuses a statement while a list is
        decided, roll back to it and do the work again with a savepoint per list: the list
        at fault waits (undecided), the others are decided, and what intake accepted before
        is kept (PostgreSQL would otherwise refuse the rest of the transaction)."""
        decided = self.decided
        try:
            with self.session.begin_nested():
                work()
        except _Redo as redo:
            log.warning("a store error while deciding (%s): deciding again list by list", redo)
            # What the store holds is what counts: the session does not always know which
            # objects a savepoint's rollback changed back (an id assigned in it, say).
            self.session.expire_all()
            self._discard()
            self.decided = decided
            self._careful = True
            try:
                with self.session.begin_nested():
                    work()
            finally:
                self._careful = False

    def _discard(self) -> None:
        """Forget what was gathered for writing since the last flush (rolled back)."""
        self._receipts, self._events, self._tax_bills = [], [], []
        self._keep_explored(0)
        self._doc_status, self._hooked = {}, []
        self.assessor.discard()

    def _accepted(self, items: Sequence[Accepted]) -> None:
        lists = [i for i in items if i.kind == "inventory"]
        touched = {i.order_no for i in items if i.kind in repository.THREE_AND_LIST}
        self._file_lists(lists)
        try:
            self.evaluate_orders(touched)
        except MissingParameter as exc:
            # A store whose catalogue was never loaded cannot decide anything; what was
            # accepted is kept and the lists wait (`cbec catalog seed`, then
            # `cbec clearance recheck`).
            log.error("clearance cannot decide: %s; lists wait", exc.detail)
        cancels = [i for i in items if i.kind in ("cancel", "refund") and i.app_type != "3"]
        if cancels:
            self._cancel(cancels)
        self.flush()

    # -- lists --------------------------------------------------------------------------

    def _file_lists(self, items: Sequence[Accepted]) -> None:
        if not items:
            return
        docs = {
            d.id: d
            for d in repository.documents_by_id(
                self.session, [i.document_id for i in items], with_body=False
            )
        }
        self._parsed.fetch(d for d in docs.values() if not d.deleted)
        existing = repository.declarations_by_key(self.session, [i.business_key for i in items])
        now = self.clock()
        fresh: dict[str, dict[str, Any]] = {}
        for item in items:
            doc = docs[item.document_id]
            declaration = existing.get(item.business_key)
            if item.app_type == "3" or doc.deleted:
                if declaration is not None and declaration.status == ACCEPTED:
                    self._move(declaration, REJECTED, "withdrawn by the sender (appType 3)", now)
                    declaration.awaiting = False
                continue
            message = self._parsed.load(doc)
            head = message.inventory.inventoryHead
            values = {
                "document_id": doc.id,
                "order_no": head.orderNo,
                "ebp_code": head.ebpCode,
                "ebc_code": head.ebcCode,
                "agent_code": head.agentCode,
                "logistics_code": head.logisticsCode,
                "logistics_no": head.logisticsNo,
                "cop_no": head.copNo,
                "buyer_id_number": head.buyerIdNumber,  # sealed at rest
                "buyer_key": blind_id(head.buyerIdNumber),
                "buyer_proof_key": proof_key(
                    head.buyerIdNumber, head.buyerName, head.buyerTelephone
                ),
                "buyer_province": province_of(head.buyerIdNumber),
                "trade_mode": head.tradeMode,
                "customs_code": head.customsCode,
                "assure_code": head.assureCode or head.ebcCode,
                "decl_date": parse_decl_date(head.declTime),
                "quota_year": int(head.declTime[:4]),
                "status": ACCEPTED,
                "awaiting": True,
                "received_at": now,
                "complete_at": None,
                "decided_at": None,
                "findings": "[]",
                "reasons": "",
            }
            if declaration is not None:
                for key, value in values.items():
                    setattr(declaration, key, value)
                declaration.version += 1
            elif item.business_key in fresh:  # filed and modified in one batch
                version = int(fresh[item.business_key].get("version", 1))
                fresh[item.business_key] = {**values, "version": version + 1}
            else:
                fresh[item.business_key] = values
        self._insert_lists(fresh, existing)
        for declaration in existing.values():
            declaration.invt_no = declaration.invt_no or _invt_no(declaration)

    def _insert_lists(
        self, fresh: dict[str, dict[str, Any]], existing: dict[str, Declaration]
    ) -> None:
        """File the new lists of ``fresh`` (business key -> columns) in one INSERT ...
        RETURNING, as ORM objects with their ids, into ``existing``. Added one by one,
        SQLAlchemy sends an INSERT a list on SQLite: it cannot tell which returned id is
        whose when one statement inserts many rows (here the rows say)."""
        if not fresh:
            return
        rows = [{"business_key": key, "version": 1, **values} for key, values in fresh.items()]
        for declaration in self.session.scalars(insert(Declaration).returning(Declaration), rows):
            existing[declaration.business_key] = declaration

    def recheck(self, limit: int = 100_000) -> int:
        """Evaluate again every undecided list (after a catalogue load, say). Returns how
        many lists were looked at."""
        pending = repository.undecided(self.session, limit)

        def work() -> None:
            self.evaluate_orders({d.order_no for d in pending})
            self.flush()

        self._guarded(work)
        return len(pending)

    def evaluate_orders(self, order_nos: Iterable[str]) -> None:
        """Check every undecided list of these orders whose documents are now complete."""
        order_nos = set(order_nos)
        if not order_nos:
            return
        candidates = [
            d
            for d in repository.declarations_for_orders(self.session, order_nos)
            if d.status == ACCEPTED
        ]
        if not candidates:
            return
        sets = self._gather(candidates)
        complete = [s for s in sets if not s.missing()]
        if complete:
            self._decide_all(complete)

    def _gather(self, declarations: Sequence[Declaration]) -> list[_Set]:
        rows = repository.documents_for_orders(
            self.session, {d.order_no for d in declarations}, with_body=False
        )
        orders: dict[str, Any] = {}
        payments: dict[tuple[str, str | None], Any] = {}
        waybills: dict[str, Any] = {}
        lists: dict[str, Any] = {}
        for row in rows:
            if row.kind == "order":
                orders[row.business_key] = row
            elif row.kind == "payment":
                payments[(row.order_no, row.ebp_code)] = row  # the latest wins (ordered by id)
            elif row.kind == "waybill":
                waybills[row.business_key] = row
            else:
                lists[row.business_key] = row
        wanted = [
            (
                d,
                lists[d.business_key],
                orders.get(f"{d.ebp_code}|{d.ebc_code}|{d.order_no}"),
                payments.get((d.order_no, d.ebp_code)),
                waybills.get(f"{d.logistics_code}|{d.logistics_no}"),
            )
            for d in declarations
            if d.business_key in lists
        ]
        self._parsed.fetch(row for _d, *of_list in wanted for row in of_list)
        sets = []
        for d, list_row, o, p, w in wanted:
            inventory = self._parsed.load(list_row)
            found = _Set(d, inventory, inventory.inventory.inventoryHead.guid)
            found.order = self._parsed.load(o) if o is not None else None
            found.payment = self._parsed.load(p) if p is not None else None
            found.waybill = self._parsed.load(w) if w is not None else None
            sets.append(found)
        return sets

    # -- checks and decision ------------------------------------------------------------

    def catalog(self, on: date) -> CatalogSnapshot:
        snapshot = self._catalogs.get(on)
        if snapshot is None:
            snapshot = catalog_service.snapshot(self.session, on)
            self._catalogs[on] = snapshot
        return snapshot

    def _decide_all(self, sets: Sequence[_Set]) -> None:
        now = self.clock()
        quota = repository.quota_rows(
            self.session, {(s.declaration.buyer_key, s.declaration.quota_year) for s in sets}
        )
        codes = {code for s in sets for code in _codes(s).values()}
        enterprises = repository.enterprise_facts(self.session, codes)
        classes = repository.class_rows(self.session, codes)
        # The earliest live list of each order: a later one for the same order is a duplicate.
        first_live: dict[tuple[str, str, str], Declaration] = {}
        for other in repository.declarations_for_orders(
            self.session, {s.declaration.order_no for s in sets}
        ):
            if other.status != REJECTED:
                first_live.setdefault((other.order_no, other.ebp_code, other.ebc_code), other)
        owners = self._account_owners(sets)
        self.assessor.prepare(sets)
        for s in sets:
            d = s.declaration
            marks = (
                len(self._events),
                len(self._receipts),
                len(self._tax_bills),
                len(self._explored),
            )
            status, counted, decided = d.status, d.quota_counted, self.decided
            doc_status = self._doc_status.get(d.document_id)
            self._hooked = []
            savepoint = self.session.begin_nested() if self._careful else None
            try:
                self._decide_one(s, now, quota, enterprises, first_live, classes, owners)
            except Exception as exc:
                if is_retryable(exc):
                    raise  # the transaction lost a race to another writer: it runs again
                if isinstance(exc, STORE_ERRORS) and savepoint is None:
                    raise _Redo(f"list {d.business_key}: {type(exc).__name__}") from exc
                # A fault deciding one list must not lose the messages of the batch:
                # the list stays undecided (`cbec clearance recheck` tries again), and what
                # the move hooks did for it (bonded stock reserved, say) is undone.
                log.exception("could not decide list %s; it waits", d.business_key)
                self.assessor.forget(d.id)
                del self._events[marks[0] :]
                del self._receipts[marks[1] :]
                del self._tax_bills[marks[2] :]
                self._keep_explored(marks[3])
                if doc_status is None:
                    self._doc_status.pop(d.document_id, None)
                else:
                    self._doc_status[d.document_id] = doc_status
                self.decided = decided
                if savepoint is not None:
                    # The savepoint takes back what the store saw of this list, hooks'
                    # moves and quota included; a quota row it created is gone.
                    savepoint.rollback()
                    self.session.expire_all()
                    self._hooked = []
                    for key, usage in list(quota.items()):
                        if usage not in self.session:
                            del quota[key]
                    d.awaiting, d.decided_at = True, None
                    continue
                self._undo_hooked(d.business_key)
                if d.quota_counted and not counted and d.taxable_value is not None:
                    counted_in = quota.get((d.buyer_key, d.quota_year))
                    if counted_in is not None:
                        counted_in.used -= d.taxable_value
                        counted_in.lists -= 1
                d.status, d.quota_counted, d.awaiting, d.decided_at = status, counted, True, None
            else:
                if savepoint is not None:
                    savepoint.commit()

    def _account_owners(self, sets: Sequence[_Set]) -> dict[str, str]:
        """Who keeps the bonded accounts the lists of ``sets`` name (see AccountOwners)."""
        wanted = {
            ems_no
            for s in sets
            if (ems_no := checks.bonded_account(s.inventory.inventory)) is not None
        }
        owners: dict[str, str] = {}
        if wanted:
            for lookup in _account_owners.values():
                owners.update(lookup(self.session, wanted))
        return owners

    def _undo_hooked(self, key: str) -> None:
        moves, self._hooked = list(reversed(self._hooked)), []
        if not moves:
            return
        for hook_name, hook in _undo_hooks.items():
            try:
                hook(self.session, moves)
            except Exception:
                log.exception("could not undo the %s moves of list %s", hook_name, key)

    def _decide_one(
        self,
        s: _Set,
        now: datetime,
        quota: dict[tuple[str, int], QuotaUsage],
        enterprises: dict[str, Any],
        first_live: dict[tuple[str, str, str], Declaration],
        classes: Sequence[ClassRates] = (),
        owners: Mapping[str, str] | None = None,
    ) -> None:
        """Check, tax and decide one complete list (``owners``: who keeps the bonded
        accounts named, see AccountOwners)."""
        d = s.declaration
        assert s.order is not None
        assert s.payment is not None
        assert s.waybill is not None
        d.awaiting = False
        d.complete_at = now
        snapshot = self.catalog(d.decl_date)
        limits = checks.Limits(
            per_order=snapshot.param("per_order_limit"),
            annual=snapshot.param("annual_limit"),
            single_item_exception=snapshot.params.get("single_item_exception", Decimal(1)) == 1,
        )
        usage = quota.get((d.buyer_key, d.quota_year))
        used = usage.used if usage is not None else Decimal(0)
        findings: list[Finding] = []
        findings += compare(
            s.inventory.inventory, s.order.order, s.payment.payment, s.waybill.logistics
        )
        findings += checks.check_positive_list(s.inventory.inventory, snapshot)
        limit = checks.check_limits(s.inventory.inventory, limits, used)
        findings += limit.findings
        findings += checks.check_buyer(s.inventory.inventory)
        statuses = {
            code: (e.status if e else None)
            for code, e in ((c, enterprises.get(c)) for c in _codes(s).values())
        }
        findings += checks.check_filing(_codes(s), statuses)
        first = first_live.get((d.order_no, d.ebp_code, d.ebc_code))
        findings += checks.check_duplicate(
            first.business_key if first is not None and first.id < d.id else None
        )
        findings += checks.check_weights(s.inventory.inventory, s.waybill.logistics)
        findings += checks.check_bonded_account(s.inventory.inventory, owners or {})
        caps = checks.capped_lines(s.inventory.inventory, snapshot)
        if caps:  # rare (rice, sugar): look at what the buyer cleared this year
            findings += checks.check_weight_caps(
                s.inventory.inventory, caps, self._kilos_cleared(d, set(caps))
            )
        tax = compute_tax(s.inventory.inventory, snapshot, full_rates=limit.full_rates)
        if tax.unknown_codes:
            findings += [
                Finding("C03.positive", path, f"{code} has no tax rates in the catalogue")
                for path, code in tax.unknown_codes
            ]
        else:
            findings += checks.check_tax(
                s.order.order.orderHead.taxTotal,
                tax.total,
                snapshot.param("tax_tolerance"),
            )
        d.taxable_value = checks.taxable_value(s.inventory.inventory)
        d.full_rates = limit.full_rates
        d.declared_tax = s.order.order.orderHead.taxTotal
        d.tax_customs, d.tax_vat, d.tax_consumption, d.tax_total = (
            tax.customs,
            tax.vat,
            tax.consumption,
            tax.total,
        )
        d.pay_code = s.payment.payment.paymentHead.payCode
        d.findings = json.dumps([f.as_dict() for f in findings], ensure_ascii=False)
        decision = decide(
            findings,
            self.assessor.assess(s),
            self._rates(d, enterprises, classes, _codes(s).values(), now),
            key=d.business_key,
            seed=self.policy.seed,
            explore=self.policy.exploration.rate(self._explored_counts),
        )
        self._explored.append(decision)
        kind = Exploration.kind(decision)
        if kind is not None:
            counted, targeted = self._explored_counts
            self._explored_counts = (counted + 1, targeted + (kind == 1))
        self._apply(s, decision, tax, usage, quota, now)

    def _kilos_cleared(self, d: Declaration, lines: set[str]) -> dict[str, Decimal]:
        """kg per 8-digit line on the buyer's lists of the year counted against the quota."""
        counted = [
            other
            for other in repository.declarations_of_buyer(self.session, d.buyer_key, d.quota_year)
            if other.quota_counted and other.id != d.id
        ]
        used: dict[str, Decimal] = {}
        for row in repository.documents_by_id(self.session, [o.document_id for o in counted]):
            listed = self._parsed.load(row)
            for code8, kilos in checks.kilos_by_line(listed.inventory).items():
                if code8 in lines:
                    used[code8] = used.get(code8, Decimal(0)) + kilos
        return used

    def _rates(
        self,
        d: Declaration,
        enterprises: dict[str, Any],
        classes: Sequence[ClassRates] = (),
        codes: Iterable[str] = (),
        now: datetime | None = None,
    ) -> Rates:
        """The list's sampling rates: those of the strictest enterprise class in force at
        the decision among its enterprises (the defaults when none is classed), then the
        explicit per-enterprise rates of the registry (the ebc's replace, the platform's
        and the agent's can only raise)."""
        review, inspection = self.policy.rates.review, self.policy.rates.inspection
        opened = self.policy.rates.open_inspection
        by_class = rates_for(classes, codes, now or self.clock(), d.trade_mode) if classes else None
        if by_class is not None:
            review, inspection, opened = (
                by_class[0].review,
                by_class[0].inspection,
                by_class[0].open_inspection,
            )
        for code in (d.ebc_code, d.ebp_code, d.agent_code):
            e = enterprises.get(code)
            if e is not None and e.review_rate is not None:
                review = (
                    max(review, float(e.review_rate))
                    if code != d.ebc_code
                    else float(e.review_rate)
                )
            if e is not None and e.inspection_rate is not None:
                inspection = (
                    max(inspection, float(e.inspection_rate))
                    if code != d.ebc_code
                    else float(e.inspection_rate)
                )
        return Rates(review=review, inspection=inspection, open_inspection=min(opened, inspection))

    def _apply(
        self,
        s: _Set,
        decision: Decision,
        tax: TaxResult,
        usage: QuotaUsage | None,
        quota: dict[tuple[str, int], QuotaUsage],
        now: datetime,
    ) -> None:
        d = s.declaration
        self.decided += 1
        reasons = "; ".join(decision.reasons)
        d.reasons = reasons
        d.decided_at = now
        # The sender is told what the checks found (it can correct that), never which risk
        # rule, model score, control instruction or random draw selected the list: officers
        # see every reason, smugglers should not learn the rules.
        found = {str(f) for f in decision.findings}
        told = "; ".join(r for r in decision.reasons if r in found)
        if decision.outcome is Outcome.REJECT:
            self._move(d, REJECTED, reasons, now, told=told or "stopped by customs")
        elif decision.outcome is Outcome.REVIEW:
            self._move(d, MANUAL_REVIEW, reasons, now, told=told)
        else:
            self._approve(d, now, quota, reasons or "all checks passed", told=told)
            if decision.outcome is Outcome.HOLD:
                self._move(d, DETAINED_OTHER, reasons, now, told=told)
            elif decision.outcome is Outcome.INSPECT:
                d.inspection_kind = (decision.inspection or Inspection.OPEN).value
                self._move(d, INSPECTION, reasons, now, told=told)
            else:
                self._release(d, now, tax)

    def _approve(
        self,
        d: Declaration,
        now: datetime,
        quota: dict[tuple[str, int], QuotaUsage],
        reason: str,
        told: str | None = None,
    ) -> None:
        self._move(d, APPROVED, reason, now, told=told)
        # A list its buyer disputed ("not me", confirmed) never counts against their quota.
        if not d.quota_counted and not d.quota_excluded and d.taxable_value is not None:
            key = (d.buyer_key, d.quota_year)
            usage = quota.get(key)
            if usage is None:
                usage = QuotaUsage(
                    buyer_key=d.buyer_key, year=d.quota_year, used=Decimal(0), lists=0
                )
                self.session.add(usage)
                quota[key] = usage
            usage.used = (usage.used or Decimal(0)) + d.taxable_value
            usage.lists = (usage.lists or 0) + 1
            usage.updated_at = now
            d.quota_counted = True

    def _restore_quota(self, d: Declaration, now: datetime) -> None:
        if not d.quota_counted or d.taxable_value is None:
            return
        quota = repository.quota_rows(self.session, [(d.buyer_key, d.quota_year)])
        usage = quota.get((d.buyer_key, d.quota_year))
        if usage is not None:
            usage.used = max(usage.used - d.taxable_value, Decimal(0))
            usage.lists = max(usage.lists - 1, 0)
            usage.updated_at = now
        d.quota_counted = False

    def _release(
        self,
        d: Declaration,
        now: datetime,
        tax: TaxResult | None = None,
        *,
        reason: str = "released",
        actor: str = "system",
    ) -> None:
        self._move(d, RELEASED, reason, now, actor=actor)
        self._tax_bills.append(
            {
                "declaration_id": d.id,
                "tax_no": f"{d.invt_no}T",
                "invt_no": d.invt_no or "",
                "order_no": d.order_no,
                "logistics_no": d.logistics_no,
                "ebc_code": d.ebc_code,
                "assure_code": d.assure_code,
                "customs_tax": d.tax_customs or Decimal(0),
                "value_added_tax": d.tax_vat or Decimal(0),
                "consumption_tax": d.tax_consumption or Decimal(0),
                "total": d.tax_total or Decimal(0),
                "status": 1,
                "period": now.astimezone(CST).strftime("%Y%m"),
                "issued_at": now,
                "lines": json.dumps(
                    tax.lines if tax is not None else [], ensure_ascii=False, default=str
                ),
            }
        )

    # -- state changes, receipts, events --------------------------------------------------

    def _move(
        self,
        d: Declaration,
        target: int,
        reason: str,
        now: datetime,
        actor: str = "system",
        told: str | None = None,
    ) -> None:
        """Move ``d`` to ``target``, recording ``reason`` in its history; its receipt says
        ``told`` (default: the reason)."""
        check_move(d.status, target)
        previous = d.status
        d.status = target
        self._doc_status[d.document_id] = target
        if _move_hooks:
            move = Move(d, previous, target, reason, now, actor, lambda: self._list_of(d))
            self._hooked.append(move)
            for hook in _move_hooks.values():
                hook(self.session, move)
        self._events.append(
            {
                "declaration_id": d.id,
                "at": now,
                "from_status": previous,
                "to_status": target,
                "actor": actor,
                "reason": reason[:4000],
            }
        )
        said = reason if told is None else told
        info = f"{STATUS_TEXT[target]}" + (f": {said}" if said and target != RELEASED else "")
        self._receipts.append(
            receipt_row(
                d.agent_code,
                "CEB622",
                "CEB621",
                d.business_key,
                target,
                info,
                now,
                {
                    "customsCode": d.customs_code,
                    "ebpCode": d.ebp_code,
                    "ebcCode": d.ebc_code,
                    "agentCode": d.agent_code,
                    "copNo": d.cop_no,
                    "invtNo": d.invt_no,
                },
            )
        )

    def _list_of(self, d: Declaration) -> CEB621Message:
        rows = repository.documents_by_id(self.session, [d.document_id])
        message: CEB621Message = self._parsed.load(rows[0])
        return message

    def _keep_explored(self, count: int) -> None:
        """Keep the first ``count`` decisions not yet written (the others were undone)."""
        del self._explored[count:]
        kinds = [k for k in map(Exploration.kind, self._explored) if k is not None]
        self._explored_counts = (len(kinds), kinds.count(1))

    def flush(self) -> None:
        """Write the receipts, events and document statuses gathered so far."""
        self.session.flush()
        self.assessor.flush()
        if self._events:
            bulk.insert_many(self.session, DeclarationEvent.__tablename__, self._events)
            self._events = []
        if self._receipts:
            bulk.insert_many(self.session, Receipt.__tablename__, self._receipts)
            self._receipts = []
        if self._tax_bills:
            bulk.insert_many(self.session, TaxBill.__tablename__, self._tax_bills)
            self._tax_bills = []
        if self._doc_status:
            bulk.update_many(
                self.session,
                Document.__tablename__,
                [{"id": i, "status": s} for i, s in self._doc_status.items()],
            )
            self._doc_status = {}
        if self._explored:
            self.policy.exploration.record_many(self._explored)
            self._keep_explored(0)

    # -- waiting too long -----------------------------------------------------------------

    def sweep(self, limit: int = 10_000) -> int:
        """Reject lists that have waited longer than the policy allows for their documents,
        naming what is missing (rule C01.missing). Returns how many were rejected."""
        now = self.clock()
        stale = list(
            repository.awaiting_before(self.session, now - self.policy.await_documents, limit)
        )
        if not stale:
            return 0
        sets = {s.declaration.id: s for s in self._gather(stale)}
        for d in stale:
            found = sets.get(d.id)
            missing = found.missing() if found is not None else ["the list's own document"]
            if not missing:
                continue
            finding = Finding(
                "C01.missing",
                "Inventory/InventoryHead/orderNo",
                f"no {', '.join(missing)} arrived within {self.policy.await_documents}",
            )
            d.awaiting = False
            d.decided_at = now
            d.findings = json.dumps([finding.as_dict()], ensure_ascii=False)
            d.reasons = str(finding)
            self._move(d, REJECTED, str(finding), now)
        self.flush()
        return len(stale)

    # -- cancellations and returns --------------------------------------------------------

    def _cancel(self, items: Sequence[Accepted]) -> None:
        now = self.clock()
        docs = {
            d.id: d
            for d in repository.documents_by_id(
                self.session, [i.document_id for i in items], with_body=False
            )
        }
        self._parsed.fetch(d for d in docs.values() if not d.deleted)
        for item in items:
            doc = docs[item.document_id]
            message = self._parsed.load(doc)
            if isinstance(message, CEB623Message):
                head: Any = message.invtCancel
                receipt_type, what = "CEB624", "cancellation"
            else:
                assert isinstance(message, CEB625Message)
                head = message.invtRefund.invtRefundHead
                receipt_type, what = "CEB626", "return"
            # The list is named by the invtNo customs gave it; senders that did not keep it
            # are matched by the order (platform, e-commerce enterprise, order number).
            d = repository.declaration_by_invt_no(
                self.session, head.invtNo
            ) or repository.live_declaration_of_order(
                self.session, head.orderNo, head.ebpCode, head.ebcCode
            )
            if d is None:
                status, info = (
                    REJECTED,
                    f"rejected: there is no list {head.invtNo}",
                )
            elif d.status == RELEASED:
                self._restore_quota(d, now)
                self._move(d, CLOSED, f"{what} accepted: {head.reason}", now)
                status, info = APPROVED, f"{what} approved; list {d.invt_no} closed, quota restored"
            elif d.status == ACCEPTED and what == "cancellation":
                d.awaiting = False
                self._move(d, REJECTED, f"cancelled before decision: {head.reason}", now)
                status, info = APPROVED, f"cancellation approved; list {d.invt_no} withdrawn"
            else:
                status, info = (
                    REJECTED,
                    f"rejected: list {d.invt_no} is at {name(d.status)}; no {what}",
                )
            self._receipts.append(
                receipt_row(
                    item.sender_code,
                    receipt_type,
                    item.message_type,
                    item.business_key,
                    status,
                    info,
                    now,
                    {
                        "customsCode": head.customsCode,
                        "ebpCode": head.ebpCode,
                        "ebcCode": head.ebcCode,
                        "agentCode": head.agentCode,
                        "copNo": head.copNo,
                        "invtNo": head.invtNo,
                    },
                )
            )

    # -- officer actions ------------------------------------------------------------------

    def review(self, invt_no: str, *, approve: bool, officer: str, reason: str) -> Declaration:
        """A reviewer's verdict on a list in manual review (300): approve (it is released,
        with its tax bill) or reject. Recorded in the audit log."""
        d = self._get(invt_no)
        self._need_queue(d, MANUAL_REVIEW, "reviewed")
        now = self.clock()
        _required(reason, "reason", "a reason is required", "say why")
        self._audit(d, officer, "approve" if approve else "reject", reason)
        if approve:
            check_move(d.status, APPROVED)
            quota: dict[tuple[str, int], QuotaUsage] = repository.quota_rows(
                self.session, [(d.buyer_key, d.quota_year)]
            )
            usage = quota.get((d.buyer_key, d.quota_year))
            used = usage.used if usage is not None else Decimal(0)
            annual = self.catalog(d.decl_date).param("annual_limit")
            if (
                d.taxable_value is not None
                and not d.quota_excluded
                and used + d.taxable_value > annual
            ):
                raise Conflict(
                    f"approving {d.invt_no} would take the buyer's annual quota to "
                    f"{used + d.taxable_value} of {annual} [C05.quota]; reject it instead",
                )
            self._approve(
                d, now, quota, f"approved by {officer}: {scrub(reason)}", told=TOLD_REVIEWED
            )
            self._events[-1]["actor"] = officer
            self._release(d, now)
            self._events[-1]["actor"] = officer
        else:
            # A rejection is the sender's to correct: it is told the reviewer's reason (ID
            # and mobile numbers masked), not who gave it.
            self._move(
                d,
                REJECTED,
                f"rejected by {officer}: {scrub(reason)}",
                now,
                actor=officer,
                told=f"{TOLD_REVIEWED}: {scrub(reason)}",
            )
        self.flush()
        return d

    def inspection_result(
        self, invt_no: str, *, result: str, officer: str, details: str, detention: int | None = None
    ) -> Declaration:
        """An inspector's result for a list under inspection (500): ``conform`` releases it,
        ``discrepancy`` detains it (501/503/599) or returns it (700), ``seize`` passes it to
        the anti-smuggling department (502). Recorded in the audit log."""
        d = self._get(invt_no)
        self._need_queue(d, INSPECTION, "inspected")
        now = self.clock()
        _required(details, "details", "details are required", "what was found")
        self._audit(d, officer, f"inspection.{result}", details, detention=detention)
        if result == "conform":
            check_move(d.status, RELEASED)
            self._release(d, now)
            self._events[-1]["actor"] = officer
        elif result == "discrepancy":
            target = detention or 599
            if target not in (501, 503, 599, RETURNED):
                raise BadRequest(
                    f"a discrepancy leads to 501, 503, 599 or 700, not {target}",
                )
            self._move(
                d, target, f"discrepancy: {scrub(details)}", now, actor=officer, told=TOLD_INSPECTED
            )
            if target == RETURNED:
                self._restore_quota(d, now)
        elif result == "seize":
            self._move(d, 502, f"seized: {scrub(details)}", now, actor=officer, told=TOLD_INSPECTED)
            for hook in _seizure_hooks.values():
                hook(self.session, d, officer, details)
        else:
            raise BadRequest(f"unknown inspection result {result!r}: conform, discrepancy or seize")
        self.flush()
        return d

    def end_detention(
        self,
        invt_no: str,
        *,
        action: str,
        officer: str,
        roles: Iterable[str],
        reason: str,
    ) -> Declaration:
        """End the detention of a list held at 501, 502, 503 or 599: ``release`` it (800,
        with its tax bill) or ``return`` it (700, the buyer's quota given back). Each
        detention is ended by its department (:data:`DETENTION_ROLES`); recorded in the
        audit log with the reason; the sender is told the new status."""
        d = self._get(invt_no)
        if d.status not in DETAINED:
            raise Conflict(
                f"list {d.invt_no or d.business_key} is at {name(d.status)}, not detained "
                "(501, 502, 503 or 599): only a detained list is released or returned from "
                "detention"
            )
        needed = DETENTION_ROLES[d.status]
        held = set(roles)
        if held.isdisjoint(needed):
            raise Forbidden(
                f"ending a detention at {name(d.status)} needs the role "
                f"{' or '.join(needed)}; officer {officer!r} holds "
                f"{', '.join(sorted(held)) or 'no role'}"
            )
        if action not in ("release", "return"):
            raise BadRequest(
                f"unknown action {action!r}: release or return",
                fields=[FieldError("action", "one_of=release,return", "release or return")],
            )
        _required(reason, "reason", "a reason is required", "say why")
        now = self.clock()
        self._audit(d, officer, f"detention.{action}", reason)
        why = f"{'released' if action == 'release' else 'returned'} from detention by "
        why += f"{officer}: {scrub(reason)}"
        was = d.status
        if action == "release":
            check_move(d.status, RELEASED)
            self._release(d, now, reason=why, actor=officer)
        else:
            self._move(d, RETURNED, why, now, actor=officer, told=TOLD_DETENTION)
            self._restore_quota(d, now)
        for hook in _detention_hooks.values():
            hook(self.session, d, was, action, officer, reason)
        self.flush()
        return d

    # -- control instructions issued after the decision ----------------------------------

    def escalate(
        self,
        d: Declaration,
        outcome: Outcome,
        reason: str,
        *,
        inspection: Inspection | None = None,
        actor: str = "risk",
    ) -> bool:
        """Apply a control instruction to a list decided before it was issued: a list in
        manual review (300) goes to inspection (500) or is held (599), a list under
        inspection is held or, asked to, opened instead of X-rayed. Weaker instructions,
        and lists released, rejected, detained or still waiting, are left as they are (a
        waiting list meets the instruction when it is decided). Returns whether it changed."""
        now = self.clock()
        kind = (inspection or Inspection.OPEN).value
        if d.status == MANUAL_REVIEW and outcome in (Outcome.INSPECT, Outcome.HOLD):
            quota = repository.quota_rows(self.session, [(d.buyer_key, d.quota_year)])
            # the instruction is for officers; the sender learns only the new status
            self._approve(d, now, quota, reason, told="")
            self._events[-1]["actor"] = actor
            if outcome is Outcome.HOLD:
                self._move(d, DETAINED_OTHER, reason, now, actor=actor, told="")
            else:
                d.inspection_kind = kind
                self._move(d, INSPECTION, reason, now, actor=actor, told="")
        elif d.status == INSPECTION and outcome is Outcome.HOLD:
            self._move(d, DETAINED_OTHER, reason, now, actor=actor, told="")
        elif d.status == INSPECTION and outcome is Outcome.INSPECT and kind != d.inspection_kind:
            if kind != Inspection.OPEN.value:
                return False
            d.inspection_kind = kind  # X-ray -> open; the list stays at 500
        else:
            return False
        d.reasons = f"{d.reasons}; {reason}" if d.reasons else reason
        self.flush()
        return True

    def _audit(
        self, d: Declaration, officer: str, action: str, reason: str, **details: Any
    ) -> None:
        """An officer's action on list ``d`` (``declaration.<action>``) in the audit log, with
        the status it was taken from."""
        audit.record(
            self.session,
            actor_kind="officer",
            actor=officer,
            action=f"declaration.{action}",
            subject_kind="declaration",
            subject_key=d.invt_no or d.business_key,
            reason=reason,
            details={"from": d.status, **details},
        )

    @staticmethod
    def _need_queue(d: Declaration, status: int, done: str) -> None:
        """409 unless ``d`` waits in the officers' queue ``status`` (300 or 500): a list
        already decided, or still waiting for its documents, is not an officer's to move
        (a second click must not release a seized list or approve an unchecked one)."""
        if d.status != status:
            waiting = " (waiting for its documents)" if d.awaiting else ""
            raise Conflict(
                f"list {d.invt_no or d.business_key} is at {name(d.status)}{waiting}, "
                f"not {name(status)}: only a list at {status} is {done}"
            )

    def _get(self, invt_no: str) -> Declaration:
        d = repository.declaration_by_invt_no(self.session, invt_no, for_update=True)
        if d is None:
            raise NotFound(f"no list {invt_no}")
        return d


def _required(text: str, field: str, detail: str, hint: str) -> None:
    """400 naming ``field`` (rule ``required``) when an officer left ``text`` blank."""
    if not text.strip():
        raise BadRequest(detail, fields=[FieldError(field, "required", hint)])


def _invt_no(d: Declaration) -> str:
    """4 customs + 4 year + I + 9-digit serial."""
    return f"{d.customs_code}{d.quota_year}I{d.id % 1_000_000_000:09d}"


def _codes(s: _Set) -> dict[str, str]:
    assert s.order is not None
    assert s.payment is not None
    assert s.waybill is not None
    return checks.enterprise_codes(
        s.inventory.inventory, s.order.order, s.payment.payment, s.waybill.logistics
    )


def counts_against_quota(status: int) -> bool:
    return status in COUNTS_AGAINST_QUOTA


def exclude_from_quota(
    session: Session, declarations: Sequence[Declaration], *, now: datetime | None = None
) -> Decimal:
    """Take ``declarations`` out of their buyers' annual quota for good (their buyer did not
    make them: a confirmed "not me" dispute). Lists already counted give their value back
    to the buyer's quota; none of them is counted later, whatever becomes of it. Returns
    the value given back. Flushes, never commits."""
    now = now or utcnow()
    restored = Decimal(0)
    counted = [d for d in declarations if d.quota_counted and d.taxable_value is not None]
    quota = repository.quota_rows(session, {(d.buyer_key, d.quota_year) for d in counted})
    for d in declarations:
        d.quota_excluded = True
        if d in counted and d.taxable_value is not None:
            usage = quota.get((d.buyer_key, d.quota_year))
            if usage is not None:
                usage.used = max(usage.used - d.taxable_value, Decimal(0))
                usage.lists = max(usage.lists - 1, 0)
                usage.updated_at = now
            d.quota_counted = False
            restored += d.taxable_value
    session.flush()
    return restored
