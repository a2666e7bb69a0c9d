"""Read queries of the monitoring screen and the workbench.

Every figure of the monitoring screen is a grouped count or sum computed by the database:
over the status index of ``declarations`` (the lists by state), or over a window of primary
keys ``lo < id <= hi`` of a table that only grows (messages, dead letters, declaration
events, lists, tax bills), so that :mod:`cbec.web.monitor` reads each row once and then only
the new ones. No query here loads rows into Python to count them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    case,
    cast,
    column,
    func,
    inspect,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from cbec.messages.receipts import (
    ACCEPTED,
    APPROVED,
    INSPECTION,
    MANUAL_REVIEW,
    REJECTED,
    RELEASED,
    RETURNED,
)
from cbec.store.models import (
    DeadLetter,
    Declaration,
    DeclarationEvent,
    Document,
    Enterprise,
    InboundMessage,
    TaxBill,
)
from cbec.web.i18n import N_

#: The states a list leaves when it is decided, and the states a decision takes it to:
#: rejected, released, detained or returned (a list sent to inspection is decided when the
#: inspector records the result).
DECIDED_FROM = (ACCEPTED, MANUAL_REVIEW, APPROVED, INSPECTION)
DECIDED_TO = (REJECTED, RELEASED, 501, 502, 503, 599, RETURNED)
#: The states into which the checks, the risk verdict or the sampling stop a list.
STOPPED_TO = (REJECTED, MANUAL_REVIEW, INSPECTION)

#: Upper bounds (seconds) of the clearance-time buckets, list complete -> decision (the
#: screen shows the labels in the officer's language).
CLEARANCE_BUCKETS: tuple[tuple[float, str], ...] = (
    (1, N_("< 1 s")),
    (10, N_("1-10 s")),
    (60, N_("10 s-1 min")),
    (600, N_("1-10 min")),
    (3600, N_("10 min-1 h")),
    (4 * 3600, N_("1-4 h")),
    (24 * 3600, N_("4-24 h")),
)
CLEARANCE_LABELS = (*(label for _, label in CLEARANCE_BUCKETS), N_("> 1 day"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def minute_of(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM-DD HH:MM`` (UTC) of a timestamp column, computed by the database."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI")
    # SQLite keeps UTCDateTime as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
    return func.substr(column, 1, 16)


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, computed by the database."""
    if _dialect(session) == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")


def _window(query: _Q, column: Any, lo: int, hi: int | None) -> _Q:
    query = query.where(column > lo)
    return query if hi is None else query.where(column <= hi)


def max_id(session: Session, column: Any) -> int:
    """The largest primary key of a table (0 when empty): one index lookup."""
    return int(session.execute(select(func.max(column))).scalar() or 0)


# --- the lists by state ------------------------------------------------------------------


def status_counts(session: Session) -> dict[tuple[int, bool], int]:
    """Lists per (status, awaiting documents): a grouped count over ix_declarations_status."""
    rows = session.execute(
        select(Declaration.status, Declaration.awaiting, func.count()).group_by(
            Declaration.status, Declaration.awaiting
        )
    ).all()
    return {(int(status), bool(awaiting)): int(n) for status, awaiting, n in rows}


# --- windows over tables that only grow --------------------------------------------------


def messages_window(session: Session, lo: int, hi: int | None) -> list[tuple[str, str, int]]:
    """Accepted messages with ``lo < id <= hi``: (message type, minute received, count)."""
    minute = minute_of(session, InboundMessage.received_at).label("minute")
    query = select(InboundMessage.message_type, minute, func.count()).group_by(
        InboundMessage.message_type, literal_column("minute")
    )
    rows = session.execute(_window(query, InboundMessage.id, lo, hi)).all()
    return [(str(t), str(m), int(n)) for t, m, n in rows]


def refused_window(session: Session, lo: int, hi: int | None) -> int:
    """Messages refused (dead letters) with ``lo < id <= hi``."""
    query = _window(select(func.count()).select_from(DeadLetter), DeadLetter.id, lo, hi)
    return int(session.execute(query).scalar() or 0)


def _decisions(lo: int, hi: int | None) -> Select[int]:
    query = (
        select(func.count())
        .select_from(DeclarationEvent)
        .join(Declaration, Declaration.id == DeclarationEvent.declaration_id)
        .where(
            DeclarationEvent.from_status.in_(DECIDED_FROM),
            DeclarationEvent.to_status.in_(DECIDED_TO),
        )
    )
    return _window(query, DeclarationEvent.id, lo, hi)


def decisions_by_minute(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Lists decided per minute (UTC), events ``lo < id <= hi``."""
    minute = minute_of(session, DeclarationEvent.at).label("minute")
    query = _decisions(lo, hi).add_columns(minute).group_by(literal_column("minute"))
    return {str(m): int(n) for n, m in session.execute(query).all()}


def clearance_times(session: Session, lo: int, hi: int | None) -> dict[int, int]:
    """Lists decided per clearance-time bucket (index into :data:`CLEARANCE_LABELS`): from
    the moment the list's documents were complete to its decision, events ``lo < id <= hi``."""
    seconds = seconds_between(session, DeclarationEvent.at, Declaration.complete_at)
    bucket = case(
        *((seconds < bound, literal(i)) for i, (bound, _) in enumerate(CLEARANCE_BUCKETS)),
        else_=literal(len(CLEARANCE_BUCKETS)),
    )
    query = (
        _decisions(lo, hi)
        .where(Declaration.complete_at.is_not(None))
        .add_columns(bucket.label("bucket"))
        .group_by(literal_column("bucket"))
    )
    return {int(b): int(n) for n, b in session.execute(query).all()}


def releases_by_province(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Lists released per province, events ``lo < id <= hi``. The province is the first two
    digits of the buyer's resident ID number (where the card was issued), kept beside the
    encrypted number: lists carry the consignee's address only as free text."""
    province = Declaration.buyer_province.label("province")
    query = (
        select(province, func.count())
        .select_from(DeclarationEvent)
        .join(Declaration, Declaration.id == DeclarationEvent.declaration_id)
        .where(DeclarationEvent.to_status == RELEASED)
        .group_by(literal_column("province"))
    )
    rows = session.execute(_window(query, DeclarationEvent.id, lo, hi)).all()
    return {str(p): int(n) for p, n in rows}


def stops_by_enterprise(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Lists the checks, risk or sampling stopped (rejected, held for review or sent to
    inspection) per e-commerce enterprise, events ``lo < id <= hi``."""
    query = (
        select(Declaration.ebc_code, func.count())
        .select_from(DeclarationEvent)
        .join(Declaration, Declaration.id == DeclarationEvent.declaration_id)
        .where(
            DeclarationEvent.from_status.in_((ACCEPTED, APPROVED)),
            DeclarationEvent.to_status.in_(STOPPED_TO),
        )
        .group_by(Declaration.ebc_code)
    )
    rows = session.execute(_window(query, DeclarationEvent.id, lo, hi)).all()
    return {str(c): int(n) for c, n in rows}


def lists_by_enterprise(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Lists filed per e-commerce enterprise, lists ``lo < id <= hi``."""
    query = select(Declaration.ebc_code, func.count()).group_by(Declaration.ebc_code)
    rows = session.execute(_window(query, Declaration.id, lo, hi)).all()
    return {str(c): int(n) for c, n in rows}


def tax_window(session: Session, lo: int, hi: int | None) -> tuple[int, Decimal]:
    """Tax bills issued (not void) and their total, bills ``lo < id <= hi``."""
    query = select(func.count(), func.sum(TaxBill.total)).where(TaxBill.status != 3)
    bills, total = session.execute(_window(query, TaxBill.id, lo, hi)).one()
    return int(bills or 0), Decimal(total or 0)


def enterprise_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of filed enterprises by customs code."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    rows = session.execute(
        select(Enterprise.customs_code, Enterprise.name).where(Enterprise.customs_code.in_(codes))
    ).all()
    return {str(c): str(n) for c, n in rows}


# --- optional panels: tables the risk package adds ----------------------------------------
# Read by reflection, not through the risk package's models, so that the screen works
# before (and whatever the state of) that package: a panel appears once its table exists.

#: Stored rule hits: one row per rule, instruction or model score that fired on a list.
RISK_HITS = "risk_hits"
#: Enterprise classes from portraits: the latest row of an enterprise applies.
ENTERPRISE_CLASSES = "risk_enterprise_classes"


def table_columns(session: Session, name: str) -> set[str] | None:
    """The columns of table ``name``, or None when the store has no such table."""
    inspector = inspect(session.get_bind())
    if not inspector.has_table(name):
        return None
    return {str(c["name"]) for c in inspector.get_columns(name)}


def risk_hits_ready(session: Session) -> bool:
    """Whether the store holds rule hits this screen knows how to read."""
    columns = table_columns(session, RISK_HITS)
    return columns is not None and {"id", "declaration_id", "rule_name", "mode"} <= columns


def _hits() -> Any:
    return table(
        RISK_HITS,
        column("id"),
        column("declaration_id"),
        column("rule_name"),
        column("mode"),
        column("source"),
        column("action"),
        column("score"),
        column("message"),
        column("values"),
    )


def risk_hit_id() -> Any:
    """The id column of the rule-hit table (for a :class:`cbec.web.monitor.Tally`)."""
    return _hits().c.id


def hits_by_rule(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Live rule hits per rule name, hits ``lo < id <= hi``."""
    hits = _hits()
    query = (
        select(hits.c.rule_name, func.count())
        .where(hits.c.mode == "live")
        .group_by(hits.c.rule_name)
    )
    rows = session.execute(_window(query, hits.c.id, lo, hi)).all()
    return {str(r): int(n) for r, n in rows}


def hits_by_enterprise(session: Session, lo: int, hi: int | None) -> dict[str, int]:
    """Live rule hits per e-commerce enterprise of the list hit, hits ``lo < id <= hi``."""
    hits = _hits()
    query = (
        select(Declaration.ebc_code, func.count())
        .select_from(hits)
        .join(Declaration, Declaration.id == hits.c.declaration_id)
        .where(hits.c.mode == "live")
        .group_by(Declaration.ebc_code)
    )
    rows = session.execute(_window(query, hits.c.id, lo, hi)).all()
    return {str(c): int(n) for c, n in rows}


@dataclass(frozen=True, slots=True)
class HitRow:
    rule: str
    source: str
    action: str
    score: float
    message: str
    values: str
    mode: str


def hits_of(session: Session, declaration_id: int) -> list[HitRow] | None:
    """The rule hits of one list (None when the store keeps no rule hits)."""
    if not risk_hits_ready(session):
        return None
    hits = _hits()
    rows = session.execute(
        select(
            hits.c.rule_name,
            hits.c.source,
            hits.c.action,
            hits.c.score,
            hits.c.message,
            hits.c["values"],
            hits.c.mode,
        )
        .where(hits.c.declaration_id == declaration_id)
        .order_by(hits.c.id)
    ).all()
    return [
        HitRow(
            rule=str(r[0]),
            source=str(r[1] or ""),
            action=str(r[2] or ""),
            score=float(r[3] or 0),
            message=str(r[4] or ""),
            values=str(r[5] or ""),
            mode=str(r[6] or ""),
        )
        for r in rows
    ]


def enterprise_classes(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The class of each enterprise that has one (code -> class): its latest class row."""
    codes = sorted(set(codes))
    columns = table_columns(session, ENTERPRISE_CLASSES)
    if not codes or columns is None or not {"id", "enterprise_code", "class_code"} <= columns:
        return {}
    classes = table(
        ENTERPRISE_CLASSES, column("id"), column("enterprise_code"), column("class_code")
    )
    latest = (
        select(func.max(classes.c.id))
        .where(classes.c.enterprise_code.in_(codes))
        .group_by(classes.c.enterprise_code)
    )
    rows = session.execute(
        select(classes.c.enterprise_code, classes.c.class_code).where(classes.c.id.in_(latest))
    ).all()
    return {str(c): str(k) for c, k in rows}


# --- the workbench ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One list waiting for an officer."""

    invt_no: str
    order_no: str
    ebc_code: str
    ebc_name: str
    taxable_value: Decimal | None
    reasons: str
    decided_at: datetime | None
    status: int = 0


def queue(session: Session, statuses: Sequence[int], limit: int = 200) -> list[QueueRow]:
    """Lists at one of ``statuses`` (300 review, 500 inspection, 501-599 detained), oldest
    first."""
    rows = session.execute(
        select(
            Declaration.invt_no,
            Declaration.order_no,
            Declaration.ebc_code,
            Enterprise.name,
            Declaration.taxable_value,
            Declaration.reasons,
            Declaration.decided_at,
            Declaration.status,
        )
        .outerjoin(Enterprise, Enterprise.customs_code == Declaration.ebc_code)
        .where(Declaration.status.in_(statuses), Declaration.invt_no.is_not(None))
        .order_by(Declaration.id)
        .limit(limit)
    ).all()
    return [
        QueueRow(
            invt_no=str(r[0]),
            order_no=r[1],
            ebc_code=r[2],
            ebc_name=r[3] or "",
            taxable_value=r[4],
            reasons=r[5] or "",
            decided_at=r[6],
            status=int(r[7]),
        )
        for r in rows
    ]


def queue_sizes(session: Session, statuses: Sequence[int]) -> dict[int, int]:
    """How many lists wait at each of ``statuses`` (over the status index)."""
    rows = session.execute(
        select(Declaration.status, func.count())
        .where(Declaration.status.in_(statuses))
        .group_by(Declaration.status)
    ).all()
    found = {int(s): int(n) for s, n in rows}
    return {s: found.get(s, 0) for s in statuses}


def declaration(session: Session, invt_no: str) -> Declaration | None:
    return session.execute(
        select(Declaration).where(Declaration.invt_no == invt_no)
    ).scalar_one_or_none()


def events(session: Session, declaration_id: int) -> Sequence[DeclarationEvent]:
    return (
        session.execute(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == declaration_id)
            .order_by(DeclarationEvent.id)
        )
        .scalars()
        .all()
    )


def documents(session: Session, d: Declaration) -> dict[str, tuple[str, str]]:
    """The list and its order, payment and waybill as stored: kind -> (message type, JSON
    body). The same matching as clearance: the order by platform, enterprise and order
    number, the latest payment of the order on the platform, the waybill by logistics code
    and number."""
    rows = session.execute(
        select(
            Document.id,
            Document.kind,
            Document.business_key,
            Document.ebp_code,
            InboundMessage.message_type,
            InboundMessage.body,
        )
        .join(InboundMessage, InboundMessage.id == Document.message_id)
        .where(
            Document.deleted.is_(False),
            (Document.id == d.document_id)
            | (
                (Document.order_no == d.order_no)
                & Document.kind.in_(("order", "payment", "waybill"))
            ),
        )
        .order_by(Document.id)
    ).all()
    found: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row.id == d.document_id:
            found["inventory"] = (row.message_type, row.body)
        elif row.kind == "order" and row.business_key == f"{d.ebp_code}|{d.ebc_code}|{d.order_no}":
            found["order"] = (row.message_type, row.body)
        elif row.kind == "payment" and row.ebp_code == d.ebp_code:
            found["payment"] = (row.message_type, row.body)  # the latest wins
        elif row.kind == "waybill" and row.business_key == f"{d.logistics_code}|{d.logistics_no}":
            found["waybill"] = (row.message_type, row.body)
    return found


def enterprises(session: Session, codes: Iterable[str]) -> dict[str, Enterprise]:
    codes = sorted(set(codes))
    if not codes:
        return {}
    rows = session.execute(select(Enterprise).where(Enterprise.customs_code.in_(codes)))
    return {e.customs_code: e for e in rows.scalars()}
