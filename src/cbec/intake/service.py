"""The front door: who may send what, idempotency, appType rules, receipts, dead letters.

:class:`Intake.submit` takes a batch of prepared (or rejected) messages and writes, in the
caller's transaction, every accepted message, the document it creates or changes, one
receipt per message, and a dead letter for each rejection. The caller commits before it
acknowledges anything (API route, CLI command, worker loop); this module only flushes.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cbec.errors import FieldError
from cbec.intake import pipeline, repository
from cbec.intake.pipeline import Accepted, Listener
from cbec.intake.prepare import Prepared, Rejected
from cbec.messages import signature
from cbec.messages.models import ReceiptMessage
from cbec.messages.receipts import (
    ACCEPTED,
    DECIDED,
    FORMAT_ERROR_RECEIPT,
    REJECTED,
    STATUS_TEXT,
    build_receipt,
    receipt_type_for,
)
from cbec.privacy import seal, seal_bytes
from cbec.registry.roles import Status, sendable
from cbec.store.models import DeadLetter, Document, Enterprise, InboundMessage, Receipt, utcnow

log = logging.getLogger("cbec.intake")

_RECEIPT_NS = uuid.UUID("6f1c8a52-3b9e-4c1e-9d0a-2f7b8c4e5a61")

#: Document kinds whose modification is refused once the list for their order is decided.
_THREE_DOCUMENTS = frozenset({"order", "payment", "waybill"})


@dataclass(frozen=True, slots=True)
class Sender:
    """What intake needs to know of a filed enterprise."""

    code: str
    status: str
    roles: frozenset[str]
    #: the message types these roles may send
    may_send: frozenset[str] = frozenset()
    #: off, warn or enforce: what a bad signature on a declared message does
    signature_policy: str = "off"

    @classmethod
    def of(cls, enterprise: Enterprise) -> Sender:
        roles = sorted(enterprise.role_names)
        return cls(
            enterprise.customs_code,
            enterprise.status,
            frozenset(roles),
            sendable(roles),
            enterprise.signature_policy or "off",
        )


@dataclass(slots=True)
class Outcome:
    """What happened to one message, as reported to its sender."""

    accepted: bool
    duplicate: bool
    http_status: int
    message_type: str | None
    business_key: str | None
    guid: str | None
    receipt_type: str
    return_status: int
    return_info: str
    source: str
    fields: list[FieldError] = field(default_factory=list)
    receipt_id: int | None = None
    dead_letter_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "messageType": self.message_type,
            "businessKey": self.business_key,
            "guid": self.guid,
            "receiptId": self.receipt_id,
            "receiptType": self.receipt_type,
            "returnStatus": self.return_status,
            "returnInfo": self.return_info,
            "fields": [f.as_dict() for f in self.fields],
            "source": self.source,
        }


@dataclass(slots=True)
class _DocState:
    id: int | None
    status: int
    version: int
    deleted: bool
    sender_code: str
    insert_row: dict[str, Any] | None = None


@dataclass(slots=True)
class _Pending:
    """An outcome waiting for the ids its rows get on insert."""

    outcome: Outcome
    receipt_row: dict[str, Any]
    message_index: int | None = None
    item: Prepared | None = None
    sender_code: str | None = None
    dead_letter_index: int | None = None
    duplicate_of: int | None = None  # index into accepted pendings (same batch)
    known_receipt_id: int | None = None


class Intake:
    """Accepts batches of messages on one session. Keeps a cache of senders, so create one
    per request, or one per ``cbec ingest`` run."""

    def __init__(self, session: Session, listeners: Sequence[Listener] | None = None) -> None:
        self.session = session
        self._senders: dict[str, Sender | None] = {}
        #: live signature keys by sender code: key name -> (algorithm, loaded public key)
        self._signature_keys: dict[str, dict[str, tuple[str, Any]]] = {}
        #: called after each batch with what was accepted (default: the registered pipeline)
        self.listeners = list(pipeline.listeners(session) if listeners is None else listeners)

    # -- senders ------------------------------------------------------------------------

    def _load_senders(self, codes: set[str]) -> None:
        missing = {c for c in codes if c not in self._senders}
        if missing:
            found = repository.enterprises_by_code(self.session, missing)
            for code in missing:
                enterprise = found.get(code)
                self._senders[code] = Sender.of(enterprise) if enterprise else None

    def _load_signature_keys(self, codes: set[str]) -> None:
        missing = {c for c in codes if c not in self._signature_keys}
        if not missing:
            return
        found: dict[str, dict[str, tuple[str, Any]]] = {c: {} for c in missing}
        for code, key in repository.live_signature_keys(self.session, missing):
            try:
                loaded = signature.load_public_key(key.algorithm, key.public_key)
            except ValueError:  # filed keys were checked; a bad one verifies nothing
                continue
            found[code][key.key_name] = (key.algorithm, loaded)
        self._signature_keys.update(found)

    def _signature_problem(self, item: Prepared, who: Sender) -> tuple[str, str] | None:
        """(rule, text) when the sender's policy asks for a good signature and this message
        has none; None when it holds or need not be checked."""
        if who.signature_policy == "off":
            return None
        evidence = item.signature
        if evidence is None:
            if item.app_status != "2":
                return None  # saved, not declared: need not be signed
            return ("signature.missing", "a declared message (appStatus 2) must be signed")
        if evidence.problem is not None:
            return evidence.problem
        keys = self._signature_keys.get(who.code, {})
        if evidence.key_name is not None:
            candidates = [keys[evidence.key_name]] if evidence.key_name in keys else []
            if not candidates:
                return (
                    "signature.key",
                    f"{who.code} has no live signature key named {evidence.key_name!r}",
                )
        else:
            candidates = list(keys.values())
            if not candidates:
                return ("signature.key", f"{who.code} has filed no live signature key")
        last: tuple[str, str] = ("signature.invalid", "the signature does not verify")
        for algorithm, key in candidates:
            try:
                signature.verify(evidence, algorithm, key)
            except signature.SignatureProblem as exc:
                last = (exc.rule, exc.text)
                continue
            return None
        return last

    # -- the batch ----------------------------------------------------------------------

    def submit(
        self, items: Sequence[Prepared | Rejected], sender: Enterprise | None = None
    ) -> list[Outcome]:
        """Accept or reject each item; returns one outcome per item, in order.

        ``sender`` is the authenticated enterprise (API); without one (file ingest) each
        message's BaseTransfer/copCode names its sender, which must be filed.
        """
        now = utcnow()
        authenticated = Sender.of(sender) if sender is not None else None
        if authenticated is None:
            self._load_senders(
                {i.cop_code for i in items if isinstance(i, Prepared)}
                | {i.cop_code for i in items if isinstance(i, Rejected) and i.cop_code}
            )
        prepared = [i for i in items if isinstance(i, Prepared)]
        # Before anything is read: writers of the same orders take turns (PostgreSQL).
        repository.lock_orders(self.session, [p.order_no for p in prepared])
        checking = {
            who.code
            for who in (
                [authenticated]
                if authenticated is not None
                else [self._senders.get(p.cop_code) for p in prepared]
            )
            if who is not None and who.signature_policy != "off"
        }
        if checking:
            self._load_signature_keys(checking)
        known = repository.known_messages(
            self.session,
            [
                ((authenticated.code if authenticated else p.cop_code), p.content_hash)
                for p in prepared
            ],
        )
        docs: dict[tuple[str, str], _DocState] = {
            key: _DocState(r.id, r.status, r.version, r.deleted, r.sender_code)
            for key, r in repository.documents_by_key(
                self.session, [(p.kind, p.business_key) for p in prepared]
            ).items()
        }
        changes = [p for p in prepared if p.app_type in ("2", "3") and p.kind in _THREE_DOCUMENTS]
        decided = repository.decided_orders(self.session, [p.order_no for p in changes], DECIDED)

        pendings: list[_Pending] = []
        message_rows: list[dict[str, Any]] = []
        dead_rows: list[dict[str, Any]] = []
        doc_updates: dict[int, dict[str, Any]] = {}
        seen: dict[tuple[str, str], int] = {}  # (sender, hash) -> index in pendings

        for item in items:
            if isinstance(item, Rejected):
                pendings.append(self._reject_unreadable(item, authenticated, now, dead_rows))
                continue
            who = authenticated or self._senders.get(item.cop_code)
            refusal = self._refusal(item, who)
            if refusal is not None:
                http, rule, path, text = refusal
                pendings.append(
                    self._reject_valid(item, who, now, dead_rows, http, rule, path, text)
                )
                continue
            assert who is not None
            signature_problem = self._signature_problem(item, who)
            if signature_problem is not None and who.signature_policy == "enforce":
                rule, text = signature_problem
                pendings.append(
                    self._reject_valid(
                        item,
                        who,
                        now,
                        dead_rows,
                        403,
                        rule,
                        f"{item.message_type}Message/Signature",
                        text,
                    )
                )
                continue
            dedup_key = (who.code, item.content_hash)
            if dedup_key in known:
                _mid, rid = known[dedup_key]
                pendings.append(self._duplicate(item, now, known_receipt_id=rid))
                continue
            if dedup_key in seen:
                pendings.append(self._duplicate(item, now, duplicate_of=seen[dedup_key]))
                continue
            state = docs.get((item.kind, item.business_key))
            problem = _app_type_problem(item, state, who, decided)
            if problem is not None:
                rule, text = problem
                pendings.append(
                    self._reject_valid(
                        item, who, now, dead_rows, 409, rule, _head_path(item, "appType"), text
                    )
                )
                continue
            message_index = len(message_rows)
            message_rows.append(
                {
                    "guid": item.guid,
                    "message_type": item.message_type,
                    "sender_code": who.code,
                    "business_key": item.business_key,
                    "app_type": item.app_type,
                    "content_hash": item.content_hash,
                    "body": seal(item.canonical),  # bulk insert: sealed here
                    "received_at": now,
                    "source": item.source[:255],
                }
            )
            verb = _apply_document(item, state, who, now, message_index, docs, doc_updates)
            info = f"{STATUS_TEXT[ACCEPTED]} ({verb})"
            if signature_problem is not None:  # policy warn: accepted, and told why
                rule, text = signature_problem
                info += (
                    f"; signature warning [{rule}] at {item.message_type}Message/Signature: {text}"
                )
                log.warning(
                    "accepted %s %s from %s with a bad signature [%s]: %s",
                    item.message_type,
                    item.guid,
                    who.code,
                    rule,
                    text,
                )
            outcome = Outcome(
                accepted=True,
                duplicate=False,
                http_status=200,
                message_type=item.message_type,
                business_key=item.business_key,
                guid=item.guid,
                receipt_type=receipt_type_for(item.message_type),
                return_status=ACCEPTED,
                return_info=info,
                source=item.source,
            )
            seen[dedup_key] = len(pendings)
            pendings.append(
                _Pending(
                    outcome,
                    _receipt_row(outcome, who.code, item.receipt_keys, now),
                    message_index=message_index,
                    item=item,
                    sender_code=who.code,
                )
            )

        message_ids, doc_ids = self._write(pendings, message_rows, dead_rows, docs, doc_updates)
        if self.listeners:
            accepted = [
                Accepted(
                    document_id=doc_ids[(p.item.kind, p.item.business_key)],
                    message_id=message_ids[p.message_index],
                    message_type=p.item.message_type,
                    kind=p.item.kind,
                    business_key=p.item.business_key,
                    order_no=p.item.order_no,
                    ebp_code=p.item.ebp_code,
                    ebc_code=p.item.ebc_code,
                    app_type=p.item.app_type,
                    sender_code=p.sender_code or "",
                    received_at=now,
                    message=p.item.message,
                    canonical=p.item.canonical,
                )
                for p in pendings
                if p.item is not None and p.message_index is not None
            ]
            if accepted:
                for listener in self.listeners:
                    listener.accepted(self.session, accepted)
        return [p.outcome for p in pendings]

    # -- decisions ----------------------------------------------------------------------

    def _refusal(self, item: Prepared, who: Sender | None) -> tuple[int, str, str, str] | None:
        root = f"{item.message_type}Message"
        if who is None:
            return (
                403,
                "sender.filed",
                f"{root}/BaseTransfer/copCode",
                f"sender {item.cop_code} is not a filed enterprise",
            )
        if who.status != Status.ACTIVE:
            return (403, "sender.active", root, f"enterprise {who.code} is {who.status}")
        if item.message_type not in who.may_send:
            roles = ", ".join(sorted(who.roles)) or "none"
            return (
                403,
                "role.may-send",
                root,
                f"enterprise {who.code} (roles: {roles}) may not send {item.message_type}",
            )
        if who.code not in item.sender_fields.values():
            paths = " or ".join(f"{root}/{p}" for p in item.sender_fields)
            return (
                403,
                "sender.own-code",
                next(iter(item.sender_fields)),
                f"{paths} must be the sender's own code {who.code}",
            )
        return None

    def _reject_unreadable(
        self, item: Rejected, who: Sender | None, now: datetime, dead_rows: list[dict[str, Any]]
    ) -> _Pending:
        recipient = who.code if who else (item.cop_code or "")
        info = "; ".join(str(f) for f in item.fields) or item.detail
        outcome = Outcome(
            accepted=False,
            duplicate=False,
            http_status=item.status_code,
            message_type=item.message_type,
            business_key=None,
            guid=item.guid,
            receipt_type=FORMAT_ERROR_RECEIPT,
            return_status=REJECTED,
            return_info=f"{STATUS_TEXT[REJECTED]}: {info}",
            source=item.source,
            fields=list(item.fields),
        )
        index = len(dead_rows)
        dead_rows.append(
            {
                "received_at": now,
                "sender_code": recipient or None,
                "message_type": item.message_type,
                "source": item.source[:255],
                "raw": seal_bytes(item.raw),
                "truncated": item.truncated,
                "stage": item.stage,
                "error": item.detail,
                "fields": json.dumps([f.as_dict() for f in item.fields], ensure_ascii=False),
            }
        )
        keys = {
            "guid": item.guid,
            "oriCopMsgId": item.guid or "unknown",
            "oriMessageType": item.message_type or "unknown",
        }
        return _Pending(
            outcome, _receipt_row(outcome, recipient, keys, now), dead_letter_index=index
        )

    def _reject_valid(
        self,
        item: Prepared,
        who: Sender | None,
        now: datetime,
        dead_rows: list[dict[str, Any]],
        http: int,
        rule: str,
        path: str,
        text: str,
    ) -> _Pending:
        recipient = who.code if who else item.cop_code
        problem = FieldError(path, rule, text)
        outcome = Outcome(
            accepted=False,
            duplicate=False,
            http_status=http,
            message_type=item.message_type,
            business_key=item.business_key,
            guid=item.guid,
            receipt_type=receipt_type_for(item.message_type),
            return_status=REJECTED,
            return_info=f"{STATUS_TEXT[REJECTED]}: {problem}",
            source=item.source,
            fields=[problem],
        )
        index = len(dead_rows)
        dead_rows.append(
            {
                "received_at": now,
                "sender_code": recipient,
                "message_type": item.message_type,
                "source": item.source[:255],
                "raw": seal_bytes(item.canonical.encode("utf-8")),
                "truncated": False,
                "stage": "auth" if http == 403 else "business",
                "error": text,
                "fields": json.dumps([problem.as_dict()], ensure_ascii=False),
            }
        )
        return _Pending(
            outcome,
            _receipt_row(outcome, recipient, item.receipt_keys, now),
            dead_letter_index=index,
        )

    def _duplicate(
        self,
        item: Prepared,
        now: datetime,
        *,
        known_receipt_id: int | None = None,
        duplicate_of: int | None = None,
    ) -> _Pending:
        outcome = Outcome(
            accepted=True,
            duplicate=True,
            http_status=200,
            message_type=item.message_type,
            business_key=item.business_key,
            guid=item.guid,
            receipt_type=receipt_type_for(item.message_type),
            return_status=ACCEPTED,
            return_info="",
            source=item.source,
        )
        return _Pending(outcome, {}, known_receipt_id=known_receipt_id, duplicate_of=duplicate_of)

    # -- writing ------------------------------------------------------------------------

    def _write(
        self,
        pendings: list[_Pending],
        message_rows: list[dict[str, Any]],
        dead_rows: list[dict[str, Any]],
        docs: dict[tuple[str, str], _DocState],
        doc_updates: dict[int, dict[str, Any]],
    ) -> tuple[list[int], dict[tuple[str, str], int]]:
        """Write the batch; returns the new message ids and the id of every touched document."""
        session = self.session
        message_ids = repository.insert_returning_ids(session, InboundMessage, message_rows)
        dead_ids = repository.insert_returning_ids(session, DeadLetter, dead_rows)
        inserts = []
        doc_ids: dict[tuple[str, str], int] = {}
        for key, state in docs.items():
            if state.insert_row is not None:
                row = dict(state.insert_row)
                row["message_id"] = message_ids[row["message_id"]]
                inserts.append((key, row))
            elif state.id is not None:
                doc_ids[key] = state.id
        new_ids = repository.insert_returning_ids(session, Document, [row for _, row in inserts])
        for (key, _), new_id in zip(inserts, new_ids, strict=True):
            doc_ids[key] = new_id
        updates = []
        for row in doc_updates.values():
            row = dict(row)
            row["message_id"] = message_ids[row["message_id"]]
            updates.append(row)
        repository.update_documents(session, updates)

        receipt_rows = []
        owners = []
        for p in pendings:
            if p.receipt_row:
                row = p.receipt_row
                if p.message_index is not None:
                    row["message_id"] = message_ids[p.message_index]
                if p.dead_letter_index is not None:
                    row["dead_letter_id"] = dead_ids[p.dead_letter_index]
                    p.outcome.dead_letter_id = dead_ids[p.dead_letter_index]
                receipt_rows.append(row)
                owners.append(p)
        for p, rid in zip(
            owners, repository.insert_returning_ids(session, Receipt, receipt_rows), strict=True
        ):
            p.outcome.receipt_id = rid

        # Duplicates answer with the receipt the first delivery got.
        earlier = repository.receipts_by_id(
            session, [p.known_receipt_id for p in pendings if p.known_receipt_id is not None]
        )
        for p in pendings:
            first: Receipt | None = None
            if p.known_receipt_id is not None:
                first = earlier.get(p.known_receipt_id)
                if first is not None:
                    p.outcome.receipt_id = first.id
                    p.outcome.return_status = first.return_status
                    p.outcome.return_info = first.return_info
            elif p.duplicate_of is not None:
                original = pendings[p.duplicate_of].outcome
                p.outcome.receipt_id = original.receipt_id
                p.outcome.return_status = original.return_status
                p.outcome.return_info = original.return_info
        session.flush()
        return message_ids, doc_ids


def _head_path(item: Prepared, leaf: str) -> str:
    heads = {
        "CEB311": "Order/OrderHead",
        "CEB411": "Payment/PaymentHead",
        "CEB511": "Logistics/LogisticsHead",
        "CEB621": "Inventory/InventoryHead",
        "CEB623": "InvtCancel",
        "CEB625": "InvtRefund/InvtRefundHead",
        "CEB711": "BondedEntry/BondedEntryHead",
        "CEB303": "Order/OrderHead",
        "CEB603": "Inventory/InventoryHead",
        "CEB701": "SummaryApply/SummaryApplyHead",
    }
    return f"{item.message_type}Message/{heads[item.message_type]}/{leaf}"


def _app_type_problem(
    item: Prepared, state: _DocState | None, who: Sender, decided: dict[str, int]
) -> tuple[str, str] | None:
    # A rejected (100) document may be declared again as new, as senders do after fixing it.
    live = state is not None and not state.deleted and state.status != REJECTED
    if item.app_type == "1":
        if live:
            return (
                "appType.new-exists",
                f"{item.kind} {item.business_key} was already declared; "
                "send appType 2 to modify it",
            )
        return None
    verb = "modify" if item.app_type == "2" else "delete"
    if state is None or state.deleted:
        return (f"appType.{verb}-missing", f"there is no {item.kind} {item.business_key} to {verb}")
    assert state is not None
    if state.sender_code != who.code:
        return (
            f"appType.{verb}-owner",
            f"{item.kind} {item.business_key} was declared by {state.sender_code}",
        )
    if state.status in DECIDED:
        return (
            f"appType.{verb}-decided",
            f"{item.kind} {item.business_key} is already decided "
            f"({state.status} {STATUS_TEXT.get(state.status, '')}); {verb} refused",
        )
    if item.kind in _THREE_DOCUMENTS and item.order_no in decided:
        status = decided[item.order_no]
        return (
            f"appType.{verb}-decided",
            f"the list for order {item.order_no} is already decided "
            f"({status} {STATUS_TEXT.get(status, '')}); {verb} refused",
        )
    return None


def _apply_document(
    item: Prepared,
    state: _DocState | None,
    who: Sender,
    now: datetime,
    message_index: int,
    docs: dict[tuple[str, str], _DocState],
    doc_updates: dict[int, dict[str, Any]],
) -> str:
    deleted = item.app_type == "3"
    values = {
        "order_no": item.order_no,
        "ebp_code": item.ebp_code,
        "ebc_code": item.ebc_code,
        "sender_code": who.code,
        "status": ACCEPTED,
        "deleted": deleted,
        "message_id": message_index,
        "updated_at": now,
    }
    key = (item.kind, item.business_key)
    if state is None:
        row = {
            "kind": item.kind,
            "business_key": item.business_key,
            "version": 1,
            "created_at": now,
            **values,
        }
        docs[key] = _DocState(None, ACCEPTED, 1, deleted, who.code, insert_row=row)
        return "new"
    state.version += 1
    state.deleted = deleted
    state.status = ACCEPTED
    if state.insert_row is not None:  # declared earlier in this same batch
        state.insert_row.update(values, version=state.version)
    else:
        assert state.id is not None
        doc_updates[state.id] = {"id": state.id, "version": state.version, **values}
    return {"1": "new", "2": "modified", "3": "deleted"}[item.app_type]


def receipt_row(
    recipient: str,
    receipt_type: str,
    ori_message_type: str,
    business_key: str,
    status: int,
    info: str,
    now: datetime,
    keys: str | dict[str, Any],
    ori_guid: str = "",
) -> dict[str, Any]:
    """A row of the receipts table, as :func:`cbec.store.bulk.insert_many` takes it.
    ``keys``: the identifying fields the receipt echoes (a dict, or already JSON)."""
    return {
        "message_id": None,
        "dead_letter_id": None,
        "recipient_code": recipient,
        "message_type": receipt_type,
        "ori_message_type": ori_message_type,
        "ori_guid": ori_guid[:36],
        "business_key": business_key,
        "return_status": status,
        "return_info": info[:4000],
        "created_at": now,
        "body": keys
        if isinstance(keys, str)
        else json.dumps({k: v for k, v in keys.items() if v is not None}, ensure_ascii=False),
    }


def _receipt_row(
    outcome: Outcome, recipient: str, keys: str | dict[str, Any], now: datetime
) -> dict[str, Any]:
    return receipt_row(
        recipient,
        outcome.receipt_type,
        outcome.message_type or "unknown",
        outcome.business_key or "",
        outcome.return_status,
        outcome.return_info,
        now,
        keys,
        ori_guid=outcome.guid or "",
    )


# -- reading receipts -------------------------------------------------------------------


def receipt_message(receipt: Receipt) -> ReceiptMessage:
    """The CEB receipt message for a stored receipt (its guid is stable across fetches)."""
    return build_receipt(
        receipt.message_type,
        keys=json.loads(receipt.body),
        status=receipt.return_status,
        info=receipt.return_info,
        at=receipt.created_at,
        guid=str(uuid.uuid5(_RECEIPT_NS, f"receipt-{receipt.id}")).upper(),
    )


def list_receipts(session: Session, recipient: str, after: int, limit: int) -> list[Receipt]:
    """The receipts owed to ``recipient`` after ``after`` (the cursor: a place in commit
    order, the ``seq`` of the last receipt seen), in commit order."""
    return list(repository.receipts_after(session, recipient, after, limit))


def get_receipt(session: Session, recipient: str, receipt_id: int) -> Receipt | None:
    receipt = repository.get_receipt(session, receipt_id)
    if receipt is None or receipt.recipient_code != recipient:
        return None
    return receipt


def document(session: Session, kind: str, business_key: str) -> Document | None:
    return repository.get_document(session, kind, business_key)
