"""Features over history (batch): every list decided so far, replayed in decision order
through the functions real time uses, with the aggregates held in memory.

A list's features depend on the lists before it, so a replay always starts at the first
list; ``since`` only chooses which rows come out. What became of each list (inspected,
seized, a closed case's label) comes with it, for backtests and model training.

``cbec risk features`` runs the batch job of :mod:`cbec.risk.batch` (on the embedded engine
or Spark), which gives the rows of this replay; the replay stays as its reference and for
backtests.
"""

from __future__ import annotations

import csv
import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.catalog import service as catalog_service
from cbec.clearance import repository as clearance_repository
from cbec.errors import BadRequest, FieldError
from cbec.messages.models import MESSAGE_TYPES
from cbec.risk.aggregates import MemoryAggregates
from cbec.risk.expressions import Value
from cbec.risk.features import (
    MODEL_COLUMNS,
    MODEL_FIELDS,
    ClassRow,
    Externals,
    Facts,
    FeatureValue,
    Flag,
    compute,
    facts_of,
    fields_of,
    model_input,
    needs,
    observation,
)
from cbec.risk.repository import assessed_declarations, labels, outcomes
from cbec.store.models import Declaration, EnterpriseClass, RiskFlag
from cbec.store.models.enterprise import Enterprise

#: Lists read from the store at a time.
PAGE = 500


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One list of history with its features and what became of it."""

    declaration: Declaration
    facts: Facts
    features: dict[str, FeatureValue]
    fields: dict[str, Value]
    inspected: bool
    seized: bool
    #: a closed case's label (1 fraud confirmed, 0 unfounded), if any
    label: int | None

    @property
    def positive(self) -> bool:
        """Seized by an inspector, or confirmed by a closed case."""
        return self.seized or self.label == 1


def _load(message_type: str, body: str) -> Any:
    return MESSAGE_TYPES[message_type].model_validate_json(body)


def messages_for(
    session: Session, declarations: Sequence[Declaration]
) -> dict[int, tuple[Any, Any, Any, Any]]:
    """The list, order, payment and waybill messages of each declaration that has all four
    (matched as clearance matches them)."""
    rows = clearance_repository.documents_for_orders(session, {d.order_no for d in declarations})
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
    found = {}
    for d in declarations:
        listed = lists.get(d.business_key)
        order = orders.get(f"{d.ebp_code}|{d.ebc_code}|{d.order_no}")
        payment = payments.get((d.order_no, d.ebp_code))
        waybill = waybills.get(f"{d.logistics_code}|{d.logistics_no}")
        if listed is None or order is None or payment is None or waybill is None:
            continue
        found[d.id] = (
            _load(listed.message_type, listed.body),
            _load(order.message_type, order.body),
            _load(payment.message_type, payment.body),
            _load(waybill.message_type, waybill.body),
        )
    return found


def facts_from_store(session: Session, d: Declaration) -> Facts | None:
    """The facts of one stored list (None when a document is missing)."""
    messages = messages_for(session, [d]).get(d.id)
    if messages is None:
        return None
    return facts_of(d.id, *messages, tax_total=d.tax_total)


def all_externals(
    session: Session,
) -> tuple[tuple[Flag, ...], tuple[ClassRow, ...], dict[str, date]]:
    """Every flag, class row and filing date (the features pick those touching a list)."""
    flags = tuple(
        Flag(*row)
        for row in session.execute(
            select(
                RiskFlag.subject_kind,
                RiskFlag.subject_key,
                RiskFlag.source,
                RiskFlag.kind,
                RiskFlag.score,
                RiskFlag.valid_from,
                RiskFlag.valid_to,
            ).order_by(RiskFlag.id)
        )
    )
    classes = tuple(
        ClassRow(*row)
        for row in session.execute(
            select(
                EnterpriseClass.enterprise_code,
                EnterpriseClass.class_code,
                EnterpriseClass.valid_from,
                EnterpriseClass.valid_to,
            ).order_by(EnterpriseClass.id)
        )
    )
    filed = {
        str(code): day
        for code, day in session.execute(select(Enterprise.customs_code, Enterprise.filing_date))
    }
    return flags, classes, filed


def assessed(
    session: Session, *, until: date | None = None
) -> Iterator[tuple[Declaration, Facts, Decimal]]:
    """Every list decided with all four documents (declared up to ``until``), in decision
    order, with its facts and the annual limit in force on its declaration date: what a
    replay goes through, and what the batch job's tables hold (:mod:`cbec.risk.tables`)."""
    limits: dict[date, Decimal] = {}
    offset = 0
    while True:
        page = assessed_declarations(session, until, offset, PAGE)
        if not page:
            return
        offset += len(page)
        messages = messages_for(session, page)
        for d in page:
            found = messages.get(d.id)
            if found is None:
                continue
            limit = limits.get(d.decl_date)
            if limit is None:
                limit = catalog_service.snapshot(session, d.decl_date).params.get(
                    "annual_limit", Decimal(26000)
                )
                limits[d.decl_date] = limit
            yield d, facts_of(d.id, *found, tax_total=d.tax_total), limit


def replay(
    session: Session, *, since: date | None = None, until: date | None = None
) -> Iterator[HistoryRow]:
    """Every list decided (with all four documents) in decision order, with the features
    real time computed for it; only those declared from ``since`` come out."""
    flags, classes, filed = all_externals(session)
    memory = MemoryAggregates()
    kept: list[tuple[Declaration, Facts, dict[str, FeatureValue]]] = []
    for d, facts, limit in assessed(session, until=until):
        snapshot = memory.read(needs(facts))
        values = compute(facts, snapshot, Externals(flags, classes, filed, limit))
        memory.apply(observation(facts))
        if since is not None and d.decl_date < since:
            continue
        kept.append((d, facts, values))
        if len(kept) == PAGE:
            yield from _with_outcomes(session, kept)
            kept = []
    yield from _with_outcomes(session, kept)


def _with_outcomes(
    session: Session, kept: Sequence[tuple[Declaration, Facts, dict[str, FeatureValue]]]
) -> Iterator[HistoryRow]:
    wanted = [d.id for d, _f, _v in kept]
    results = outcomes(session, wanted)
    labelled = labels(session, wanted)
    for d, facts, values in kept:
        inspected, seized = results.get(d.id, (False, False))
        yield HistoryRow(d, facts, values, fields_of(facts), inspected, seized, labelled.get(d.id))


# -- writing features for training ----------------------------------------------------------

#: The declaration fields written beside the features (read by cbec.risk.learning.cbec).
FIELD_COLUMNS = MODEL_FIELDS
OUTCOME_COLUMNS = ("inspected", "seized", "label")


def columns() -> list[str]:
    return ["declaration_id", "invt_no", "decl_date", "status", *MODEL_COLUMNS, *OUTCOME_COLUMNS]


def record(row: HistoryRow) -> dict[str, Any]:
    """One output record: identity of the list, what a model sees of it, its outcome."""
    d = row.declaration
    return record_of(
        (d.id, d.invt_no, d.decl_date, d.status),
        row.features,
        row.fields,
        (row.inspected, row.seized, row.label),
    )


def record_of(
    listed: tuple[int, str | None, date, int],
    features: Mapping[str, FeatureValue],
    fields: Mapping[str, Value],
    outcome: tuple[bool, bool, int | None],
) -> dict[str, Any]:
    """An output record from (id, invt_no, decl_date, status), the features and fields of
    the list and (inspected, seized, label): the replay's and the batch job's rows alike."""
    declaration_id, invt_no, decl_date, status = listed
    out: dict[str, Any] = {
        "declaration_id": declaration_id,
        "invt_no": invt_no,
        "decl_date": decl_date.isoformat(),
        "status": status,
    }
    out.update(model_input(features, fields))
    inspected, seized, label = outcome
    out.update({"inspected": inspected, "seized": seized, "label": label})
    return out


def write(rows: Iterator[HistoryRow], path: Path) -> int:
    """Write ``rows`` to ``path``: CSV, or Parquet for a ``.parquet`` name (needs polars).
    Returns how many rows were written."""
    return write_records((record(r) for r in rows), path)


def write_records(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write :func:`record_of` records to ``path`` as :func:`write` does (the format is
    checked before the first record is asked for). Returns how many were written."""
    names = columns()
    if path.suffix == ".parquet":
        try:
            polars: Any = importlib.import_module("polars")
        except ImportError:
            raise BadRequest(
                "writing Parquet needs polars installed; write a .csv instead",
                fields=[FieldError("out", "format", "use a .csv file name")],
            ) from None
        rows = list(records)
        frame = polars.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
        frame.write_parquet(path)
        return len(rows)
    if path.suffix != ".csv":
        raise BadRequest(
            f"unknown output format {path.suffix or '(none)'}",
            fields=[FieldError("out", "format", "a .csv or .parquet file name")],
        )
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for row in records:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
            count += 1
    return count
