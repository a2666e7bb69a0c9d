"""Key rotation and retention of the personal data the store keeps.

**Rotation.** Every column that holds personal data is sealed (:class:`SealedText`,
:class:`SealedBytes`); its values carry the id of the key that sealed them. :func:`rotate`
finds the values sealed under another key than the current one and seals them again under
the current one, a batch per transaction, each row only if nobody changed it meanwhile.
Afterwards the old key can be removed from ``CBEC_PII_OLD_KEYS``.

**Retention.** :func:`purge` erases the personal data of what was finished before a date:

- lists decided (released, rejected, returned or closed) before it: the buyer's ID number
  is blanked, and the blind index of ID, name and phone a consumer proves who they are by;
  the ID number's blind index too when the list's quota year is over, and the quota rows of
  years before the date's year are deleted (the current year's quota keeps working);
- the messages received before it (orders, payments, waybills, lists, ...) unless they
  belong to an order whose list is still open (a list whose message is erased proves no
  one any more either): names, ID numbers, phones and addresses in
  their bodies are replaced by ``erased-<random>`` (each value its own, so nothing links
  them any more), ID and mobile numbers in other text scrubbed;
- dead letters received before it: their raw bytes;
- consumer disputes decided before it: the ID number and its blind index; notices sent
  before it and opt-ins withdrawn before it: deleted.

Decisions, events, taxes, tax bills, receipts, counts and the audit log stay.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    CursorResult,
    LargeBinary,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from cbec.audit.masking import PII_KEYS
from cbec.audit.service import Actor
from cbec.errors import BadRequest, FieldError
from cbec.messages.fields import CST, now_cst
from cbec.messages.receipts import CLOSED, REJECTED, RELEASED, RETURNED
from cbec.months import check_day
from cbec.privacy import current_key_id, key_id_of, scrub, seal, seal_bytes, unseal, unseal_bytes
from cbec.store.models import (
    Base,
    ConsumerDispute,
    DeadLetter,
    Declaration,
    Document,
    IdentityNotice,
    InboundMessage,
    NoticeSubscription,
    QuotaUsage,
    RiskFlag,
    utcnow,
)
from cbec.store.models.base import SealedBytes, SealedText

#: Lists whose personal data may go once the retention period is over.
FINISHED = frozenset({REJECTED, RELEASED, RETURNED, CLOSED})
#: Rows per transaction.
BATCH = 500
PII = Actor.system("pii")


# -- rotation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A column holding sealed values, and the primary key its rows are found by."""

    table: Table
    column: str
    key: str
    binary: bool

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


def sealed_columns() -> list[SealedColumn]:
    """Every sealed column of the schema (found from the models, so none is forgotten)."""
    found = []
    for table in Base.metadata.sorted_tables:
        keys = [c.name for c in table.primary_key.columns]
        for column in table.columns:
            if isinstance(column.type, SealedText | SealedBytes):
                if len(keys) != 1:
                    raise RuntimeError(f"{table.name}: sealed columns need a one-column key")
                binary = isinstance(column.type, SealedBytes)
                found.append(SealedColumn(table, column.name, keys[0], binary))
    return found


def _raw(column: SealedColumn) -> Table:
    """The table with the sealed column typed as plain text or bytes: read and written as
    stored, without sealing or opening."""
    key = column.table.c[column.key]
    return Table(
        column.table.name,
        MetaData(),
        Column(column.key, key.type, primary_key=True),
        Column(column.column, LargeBinary if column.binary else Text),
    )


def _reseal(value: Any, binary: bool) -> Any:
    if binary:
        return seal_bytes(unseal_bytes(bytes(value)))
    return seal(unseal(value))


def rotate(factory: sessionmaker[Session], *, batch: int = BATCH) -> dict[str, int]:
    """Seal again, under the current key, every value sealed under another one; the number
    of values re-sealed per column. A value changed by someone else while it was being
    re-sealed is left as they wrote it (under the current key)."""
    current = current_key_id()
    counts: dict[str, int] = {}
    for column in sealed_columns():
        raw = _raw(column)
        key, value = raw.c[column.key], raw.c[column.column]
        counts[column.name] = 0
        after: Any = None
        while True:
            query = select(key, value).order_by(key).limit(batch)
            if after is not None:
                query = query.where(key > after)
            with factory() as session:
                rows = session.execute(query).all()
                if not rows:
                    break
                after = rows[-1][0]
                stale = [(k, v) for k, v in rows if v is not None and key_id_of(v) != current]
                if stale:
                    session.execute(
                        update(raw)
                        .where(key == bindparam("k"), value == bindparam("old"))
                        .values({column.column: bindparam("new")}),
                        [{"k": k, "old": v, "new": _reseal(v, column.binary)} for k, v in stale],
                    )
                    counts[column.name] += len(stale)
                    session.commit()
    with factory() as session:
        audit.record(
            session,
            actor_kind=PII.kind,
            actor=PII.name,
            action="pii.rotate",
            subject_kind="pii_key",
            subject_key=current,
            reason="personal data sealed again under the current key",
            details={"resealed": counts},
        )
        session.commit()
    return counts


def key_census(session: Session) -> dict[str, dict[str, int]]:
    """Per sealed column, how many values each key id sealed (what ``rotate`` would do)."""
    out: dict[str, dict[str, int]] = {}
    for column in sealed_columns():
        raw = _raw(column)
        tally: dict[str, int] = {}
        for (value,) in session.execute(select(raw.c[column.column])):
            if value is not None:
                kid = key_id_of(bytes(value) if column.binary else value)
                tally[kid] = tally.get(kid, 0) + 1
        out[column.name] = tally
    return out


# -- retention -----------------------------------------------------------------------------


@dataclass(slots=True)
class PurgeReport:
    before: date
    lists: int = 0
    list_keys: int = 0
    quota_rows: int = 0
    messages: int = 0
    dead_letters: int = 0
    disputes: int = 0
    notices: int = 0
    subscriptions: int = 0
    identity_flags: int = 0
    kept_open: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "listsErased": self.lists,
            "listBlindIndexesErased": self.list_keys,
            "quotaRowsDeleted": self.quota_rows,
            "messagesErased": self.messages,
            "deadLettersErased": self.dead_letters,
            "disputesErased": self.disputes,
            "noticesDeleted": self.notices,
            "optInsDeleted": self.subscriptions,
            "expiredIdentityFlagsDeleted": self.identity_flags,
            "messagesKeptForOpenLists": self.kept_open,
        }


def check_before(
    before: date, retention_days: int, *, force: bool, today: date | None = None
) -> None:
    """Refuse a date within the retention period (unless forced), in the future, or out of
    the calendar's span (:func:`cbec.months.check_day`)."""
    check_day(before, "--before")
    today = today or now_cst().date()
    if before > today:
        raise BadRequest(
            "cannot purge the future",
            fields=[FieldError("--before", "pii.date", f"{before} is after today ({today})")],
        )
    limit = today - timedelta(days=retention_days)
    if before > limit and not force:
        raise BadRequest(
            "the date is within the retention period",
            fields=[
                FieldError(
                    "--before",
                    "pii.retention",
                    f"personal data is kept {retention_days} days (CBEC_PII_RETENTION_DAYS): "
                    f"the latest date allowed is {limit}; --force to purge more",
                )
            ],
        )


def _erase(value: Any) -> Any:
    """``value`` (a message's JSON) with every personal value replaced by its own random
    token and ID and mobile numbers scrubbed from other text."""
    if isinstance(value, dict):
        return {k: _erase_field(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def _erase_field(key: str, value: Any) -> Any:
    normal = key.replace("_", "").replace("-", "").lower()
    if normal in PII_KEYS and isinstance(value, str) and value:
        return f"erased-{secrets.token_hex(4)}"
    return _erase(value)


def erase_body(body: str) -> str:
    """A message body (canonical JSON) with its personal data erased."""
    return json.dumps(_erase(json.loads(body)), ensure_ascii=False, separators=(",", ":"))


def _table(model: type[Base]) -> Table:
    """The Core table of a model: updated in bulk by column name, values still sealed."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _count(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _pages(session: Session, query: Any, key: Any, batch: int) -> Iterable[Sequence[Any]]:
    after: Any = None
    while True:
        q = query if after is None else query.where(key > after)
        rows = session.execute(q.order_by(key).limit(batch)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def purge(
    factory: sessionmaker[Session],
    before: date,
    *,
    by: Actor = PII,
    reason: str = "retention period over",
    batch: int = BATCH,
) -> PurgeReport:
    """Erase the personal data of what was finished before ``before`` (Beijing time), a
    batch per transaction; the report counts what was erased. Check the date with
    :func:`check_before` first."""
    cutoff = datetime.combine(before, time(), CST)
    now = utcnow()
    report = PurgeReport(before)
    with factory() as session:
        # Lists still open keep their order's messages, whatever their age.
        open_orders = set(
            session.scalars(select(Declaration.order_no).where(Declaration.status.not_in(FINISHED)))
        )
        open_keys = (
            set(
                session.scalars(
                    select(Document.business_key).where(Document.order_no.in_(open_orders))
                )
            )
            if open_orders
            else set()
        )

    with factory() as session:
        d = Declaration
        lists_table = _table(d)
        lists = select(d.id).where(
            d.pii_purged_at.is_(None), d.decided_at < cutoff, d.status.in_(FINISHED)
        )
        for rows in _pages(session, lists, d.id, batch):
            ids = [r.id for r in rows]
            session.execute(
                update(lists_table)
                .where(lists_table.c.id.in_(ids))
                .values(buyer_id_sealed="", buyer_proof_key="", pii_purged_at=now)
            )
            report.lists += len(ids)
            session.commit()
        # erased lists of quota years that are over (now or at an earlier purge) lose their
        # blind index too, with the quota rows of those years
        report.list_keys = _count(
            session.execute(
                update(lists_table)
                .where(
                    lists_table.c.pii_purged_at.is_not(None),
                    lists_table.c.quota_year < before.year,
                    lists_table.c.buyer_key != "",
                )
                .values(buyer_key="")
            )
        )
        report.quota_rows = _count(
            session.execute(delete(QuotaUsage).where(QuotaUsage.year < before.year))
        )
        session.commit()

    with factory() as session:
        m = InboundMessage
        messages = select(m.id, m.business_key, m.body).where(
            m.pii_purged_at.is_(None), m.received_at < cutoff
        )
        for rows in _pages(session, messages, m.id, batch):
            erased = [r for r in rows if r.business_key not in open_keys]
            report.kept_open += len(rows) - len(erased)
            if erased:
                table = _table(m)
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("k"))
                    .values(body=bindparam("b"), pii_purged_at=now),
                    [{"k": r.id, "b": erase_body(r.body)} for r in erased],
                )
                # a list whose message lost the buyer's name and phone proves no one any more
                keys = {r.business_key for r in erased}
                session.execute(
                    update(lists_table)
                    .where(
                        lists_table.c.business_key.in_(keys),
                        lists_table.c.document_id.in_(
                            select(Document.id).where(
                                Document.kind == "inventory",
                                Document.business_key.in_(keys),
                                Document.message_id.in_([r.id for r in erased]),
                            )
                        ),
                        lists_table.c.buyer_proof_key != "",
                    )
                    .values(buyer_proof_key="")
                )
                report.messages += len(erased)
                session.commit()

    with factory() as session:
        dl = DeadLetter
        letters = select(dl.id, dl.raw).where(dl.received_at < cutoff)
        for rows in _pages(session, letters, dl.id, batch):
            blank = [r.id for r in rows if r.raw]
            if blank:
                table = _table(dl)
                session.execute(update(table).where(table.c.id.in_(blank)).values(raw=b""))
                report.dead_letters += len(blank)
                session.commit()

    with factory() as session:
        c = ConsumerDispute
        disputes = select(c.id).where(c.id_key != "", c.status != "open", c.decided_at < cutoff)
        for rows in _pages(session, disputes, c.id, batch):
            ids = [r.id for r in rows]
            table = _table(c)
            session.execute(
                update(table).where(table.c.id.in_(ids)).values(id_sealed="", id_key="")
            )
            report.disputes += len(ids)
            session.commit()
        report.notices = _count(
            session.execute(
                delete(IdentityNotice).where(
                    IdentityNotice.status == "sent", IdentityNotice.created_at < cutoff
                )
            )
        )
        report.subscriptions = _count(
            session.execute(
                delete(NoticeSubscription).where(
                    NoticeSubscription.active.is_(False), NoticeSubscription.updated_at < cutoff
                )
            )
        )
        # flags on a person (by blind index) that expired before the date say nothing any
        # more; flags without an end stay until an analyst ends them
        report.identity_flags = _count(
            session.execute(
                delete(RiskFlag).where(
                    RiskFlag.subject_kind == "identity",
                    RiskFlag.valid_to.is_not(None),
                    RiskFlag.valid_to < cutoff,
                )
            )
        )
        audit.record(
            session,
            actor_kind=by.kind,
            actor=by.name,
            action="pii.purge",
            subject_kind="pii_retention",
            subject_key=before.isoformat(),
            reason=reason,
            details=report.as_dict(),
        )
        session.commit()
    return report
