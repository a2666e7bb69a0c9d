"""Identity-use notices: a consumer who opts in (with an SMS or e-mail contact) gets a
notice each time a new list is declared under their identity, and reads them through the
same identity check as the quota query.

:class:`NoticeRecorder` is an intake listener: in the transaction that accepts a new list
(CEB621, appType 1) it records one notice per subscribed buyer (one indexed lookup per
batch). Delivering pending notices is a gateway's job; this records what is owed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.clearance import repository as clearance_repository
from cbec.consumer import repository
from cbec.consumer.disputes import SELF_SERVICE
from cbec.consumer.schemas import (
    IdentityProof,
    NoticeOptIn,
    NoticeOut,
    NoticesAnswer,
    SubscriptionOut,
)
from cbec.consumer.service import verify_identity
from cbec.errors import BadRequest, FieldError
from cbec.intake.pipeline import Accepted
from cbec.messages.fields import parse_decl_date
from cbec.messages.models import CEB621Message
from cbec.messages.receipts import STATUS_TEXT
from cbec.privacy import blind_id, mask_id, mask_phone
from cbec.store.models import IdentityNotice, NoticeSubscription, utcnow

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def mask_contact(channel: str, contact: str) -> str:
    """``138****5678``, or ``z***@example.cn``."""
    if channel == "sms":
        return mask_phone(contact)
    local, _, domain = contact.partition("@")
    return f"{local[:1]}***@{domain}"


def _check_contact(data: NoticeOptIn) -> str:
    contact = data.contact.strip()
    if data.channel == "sms" and not _MOBILE.match(contact):
        raise BadRequest(
            "the contact is not a mobile number",
            fields=[FieldError("contact", "sms.mobile", "an 11-digit mainland mobile number")],
        )
    if data.channel == "email" and not _EMAIL.match(contact):
        raise BadRequest(
            "the contact is not an e-mail address",
            fields=[FieldError("contact", "email.address", "an address like name@example.cn")],
        )
    return contact


def subscribe(session: Session, data: NoticeOptIn) -> SubscriptionOut:
    """Opt in (or change the contact): the identity is checked as for the quota query."""
    contact = _check_contact(data)
    id_number = verify_identity(session, data)
    now = utcnow()
    row = repository.subscription(session, id_number)
    if row is None:
        row = NoticeSubscription(id_key=blind_id(id_number), id_number=id_number, created_at=now)
        session.add(row)
    row.channel, row.contact, row.active, row.updated_at = data.channel, contact, True, now
    session.flush()
    audit.record(
        session,
        actor_kind=SELF_SERVICE.kind,
        actor=SELF_SERVICE.name,
        action="consumer_notice.subscribe",
        subject_kind="identity",
        subject_key=mask_id(id_number),
        reason=f"notices by {data.channel}",
        details={"contact": mask_contact(data.channel, contact)},
    )
    return _subscription_out(row)


def unsubscribe(session: Session, proof: IdentityProof) -> SubscriptionOut | None:
    """Opt out (notices already recorded stay readable)."""
    id_number = verify_identity(session, proof)
    row = repository.subscription(session, id_number)
    if row is None:
        return None
    row.active, row.updated_at = False, utcnow()
    session.flush()
    return _subscription_out(row)


def read(session: Session, proof: IdentityProof) -> NoticesAnswer:
    """The identity's opt-in and its notices, newest first."""
    id_number = verify_identity(session, proof)
    row = repository.subscription(session, id_number)
    notices = repository.notices(session, id_number)
    lists = repository.declarations_by_key(session, [n.business_key for n in notices])
    out = []
    for n in notices:
        d = lists.get(n.business_key)
        out.append(
            NoticeOut(
                created_at=n.created_at,
                decl_date=n.decl_date,
                platform=f"{n.ebp_name} ({n.ebp_code})",
                order_no=n.order_no,
                invt_no=d.invt_no if d is not None else None,
                status=f"{d.status} {STATUS_TEXT.get(d.status, '')}" if d is not None else "",
            )
        )
    return NoticesAnswer(
        buyer=mask_id(id_number),
        subscription=_subscription_out(row) if row is not None else None,
        notices=out,
    )


def _subscription_out(row: NoticeSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        channel=row.channel,
        contact=mask_contact(row.channel, row.contact),
        active=row.active,
        since=row.created_at,
    )


class NoticeRecorder:
    """The intake listener recording a notice per new list under a subscribed identity."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        """Record notices for the new lists among ``items``; flushes, never commits."""
        new = [i for i in items if i.kind == "inventory" and i.app_type == "1"]
        if not new:
            return
        heads = self._heads(session, new)
        subscribed = repository.active_subscriptions(
            session, {h.buyerIdNumber.upper() for h in heads.values()}
        )
        if not subscribed:
            return
        wanted = {
            (h.buyerIdNumber.upper(), key)
            for key, h in heads.items()
            if h.buyerIdNumber.upper() in subscribed
        }
        done = repository.existing_notices(session, wanted)
        now = utcnow()
        for key, h in heads.items():
            id_number = h.buyerIdNumber.upper()
            sub = subscribed.get(id_number)
            if sub is None or (id_number, key) in done:
                continue
            done.add((id_number, key))
            session.add(
                IdentityNotice(
                    id_number=id_number,
                    id_key=blind_id(id_number),
                    business_key=key,
                    order_no=h.orderNo,
                    ebp_code=h.ebpCode,
                    ebp_name=h.ebpName,
                    decl_date=parse_decl_date(h.declTime),
                    channel=sub.channel,
                    contact=sub.contact,
                    status="pending",
                    created_at=now,
                )
            )
        session.flush()

    @staticmethod
    def _heads(session: Session, items: Sequence[Accepted]) -> dict[str, Any]:
        heads: dict[str, Any] = {}
        unparsed = []
        for item in items:
            if isinstance(item.message, CEB621Message):
                heads[item.business_key] = item.message.inventory.inventoryHead
            else:
                unparsed.append(item)
        if unparsed:
            keys = {i.document_id: i.business_key for i in unparsed}
            for row in clearance_repository.documents_by_id(session, keys):
                message = CEB621Message.model_validate_json(row.body)
                heads[keys[row.id]] = message.inventory.inventoryHead
        return heads
