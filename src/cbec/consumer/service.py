"""Quota self-service: a consumer who proves who they are (name + ID number + the phone on
the lists) sees their used and remaining annual quota and every list declared under their
identity, with details masked."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.catalog import service as catalog_service
from cbec.clearance import repository
from cbec.clearance.states import COUNTS_AGAINST_QUOTA
from cbec.consumer import repository as consumer_repository
from cbec.consumer.schemas import IdentityProof, ListSummary, QuotaAnswer, QuotaQuery
from cbec.errors import NotFound, TooManyRequests
from cbec.messages.fields import now_cst
from cbec.messages.models import CEB621Message
from cbec.messages.receipts import STATUS_TEXT
from cbec.privacy import blind_id, mask_address, mask_id, mask_phone

CENT = Decimal("0.01")


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


NO_MATCH = (
    "no list declared under this ID number carries this name and phone. If none was ever "
    "declared, the whole annual quota ({limit} CNY) remains. (The same answer is given "
    "whether or not the ID number has lists, so that the query cannot be used to find out.)"
)


class QueryLimiter:
    """Rate limits of the public quota query, per caller and per ID number asked about,
    over a moving window (``limits``, in process memory: each API worker counts its own)."""

    def __init__(self, per_client: str, per_identity: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._client = parse(per_client)
        self._identity = parse(per_identity)

    def check(self, client: str, id_number: str) -> None:
        """Count one query; :class:`TooManyRequests` (with Retry-After) when over a limit."""
        for item, key in ((self._client, client), (self._identity, id_number.upper())):
            if not self._limiter.hit(item, "consumer-quota", key):
                reset, _remaining = self._limiter.get_window_stats(item, "consumer-quota", key)
                wait = int(reset - time.time()) + 1
                raise TooManyRequests(
                    f"too many quota queries; try again in {wait} s", retry_after=wait
                )


def quota(session: Session, query: QuotaQuery) -> QuotaAnswer:
    """Used and remaining quota for the year (default: this year, Beijing time)."""
    year = query.year or now_cst().year
    declarations = repository.declarations_of_buyer(session, blind_id(query.id_number), year)
    limit = catalog_service.snapshot(session, date(year, 12, 31)).param("annual_limit")
    summaries: list[ListSummary] = []
    matched = False
    bodies = {
        row.id: row
        for row in repository.documents_by_id(session, [d.document_id for d in declarations])
    }
    for d in declarations:
        row = bodies.get(d.document_id)
        if row is None:
            continue
        message = CEB621Message.model_validate_json(row.body)
        head = message.inventory.inventoryHead
        if head.buyerName == query.name and head.buyerTelephone == query.phone:
            matched = True
        summaries.append(
            ListSummary(
                invt_no=d.invt_no,
                decl_date=d.decl_date,
                platform=f"{head.ebpName} ({head.ebpCode})",
                ebc_code=d.ebc_code,
                goods=[line.gname for line in message.inventory.inventoryList],
                value=_cents(d.taxable_value),
                tax=_cents(d.tax_total),
                status=d.status,
                status_text=STATUS_TEXT.get(d.status, ""),
                counted=d.quota_counted,
                consignee_address=mask_address(head.consigneeAddress),
                consignee_phone=mask_phone(head.buyerTelephone),
            )
        )
    if not matched:
        # Proved by a list of another year (none of this year's carries the name and phone:
        # the holder bought nothing yet, or only others used the ID): the year's answer is
        # due all the same; otherwise the one uniform 404.
        verify_identity(session, query)
    used = sum(
        (
            d.taxable_value or Decimal(0)
            for d in declarations
            if d.quota_counted and d.status in COUNTS_AGAINST_QUOTA
        ),
        Decimal(0),
    )
    # What confirmed disputes keep off the quota: excluded lists that would count otherwise
    # (a rejected or cancelled list never counted, so disputing it gives nothing back).
    restored = sum(
        (
            d.taxable_value or Decimal(0)
            for d in declarations
            if d.quota_excluded and d.status in COUNTS_AGAINST_QUOTA
        ),
        Decimal(0),
    )
    disputes = consumer_repository.dispute_states(session, [d.id for d in declarations])
    by_invt = {d.invt_no: d for d in declarations}
    for summary in summaries:
        listed = by_invt.get(summary.invt_no)
        if listed is not None:
            summary.dispute = disputes.get(listed.id)
            summary.excluded = listed.quota_excluded
    return QuotaAnswer(
        year=year,
        annual_limit=limit.quantize(CENT),
        used=used.quantize(CENT),
        remaining=max(limit - used, Decimal(0)).quantize(CENT),
        restored=restored.quantize(CENT),
        buyer=mask_id(query.id_number),
        lists=summaries,
    )


def verify_identity(session: Session, proof: IdentityProof | QuotaQuery) -> str:
    """The ID number (upper case) when a list declared under it carries this name and
    phone; otherwise the quota query's one uniform 404 (so that disputes and notices
    cannot be used to find out whose ID numbers have lists either)."""
    id_number = proof.id_number.upper()
    if consumer_repository.proves_identity(session, id_number, proof.name, proof.phone):
        return id_number
    year = now_cst().year
    limit = catalog_service.snapshot(session, date(year, 12, 31)).param("annual_limit")
    raise NotFound(NO_MATCH.format(limit=f"{limit:,.0f}"))
