"""Receipts customs returns: which receipt answers which message, and how to build one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cbec.messages.fields import format_return_time
from cbec.messages.models import (
    RECEIPT_FOR,
    RECEIPT_TYPES,
    ReceiptMessage,
)

#: Receipt status codes (DOMAIN.md).
SAVED = 1
DECLARING = 2
SENT = 3
SEND_FAILED = 4
REJECTED = 100
ACCEPTED = 120
MANUAL_REVIEW = 300
APPROVED = 399
INSPECTION = 500
DETAINED_CLEARANCE = 501
DETAINED_ANTI_SMUGGLING = 502
DETAINED_LEGAL = 503
DETAINED_OTHER = 599
RETURNED = 700
RELEASED = 800
CLOSED = 899

STATUS_TEXT: dict[int, str] = {
    SAVED: "saved at the e-port",
    DECLARING: "declaring",
    SENT: "sent to customs",
    SEND_FAILED: "sending failed",
    REJECTED: "rejected",
    ACCEPTED: "accepted into customs",
    MANUAL_REVIEW: "manual review",
    APPROVED: "examined and approved",
    INSPECTION: "inspection",
    DETAINED_CLEARANCE: "detained, passed to clearance",
    DETAINED_ANTI_SMUGGLING: "detained, passed to anti-smuggling",
    DETAINED_LEGAL: "detained, passed to legal",
    DETAINED_OTHER: "other detention",
    RETURNED: "returned",
    RELEASED: "released",
    CLOSED: "closed",
}

#: A list in one of these states has been decided: its documents can no longer change.
DECIDED: frozenset[int] = frozenset(
    {
        REJECTED,
        MANUAL_REVIEW,
        APPROVED,
        INSPECTION,
        DETAINED_CLEARANCE,
        DETAINED_ANTI_SMUGGLING,
        DETAINED_LEGAL,
        DETAINED_OTHER,
        RETURNED,
        RELEASED,
        CLOSED,
    }
)

FORMAT_ERROR_RECEIPT = "CEB900"


def receipt_type_for(message_type: str | None) -> str:
    """CEB311 -> CEB312, ...; unreadable or unknown messages are answered with a CEB900."""
    return RECEIPT_FOR.get(message_type or "", FORMAT_ERROR_RECEIPT)


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def build_receipt(
    receipt_type: str,
    *,
    keys: dict[str, Any],
    status: int,
    info: str,
    at: datetime,
    guid: str | None = None,
) -> ReceiptMessage:
    """A receipt message of ``receipt_type`` echoing ``keys`` (the identifying fields of the
    message it answers: its head guid, ebpCode, orderNo, copNo, ...)."""
    model = RECEIPT_TYPES[receipt_type]
    node_name = model.BUSINESS
    node_type = model.model_fields[node_name].annotation
    assert isinstance(node_type, type)
    fields = set(node_type.model_fields)
    node = {k: v for k, v in keys.items() if k in fields and v not in (None, "")}
    node.update(
        returnStatus=str(status),
        returnTime=format_return_time(at),
        returnInfo=info[:1000],
    )
    node.setdefault("guid", keys.get("guid") or new_guid())
    return model.model_validate({"guid": guid or new_guid(), node_name: node})
