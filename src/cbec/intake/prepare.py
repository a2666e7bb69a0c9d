"""Turning raw bytes into something intake can persist, with no database in sight.

:func:`prepare` is pure and picklable, so ``cbec ingest`` can run it in worker processes
while the main process writes to the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cbec.errors import CbecError, FieldError
from cbec.messages import codec, signature
from cbec.messages.models import (
    CEB303Message,
    CEB311Message,
    CEB411Message,
    CEB505Message,
    CEB507Message,
    CEB509Message,
    CEB511Message,
    CEB603Message,
    CEB621Message,
    CEB623Message,
    CEB625Message,
    CEB701Message,
    CEB711Message,
    CebMessage,
    DeclarationMessage,
)

#: Kept of a rejected message's raw bytes.
DEAD_LETTER_KEEP = 1024 * 1024


@dataclass(slots=True)
class Prepared:
    """A valid declaration message, reduced to what intake needs to persist it."""

    message_type: str
    guid: str
    app_type: str
    kind: str
    business_key: str
    order_no: str
    ebp_code: str | None
    ebc_code: str | None
    #: The transmitting enterprise (BaseTransfer/copCode).
    cop_code: str
    #: Field path -> code: the sender must be one of these (its own code in the sender field).
    sender_fields: dict[str, str]
    #: Identifying fields echoed by the receipt, as a JSON object (made here, in parallel).
    receipt_keys: str
    canonical: str
    content_hash: str
    source: str = "api"
    #: The validated message itself, handed on to listeners so that clearance need not
    #: parse ``canonical`` again. Process-local: :func:`prepare_many` drops it when the
    #: result crosses to another process (unpickling costs about what re-parsing does).
    message: CebMessage | None = field(default=None, repr=False, compare=False)
    #: appStatus: 1 saved, 2 declared (a declared message must be signed)
    app_status: str = "2"
    #: the message's XML-DSig signature, read and digest-checked here; None if unsigned
    signature: signature.Evidence | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Rejected:
    """A message that could not be read or validated."""

    stage: str
    detail: str
    fields: list[FieldError]
    status_code: int
    raw: bytes
    truncated: bool
    message_type: str | None = None
    guid: str | None = None
    cop_code: str | None = None
    source: str = "api"
    extra: dict[str, Any] = field(default_factory=dict)


#: The list and the messages about a list share their keys: kind, head path, head.
_LIST_LIKE: dict[type[DeclarationMessage], tuple[str, str, Callable[[Any], Any]]] = {
    CEB621Message: ("inventory", "Inventory/InventoryHead", lambda m: m.inventory.inventoryHead),
    CEB623Message: ("cancel", "InvtCancel", lambda m: m.invtCancel),
    CEB625Message: ("refund", "InvtRefund/InvtRefundHead", lambda m: m.invtRefund.invtRefundHead),
}


def describe(
    message: DeclarationMessage,
) -> tuple[str, str, str, str | None, str | None, dict[str, str], dict[str, Any], str, str]:
    """(kind, business key, orderNo, ebpCode, ebcCode, sender fields, receipt keys, head
    guid, appType) of a declaration message."""
    if isinstance(message, CEB311Message):
        h = message.order.orderHead
        return (
            "order",
            f"{h.ebpCode}|{h.ebcCode}|{h.orderNo}",
            h.orderNo,
            h.ebpCode,
            h.ebcCode,
            {"Order/OrderHead/ebpCode": h.ebpCode, "Order/OrderHead/ebcCode": h.ebcCode},
            {"guid": h.guid, "ebpCode": h.ebpCode, "ebcCode": h.ebcCode, "orderNo": h.orderNo},
            h.guid,
            h.appType,
        )
    if isinstance(message, CEB411Message):
        p = message.payment.paymentHead
        return (
            "payment",
            f"{p.payCode}|{p.payTransactionId}",
            p.orderNo,
            p.ebpCode,
            None,
            {"Payment/PaymentHead/payCode": p.payCode},
            {"guid": p.guid, "payCode": p.payCode, "payTransactionId": p.payTransactionId},
            p.guid,
            p.appType,
        )
    if isinstance(message, CEB511Message):
        w = message.logistics.logisticsHead
        return (
            "waybill",
            f"{w.logisticsCode}|{w.logisticsNo}",
            w.orderNo,
            None,
            None,
            {"Logistics/LogisticsHead/logisticsCode": w.logisticsCode},
            {"guid": w.guid, "logisticsCode": w.logisticsCode, "logisticsNo": w.logisticsNo},
            w.guid,
            w.appType,
        )
    if isinstance(message, CEB711Message | CEB303Message | CEB603Message | CEB701Message):
        return _describe_more(message)
    if isinstance(message, CEB505Message | CEB507Message | CEB509Message):
        return _describe_transport(message)
    for model, (kind, path, head_of) in _LIST_LIKE.items():
        if isinstance(message, model):
            h = head_of(message)
            return (
                kind,
                f"{h.agentCode}|{h.copNo}",
                h.orderNo,
                h.ebpCode,
                h.ebcCode,
                {f"{path}/agentCode": h.agentCode, f"{path}/ebcCode": h.ebcCode},
                {
                    "guid": h.guid,
                    "customsCode": h.customsCode,
                    "ebpCode": h.ebpCode,
                    "ebcCode": h.ebcCode,
                    "agentCode": h.agentCode,
                    "copNo": h.copNo,
                    "preNo": h.preNo,
                    "invtNo": h.invtNo,
                },
                h.guid,
                h.appType,
            )
    raise TypeError(f"not a declaration message: {type(message).__name__}")


def _describe_more(
    message: CEB711Message | CEB303Message | CEB603Message | CEB701Message,
) -> tuple[str, str, str, str | None, str | None, dict[str, str], dict[str, Any], str, str]:
    """:func:`describe` of the bonded-entry and export messages."""
    if isinstance(message, CEB711Message):
        b = message.bondedEntry.bondedEntryHead
        return (
            "bonded_entry",
            f"{b.areaCode}|{b.entryNo}",
            b.entryNo,
            None,
            b.ebcCode,
            {"BondedEntry/BondedEntryHead/areaCode": b.areaCode},
            {
                "guid": b.guid,
                "customsCode": b.customsCode,
                "areaCode": b.areaCode,
                "emsNo": b.emsNo,
                "entryNo": b.entryNo,
            },
            b.guid,
            b.appType,
        )
    if isinstance(message, CEB303Message):
        o = message.order.orderHead
        return (
            "export_order",
            f"{o.ebpCode}|{o.ebcCode}|{o.orderNo}",
            o.orderNo,
            o.ebpCode,
            o.ebcCode,
            {"Order/OrderHead/ebpCode": o.ebpCode, "Order/OrderHead/ebcCode": o.ebcCode},
            {"guid": o.guid, "ebpCode": o.ebpCode, "ebcCode": o.ebcCode, "orderNo": o.orderNo},
            o.guid,
            o.appType,
        )
    if isinstance(message, CEB603Message):
        h = message.inventory.inventoryHead
        return (
            "export_list",
            f"{h.agentCode}|{h.copNo}",
            h.orderNo,
            h.ebpCode,
            h.ebcCode,
            {
                "Inventory/InventoryHead/agentCode": h.agentCode,
                "Inventory/InventoryHead/ebcCode": h.ebcCode,
            },
            {
                "guid": h.guid,
                "customsCode": h.customsCode,
                "ebpCode": h.ebpCode,
                "ebcCode": h.ebcCode,
                "agentCode": h.agentCode,
                "copNo": h.copNo,
                "preNo": h.preNo,
                "invtNo": h.invtNo,
            },
            h.guid,
            h.appType,
        )
    a = message.summaryApply.summaryApplyHead
    return (
        "export_summary",
        f"{a.agentCode}|{a.copNo}",
        a.copNo,
        None,
        a.ebcCode,
        {
            "SummaryApply/SummaryApplyHead/agentCode": a.agentCode,
            "SummaryApply/SummaryApplyHead/ebcCode": a.ebcCode,
            "SummaryApply/SummaryApplyHead/declAgentCode": a.declAgentCode,
        },
        {
            "guid": a.guid,
            "customsCode": a.customsCode,
            "agentCode": a.agentCode,
            "ebcCode": a.ebcCode,
            "copNo": a.copNo,
            "sumNo": a.sumNo,
        },
        a.guid,
        a.appType,
    )


def _describe_transport(
    message: CEB505Message | CEB507Message | CEB509Message,
) -> tuple[str, str, str, str | None, str | None, dict[str, str], dict[str, Any], str, str]:
    """:func:`describe` of the export waybill (CEB505), arrival report (CEB507) and
    departure (CEB509). A report split over several messages is one document per message
    (``msgSeqNo`` is part of its key); their order number field carries the waybill or the
    sender's own number, as none of them names an order."""
    if isinstance(message, CEB505Message):
        w = message.logistics
        return (
            "export_waybill",
            f"{w.logisticsCode}|{w.logisticsNo}",
            w.logisticsNo,
            None,
            w.ebcCode,
            {"Logistics/logisticsCode": w.logisticsCode},
            {"guid": w.guid, "logisticsCode": w.logisticsCode, "logisticsNo": w.logisticsNo},
            w.guid,
            w.appType,
        )
    if isinstance(message, CEB507Message):
        a = message.arrival.arrivalHead
        return (
            "export_arrival",
            f"{a.operatorCode}|{a.logisticsCode}|{a.copNo}|{a.msgSeqNo or '1'}",
            a.copNo,
            None,
            None,
            {
                "Arrival/ArrivalHead/logisticsCode": a.logisticsCode,
                "Arrival/ArrivalHead/operatorCode": a.operatorCode,
            },
            {
                "guid": a.guid,
                "operatorCode": a.operatorCode,
                "logisticsCode": a.logisticsCode,
                "preNo": a.preNo,
                "copNo": a.copNo,
                "billNo": a.billNo,
                "msgSeqNo": a.msgSeqNo,
            },
            a.guid,
            a.appType,
        )
    d = message.departure.departureHead
    senders = {"Departure/DepartureHead/logisticsCode": d.logisticsCode}
    if d.operatorCode:
        senders["Departure/DepartureHead/operatorCode"] = d.operatorCode
    return (
        "export_departure",
        f"{d.operatorCode or d.logisticsCode}|{d.logisticsCode}|{d.copNo}|{d.msgSeqNo or '1'}",
        d.copNo,
        None,
        None,
        senders,
        {
            "guid": d.guid,
            "logisticsCode": d.logisticsCode,
            "copNo": d.copNo,
            "preNo": d.preNo,
            "msgSeqNo": d.msgSeqNo,
        },
        d.guid,
        d.appType,
    )


def _content_hash(message: CebMessage, canonical: str) -> str:
    """What makes two deliveries the same message: the content without the Signature, so
    that a gateway re-signing a retry (SM2 and ECDSA signatures differ on every signing)
    re-delivers rather than sends a second message."""
    if getattr(message, "signature", None) is not None:
        canonical = message.model_dump_json(exclude_none=True, exclude={"signature"})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_HEAD_PATHS = (
    "order.orderHead",
    "payment.paymentHead",
    "logistics.logisticsHead",
    "inventory.inventoryHead",
    "invtCancel",
    "invtRefund.invtRefundHead",
    "bondedEntry.bondedEntryHead",
    "summaryApply.summaryApplyHead",
    "logistics",
    "arrival.arrivalHead",
    "departure.departureHead",
)


@cache
def _head_paths(model: type[CebMessage]) -> tuple[tuple[str, ...], ...]:
    """The head paths of ``_HEAD_PATHS`` that ``model``'s fields can hold, in order (looked
    up once per message class: asking a pydantic model for an attribute it lacks is slow)."""
    found = []
    for path in _HEAD_PATHS:
        parts = tuple(path.split("."))
        node: Any = model
        for part in parts:
            field_info = node.model_fields.get(part) if node is not None else None
            node = codec.node_children(node).get(part, (None,))[0] if field_info else None
            if node is None:
                break
        if node is not None:
            found.append(parts)
    return tuple(found)


def _app_status(message: DeclarationMessage) -> str:
    for parts in _head_paths(type(message)):
        head: Any = message
        for part in parts:
            head = getattr(head, part)
            if head is None:
                break
        if head is not None:
            return str(head.appStatus)
    return "2"


def from_message(
    message: CebMessage, source: str = "api", evidence: signature.Evidence | None = None
) -> Prepared | Rejected:
    """Reduce a validated message; receipts sent to customs are refused. ``evidence``: its
    signature as read from the XML it came in (for JSON, read from cbec's XML form)."""
    if not isinstance(message, DeclarationMessage):
        return Rejected(
            stage="validate",
            detail=f"{message.MESSAGE_TYPE} is a receipt customs sends; it cannot be declared",
            fields=[
                FieldError(
                    f"{message.MESSAGE_TYPE}Message",
                    "message.direction",
                    "receipts are not accepted",
                )
            ],
            status_code=400,
            raw=codec.to_xml(message),
            truncated=False,
            message_type=message.MESSAGE_TYPE,
            guid=message.guid,
            source=source,
        )
    kind, key, order_no, ebp, ebc, senders, receipt_keys, _head_guid, app_type = describe(message)
    canonical = codec.canonical_json(message)
    if evidence is None and getattr(message, "signature", None):
        evidence = signature.read(codec.parse_tree(codec.to_xml(message)))
    return Prepared(
        message_type=message.MESSAGE_TYPE,
        guid=message.guid,
        app_type=app_type,
        kind=kind,
        business_key=key,
        order_no=order_no,
        ebp_code=ebp,
        ebc_code=ebc,
        cop_code=message.baseTransfer.copCode,
        sender_fields=senders,
        receipt_keys=json.dumps(
            {k: v for k, v in receipt_keys.items() if v is not None}, ensure_ascii=False
        ),
        canonical=canonical,
        content_hash=_content_hash(message, canonical),
        source=source,
        message=message,
        app_status=_app_status(message),
        signature=evidence,
    )


def rejection(exc: codec.MessageRejected, data: bytes, source: str = "api") -> Rejected:
    """``data`` refused for ``exc``: what intake answers and keeps as a dead letter."""
    return Rejected(
        stage="parse" if exc.message_type is None else "validate",
        detail=exc.detail,
        fields=exc.fields,
        status_code=exc.status_code,
        raw=data[:DEAD_LETTER_KEEP],
        truncated=len(data) > DEAD_LETTER_KEEP,
        message_type=exc.message_type,
        guid=exc.guid,
        cop_code=cop_code_hint(data),
        source=source,
    )


def prepare(
    data: bytes, *, fmt: str = "xml", source: str = "api", max_bytes: int = codec.DEFAULT_MAX_BYTES
) -> Prepared | Rejected:
    """Parse, validate and reduce one message. Never raises for bad input."""
    evidence = None
    try:
        if fmt == "json":
            message = codec.from_json(data, max_bytes)
        else:
            root = codec.parse_tree(data, max_bytes)
            message = codec.from_element(root)
            evidence = signature.read(root)
    except codec.MessageRejected as exc:
        return rejection(exc, data, source)
    except CbecError as exc:  # e.g. PayloadTooLarge
        return Rejected(
            stage="size",
            detail=exc.detail,
            fields=exc.fields,
            status_code=exc.status_code,
            raw=data[:DEAD_LETTER_KEEP],
            truncated=len(data) > DEAD_LETTER_KEEP,
            source=source,
        )
    return from_message(message, source, evidence)


def prepare_many(
    items: list[tuple[str, bytes]],
    max_bytes: int = codec.DEFAULT_MAX_BYTES,
    *,
    keep_messages: bool = True,
) -> list[Prepared | Rejected]:
    """:func:`prepare` over ``(source, bytes)`` pairs (XML, or JSON when source ends .json).
    ``keep_messages=False`` drops the validated messages (for results sent to another
    process)."""
    out = [
        prepare(
            data,
            fmt="json" if source.endswith(".json") else "xml",
            source=source,
            max_bytes=max_bytes,
        )
        for source, data in items
    ]
    if not keep_messages:
        for item in out:
            if isinstance(item, Prepared):
                item.message = None
    return out


def prepare_for_transfer(items: list[tuple[str, bytes]]) -> list[Prepared | Rejected]:
    """:func:`prepare_many` for a worker process: the results travel without messages."""
    return prepare_many(items, keep_messages=False)


def cop_code_hint(data: bytes) -> str | None:
    # Best effort, for routing the rejection receipt of a message that did not validate:
    # the copCode of a well-formed message, if one can be read safely.
    marker = b"copCode>"
    start = data.find(marker)
    if start < 0 or len(data) > DEAD_LETTER_KEEP:
        return None
    end = data.find(b"<", start)
    value = data[start + len(marker) : end].strip()
    if 0 < len(value) <= 18 and value.isalnum():
        return value.decode("ascii", "replace")
    return None
