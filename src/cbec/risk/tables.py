"""The tables the risk features job reads (:mod:`cbec.risk.batch`), from the store: written
by ``cbec export-data`` beside the others, or handed to the engine directly.

``risk_lists``: every list decided with all four documents (as :func:`cbec.risk.history.replay`
goes through them), one row each: when it was complete (the decision order), the facts the
features read (:class:`~cbec.risk.features.Facts`) and what the aggregates need of it (its
day, the first bucket of the buyer's counters it reads, its cents), and the annual limit in
force on its declaration date. Identities appear only as the pseudonyms the risk aggregates
use (``buyer``, ``payer``, ``address``, ``phone``) and as the blind indexes of the buyer's
and payer's ID numbers that flags name them by (``buyer_key``, ``payer_key``); no ID
number, name, address or phone. Amounts and weights are decimal text, as declared.
``risk_lines``: their lines (HS code and unit, origin, unit price, quantity).
``risk_labels``: closed cases' labels of lists. ``enterprise_classes``: class rows with
their validity (by id: the latest valid row applies).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.risk.features import cents, needs
from cbec.risk.history import assessed
from cbec.store.models import CaseLabel, EnterpriseClass

MOMENT = pl.Datetime("us", "UTC")

LISTS_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "invt_no": pl.String,
    "decl_date": pl.Date,
    "status": pl.Int64,
    "complete_at": MOMENT,
    "at": MOMENT,
    "day": pl.Int64,
    "since": pl.Int64,
    "cents": pl.Int64,
    "buyer": pl.String,
    "payer": pl.String,
    "address": pl.String,
    "phone": pl.String,
    "buyer_key": pl.String,
    "payer_key": pl.String,
    "ebp_code": pl.String,
    "ebc_code": pl.String,
    "agent_code": pl.String,
    "logistics_code": pl.String,
    "logistics_no": pl.String,
    "pay_code": pl.String,
    "trade_mode": pl.String,
    "customs_code": pl.String,
    "port_code": pl.String,
    "country": pl.String,
    "taxable_value": pl.String,
    "tax_total": pl.String,
    "gross_weight": pl.String,
    "net_weight": pl.String,
    "waybill_weight": pl.String,
    "order_time": MOMENT,
    "pay_time": MOMENT,
    "waybill_time": MOMENT,
    "annual_limit": pl.String,
}
LINES_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "line": pl.Int64,
    "reference": pl.String,
    "hs_code": pl.String,
    "country": pl.String,
    "price": pl.Float64,
    "qty": pl.Float64,
}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def list_frames(session: Session, until: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``risk_lists`` and ``risk_lines`` (of the lists declared up to ``until``)."""
    lists: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for d, f, limit in assessed(session, until=until):
        blind_buyer, blind_payer = f.blind_ids()
        lists.append(
            (
                d.id,
                d.invt_no,
                d.decl_date,
                d.status,
                _utc(d.complete_at),
                _utc(f.at),
                f.day,
                needs(f).counters[0][2],
                cents(f.taxable_value),
                f.buyer,
                f.payer,
                f.address,
                f.phone,
                blind_buyer,
                blind_payer,
                f.ebp_code,
                f.ebc_code,
                f.agent_code,
                f.logistics_code,
                f.logistics_no,
                f.pay_code,
                f.trade_mode,
                f.customs_code,
                f.port_code,
                f.country,
                str(f.taxable_value),
                _text(f.tax_total),
                str(f.gross_weight),
                str(f.net_weight),
                str(f.waybill_weight),
                _utc(f.order_time),
                _utc(f.pay_time),
                _utc(f.waybill_time),
                str(limit),
            )
        )
        lines += [
            (d.id, n, x.reference, x.hs_code, x.country, x.price, x.qty)
            for n, x in enumerate(f.lines)
        ]
    return (
        pl.DataFrame(lists, schema=LISTS_SCHEMA, orient="row"),
        pl.DataFrame(lines, schema=LINES_SCHEMA, orient="row"),
    )


#: ``session.info`` key of the lines read with the lists, for :func:`risk_lines` next
_LINES = "cbec.risk.tables.lines"


def risk_lists(session: Session) -> pl.DataFrame:
    """Every list decided with all four documents, as the features job reads it. Its lines
    are kept for a :func:`risk_lines` that follows in the same transaction (as
    ``cbec export-data`` asks for them), so that the messages are read once."""
    lists, lines = list_frames(session)
    session.info[_LINES] = (session.get_transaction(), lines)
    return lists


def risk_lines(session: Session) -> pl.DataFrame:
    """The lines of :func:`risk_lists`."""
    held = session.info.pop(_LINES, None)
    if held is not None and held[0] is not None and held[0] is session.get_transaction():
        lines: pl.DataFrame = held[1]
        return lines
    return list_frames(session)[1]


def risk_labels(session: Session) -> pl.DataFrame:
    """Closed cases' labels of lists (1 fraud confirmed, 0 unfounded)."""
    rows = session.execute(
        select(CaseLabel.declaration_id, CaseLabel.label).order_by(CaseLabel.id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"declaration_id": pl.Int64, "label": pl.Int64},
        orient="row",
    )


def enterprise_classes(session: Session) -> pl.DataFrame:
    """Enterprise class rows with their validity, by id (no reason, score or rates)."""
    c = EnterpriseClass
    rows = session.execute(
        select(c.id, c.enterprise_code, c.class_code, c.valid_from, c.valid_to).order_by(c.id)
    ).all()
    return pl.DataFrame(
        [(i, code, cls, _utc(start), _utc(end)) for i, code, cls, start, end in rows],
        schema={
            "id": pl.Int64,
            "enterprise_code": pl.String,
            "class_code": pl.String,
            "valid_from": MOMENT,
            "valid_to": MOMENT,
        },
        orient="row",
    )
