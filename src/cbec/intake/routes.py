"""HTTP intake: ``POST /api/v1/messages`` (one XML or JSON message), the batch endpoint, and
``GET /api/v1/receipts`` for senders to fetch what customs answered."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from cbec.bounds import BigId, Cursor
from cbec.deps import EnterpriseDep, SessionDep
from cbec.errors import BadRequest, FieldError, NotFound, PayloadTooLarge
from cbec.intake import repository as intake_repository
from cbec.intake.pipeline import ListenerFactory
from cbec.intake.prepare import DEAD_LETTER_KEEP, Prepared, Rejected, prepare, rejection
from cbec.intake.service import Intake, Outcome, get_receipt, list_receipts, receipt_message
from cbec.messages import codec
from cbec.store.models import Enterprise, Receipt
from cbec.store.retry import STORE_ERRORS, is_retryable, retry_pause

router = APIRouter(prefix="/api/v1", tags=["intake"])

XML_TYPES = ("application/xml", "text/xml")
#: Runs of one request's transaction when it loses a race to another writer.
_ATTEMPTS = 5

_MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "One CEB message: XML (prefixed or default namespace) or its JSON form "
        '`{"CEB311Message": {...}}`.',
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/CebJsonMessage"}},
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": 'Many messages: `{"messages": [...]}`, each item an XML string or a '
        "JSON message object. Each is answered on its own; the batch is committed at once.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["messages"],
                    "properties": {
                        "messages": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {"type": "string", "description": "a CEB XML message"},
                                    {"$ref": "#/components/schemas/CebJsonMessage"},
                                ]
                            },
                        }
                    },
                }
            }
        },
    }
}


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, stopping once it is over ``limit`` (then truncated is True)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks), True
    return b"".join(chunks), False


def _wants_xml(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(t in accept for t in XML_TYPES)


def _is_json(request: Request) -> bool:
    return "json" in request.headers.get("content-type", "")


def _submit(
    request: Request, sender: Enterprise, items: list[Prepared | Rejected]
) -> tuple[list[Outcome], dict[int, Receipt]]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    listener_factories: list[ListenerFactory] = request.app.state.intake_listeners
    for attempt in range(1, _ATTEMPTS + 1):
        with factory() as session:
            try:
                listeners = [make(session) for make in listener_factories]
                outcomes = Intake(session, listeners).submit(items, sender)
                receipts = {
                    r.id: r
                    for r in session.query(Receipt).filter(
                        Receipt.id.in_([o.receipt_id for o in outcomes if o.receipt_id is not None])
                    )
                }
                session.commit()  # committed before anything is acknowledged
                return outcomes, receipts
            except STORE_ERRORS as exc:
                # Another writer won a race (several API processes on one PostgreSQL):
                # nothing of this attempt was kept; run it again on fresh reads.
                session.rollback()
                if attempt == _ATTEMPTS or not is_retryable(exc):
                    raise
        retry_pause(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _render(outcome: Outcome, receipt: Receipt | None) -> dict[str, Any]:
    body = outcome.as_dict()
    if receipt is not None:
        body["receipt"] = codec.to_json_dict(receipt_message(receipt))
    return body


@router.post(
    "/messages",
    openapi_extra=_MESSAGE_BODY,
    responses={
        200: {"description": "accepted (or an identical re-delivery); the receipt is included"},
        400: {"description": "not readable or not valid: a CEB900 receipt names path and rule"},
        403: {"description": "the sender may not send this type, or not with that code"},
        409: {"description": "refused by an appType rule; the status-100 receipt says why"},
        413: {"description": "larger than CBEC_MAX_MESSAGE_BYTES"},
    },
)
async def post_message(request: Request, sender: EnterpriseDep) -> Response:
    """Send one CEB message (CEB311/411/511/621/623/625) as XML or JSON.

    The answer carries the receipt (CEB312/412/512/622/624/626, or CEB900 for a message
    that could not be read) as JSON, or as CEB XML when `Accept: application/xml`. The
    message is committed before this answers. Re-sending an identical message returns the
    same receipt and stores nothing new.
    """
    settings = request.app.state.settings
    data, truncated = await _read_body(request, settings.max_message_bytes)
    if truncated:
        limit = settings.max_message_bytes
        item: Prepared | Rejected = Rejected(
            stage="size",
            detail=f"message is over the limit of {limit} bytes",
            fields=[FieldError("(document)", f"maxBytes={limit}", "message too large")],
            status_code=413,
            raw=data[:DEAD_LETTER_KEEP],
            truncated=True,
            source="api",
        )
    else:
        item = prepare(
            data,
            fmt="json" if _is_json(request) else "xml",
            source="api",
            max_bytes=settings.max_message_bytes,
        )
    outcomes, receipts = await run_in_threadpool(_submit, request, sender, [item])
    outcome = outcomes[0]
    receipt = receipts.get(outcome.receipt_id or -1)
    if _wants_xml(request) and receipt is not None:
        return Response(
            codec.to_xml(receipt_message(receipt)),
            status_code=outcome.http_status,
            media_type="application/xml",
        )
    body = _render(outcome, receipt)
    if not outcome.accepted:
        body = {"error": "rejected", "detail": outcome.return_info, **body}
    return JSONResponse(body, status_code=outcome.http_status)


@router.post("/messages/batch", openapi_extra=_BATCH_BODY)
async def post_batch(request: Request, sender: EnterpriseDep) -> JSONResponse:
    """Send many messages at once. Each item is answered on its own (accepted, duplicate
    or rejected, with its receipt); the whole batch is committed before the answer."""
    settings = request.app.state.settings
    limit = settings.max_message_bytes * 16
    data, truncated = await _read_body(request, limit)
    if truncated:
        raise PayloadTooLarge(f"batch is over the limit of {limit} bytes")
    try:
        document = codec.load_json(data)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"batch body is not JSON: {exc}") from None
    twice = codec.repeated(document)
    if twice is not None and not (len(twice) > 2 and twice[0] == "messages"):
        where = "/".join(str(part) for part in twice)
        raise BadRequest(
            f"{twice[-1]} appears more than once in the batch body",
            fields=[FieldError(where, "maxOccurs=1", f"{twice[-1]} appears more than once")],
        )
    messages = document.get("messages") if isinstance(document, dict) else None
    if not isinstance(messages, list) or not messages:
        raise BadRequest('expected {"messages": [...]} with at least one message')
    if len(messages) > settings.max_batch_messages:
        raise BadRequest(
            f"{len(messages)} messages in one batch; the limit is {settings.max_batch_messages}"
        )
    items: list[Prepared | Rejected] = []
    for index, entry in enumerate(messages):
        source = f"api:batch[{index}]"
        if isinstance(entry, str):
            items.append(
                prepare(entry.encode("utf-8"), source=source, max_bytes=settings.max_message_bytes)
            )
        else:
            raw = json.dumps(entry, ensure_ascii=False).encode("utf-8")
            twice = codec.repeated(entry)
            if twice is not None:  # refused here: writing it out again kept one value
                items.append(rejection(codec.repeated_key(entry, twice), raw, source))
                continue
            items.append(
                prepare(raw, fmt="json", source=source, max_bytes=settings.max_message_bytes)
            )
    outcomes, receipts = await run_in_threadpool(_submit, request, sender, items)
    results = [_render(o, receipts.get(o.receipt_id or -1)) for o in outcomes]
    return JSONResponse(
        {
            "accepted": sum(o.accepted for o in outcomes),
            "rejected": sum(not o.accepted for o in outcomes),
            "results": results,
        }
    )


@router.get("/receipts")
def get_receipts(
    session: SessionDep,
    sender: EnterpriseDep,
    after: Annotated[
        Cursor, Query(description="cursor: the `next` of your last page (0 at first)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Your receipts after the cursor, oldest first. Pass the returned `next` as `after`
    to continue; an empty list means you are up to date."""
    rows = list_receipts(session, sender.customs_code, after, limit)
    return {
        "receipts": [
            {
                "id": r.id,
                "messageType": r.message_type,
                "oriMessageType": r.ori_message_type,
                "oriGuid": r.ori_guid,
                "businessKey": r.business_key,
                "returnStatus": r.return_status,
                "returnInfo": r.return_info,
                "createdAt": r.created_at.isoformat(),
                "message": codec.to_json_dict(receipt_message(r)),
            }
            for r in rows
        ],
        "next": intake_repository.cursor_of(session, rows[-1]) if rows else after,
    }


@router.get("/receipts/{receipt_id}")
def get_one_receipt(
    receipt_id: BigId, request: Request, session: SessionDep, sender: EnterpriseDep
) -> Response:
    """One of your receipts, as CEB XML (`Accept: application/xml`) or JSON."""
    receipt = get_receipt(session, sender.customs_code, receipt_id)
    if receipt is None:
        raise NotFound(f"no receipt {receipt_id} for {sender.customs_code}")
    message = receipt_message(receipt)
    if _wants_xml(request):
        return Response(codec.to_xml(message), media_type="application/xml")
    return JSONResponse(codec.to_json_dict(message))
