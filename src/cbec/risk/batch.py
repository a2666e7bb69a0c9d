"""Risk features over history and the training set, as a batch job: defined once as ibis
expressions and run on the embedded engine or on Spark (:mod:`cbec.batch.engine`), from the
store or from a ``cbec export-data`` folder.

A list's features read aggregates as they stood just before it, in decision order
(:mod:`cbec.risk.features`). The engine computes those aggregate rows for every list at
once, ordered by decision order (``complete_at``, ``id``, as the replay goes):

- the buyer's counters (lists and cents per day from the first bucket the list reads):
  a self-join of the buyer's earlier lists, grouped by day;
- the buyer's earlier lists paid by someone else: a running sum over the buyer's lists;
- the seven kinds of links (buyer-address, buyer-phone, address-buyer, phone-buyer,
  payer-buyer, payment company-platform, platform-payment company): each pair's first list,
  then a running count over the pairs of each ``a`` up to the list, and whether the list's
  own pair was seen before;
- what became of the list (inspected, seized, from its state history; a closed case's
  label).

The features themselves are then computed on the driver, per list, by the very function
real time calls (:func:`~cbec.risk.features.compute`) on those rows, so that the values are
those real time computed by construction. The unit-price histograms of each HS code and
unit (reference price and spread: quantiles of all earlier lines' price bins) are the one
aggregate kept on the driver: they are replayed there in decision order with the real-time
functions (:func:`~cbec.risk.features.observation` into
:class:`~cbec.risk.aggregates.MemoryAggregates`), one pass over the lines; a running
quantile of a growing histogram is no window function, and a self-join of a popular HS
code's lines grows with the square of its lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from cbec.batch.engine import Engine, Source
from cbec.risk import tables
from cbec.risk.aggregates import MemoryAggregates
from cbec.risk.features import (
    ADDRESS_BUYER,
    BUYER_ADDRESS,
    BUYER_LISTS,
    BUYER_PAID_BY_OTHER,
    BUYER_PHONE,
    HS_PRICE,
    PAY_PLATFORM,
    PAYER_BUYER,
    PHONE_BUYER,
    PLATFORM_PAY,
    ClassRow,
    Externals,
    Facts,
    FeatureValue,
    Flag,
    Line,
    Needs,
    Observation,
    compute,
    fields_of,
    needs,
    observation,
)
from cbec.risk.history import record_of

#: Tables the job reads (``cbec export-data`` writes them).
LISTS, LINES, LABELS, CLASSES = "risk_lists", "risk_lines", "risk_labels", "enterprise_classes"
EVENTS, ENTERPRISES, FLAGS = "declaration_events", "enterprises", "risk_flags"
TABLES = (LISTS, LINES, EVENTS, LABELS, ENTERPRISES, FLAGS, CLASSES)
#: The links of a list: (kind, column of a, column of b), as :func:`features._link_pairs`.
LINKS = (
    (BUYER_ADDRESS, "buyer", "address"),
    (BUYER_PHONE, "buyer", "phone"),
    (ADDRESS_BUYER, "address", "buyer"),
    (PHONE_BUYER, "phone", "buyer"),
    (PAYER_BUYER, "payer", "buyer"),
    (PAY_PLATFORM, "pay_code", "ebp_code"),
    (PLATFORM_PAY, "ebp_code", "pay_code"),
)
#: The counters the engine computes; the HS price histograms are replayed on the driver.
ON_ENGINE = (BUYER_LISTS, BUYER_PAID_BY_OTHER)
ON_DRIVER = (HS_PRICE,)


def _ibis() -> Any:
    import ibis

    return ibis


def store_source(session: Session, until: date | None = None) -> Source:
    """The job's tables read from the store (the lists declared up to ``until``): the
    lists and their lines come from one pass over the stored messages."""
    from cbec.batch import export

    held: dict[str, pl.DataFrame] = {}

    def listed(name: str) -> Any:
        def read(s: Session) -> pl.DataFrame:
            if not held:
                held[LISTS], held[LINES] = tables.list_frames(s, until)
            return held[name]

        return read

    return Source(
        session=session,
        readers={
            LISTS: listed(LISTS),
            LINES: listed(LINES),
            EVENTS: export.declaration_events,
            LABELS: tables.risk_labels,
            ENTERPRISES: export.enterprises,
            FLAGS: export.risk_flags,
            CLASSES: tables.enterprise_classes,
        },
    )


# -- on the engine ------------------------------------------------------------------------


def _ordered(lists: Any, until: date | None) -> Any:
    """The lists (declared up to ``until``) with ``seq``: their rank in decision order."""
    ibis = _ibis()
    if until is not None:
        lists = lists.filter(lists.decl_date <= ibis.literal(until))
    return lists.mutate(seq=ibis.row_number().over(order_by=[lists.complete_at, lists.id]))


def buyer_counters(lists: Any) -> Any:
    """(``id``, ``bucket``, ``n``, ``cents``): the buyer's lists and cents per day (bucket)
    from the list's first bucket (``since``), over the lists decided before it."""
    earlier = lists.view()
    earlier = earlier.select(
        e_buyer=earlier.buyer, e_seq=earlier.seq, bucket=earlier.day, e_cents=earlier.cents
    )
    j = lists.join(
        earlier,
        [
            lists.buyer == earlier.e_buyer,
            earlier.e_seq < lists.seq,
            earlier.bucket >= lists.since,
        ],
    )
    return j.group_by("id", "bucket").agg(n=j.count(), cents=j.e_cents.sum())


def paid_by_other(lists: Any) -> Any:
    """Per list: the buyer's earlier lists paid by someone else."""
    ibis = _ibis()
    other = ibis.ifelse(lists.payer != lists.buyer, 1, 0)
    running = ibis.window(group_by=lists.buyer, order_by=lists.seq, rows=(None, 0))
    return other.sum().over(running) - other


def links(lists: Any) -> Any:
    """(``id``, ``kind``, ``linked``, ``present``): per list and kind of link (a, b), how
    many b's were linked to a by the lists decided before it, and whether b was one."""
    ibis = _ibis()
    parts = [
        lists.select("id", "seq", kind=ibis.literal(kind), a=lists[a], b=lists[b])
        for kind, a, b in LINKS
    ]
    triples = parts[0].union(*parts[1:], distinct=False)
    pairs = triples.group_by("kind", "a", "b").agg(first=triples.seq.min())
    # a pair counts from the list after its first one: at a tie the list's query comes first
    events = pairs.select(
        "kind", "a", seq=pairs.first, add=ibis.literal(1, type="int64"),
        id=ibis.literal(-1, type="int64"),
    )  # fmt: skip
    queries = triples.select("kind", "a", "seq", add=ibis.literal(0, type="int64"), id="id")
    both = events.union(queries, distinct=False)
    running = ibis.window(
        group_by=[both.kind, both.a], order_by=[both.seq, both.add], rows=(None, 0)
    )
    counted = both.mutate(linked=both.add.sum().over(running)).filter(lambda t: t.add == 0)
    own = triples.join(pairs, ["kind", "a", "b"])
    own = own.select(o_id=own.id, o_kind=own.kind, present=own.first < own.seq)
    j = counted.join(own, [counted.id == own.o_id, counted.kind == own.o_kind])
    return j.select("id", "kind", "linked", "present")


def outcomes(lists: Any, events: Any, labels: Any) -> Any:
    """The lists with ``inspected``, ``seized`` (from their state history) and ``label``."""
    ibis = _ibis()
    e = events
    history = e.group_by(did=e.declaration_id).agg(
        inspected=ibis.ifelse(e.to_status == 500, 1, 0).max(),
        seized=ibis.ifelse(e.to_status == 502, 1, 0).max(),
    )
    closed = labels.group_by(lid=labels.declaration_id).agg(label=labels.label.max())
    j = lists.left_join(history, lists.id == history.did).drop("did")
    j = j.left_join(closed, j.id == closed.lid).drop("lid")
    return j.mutate(
        inspected=j.inspected.fill_null(0) == 1,
        seized=j.seized.fill_null(0) == 1,
        paid_before=paid_by_other(j),
    )


@dataclass(frozen=True, slots=True)
class Computed:
    """What the engine gives the driver: the lists (with ``seq``, outcomes and
    ``paid_before``), their lines, the buyer counters, the links, and the external results."""

    lists: pl.DataFrame
    lines: pl.DataFrame
    counters: pl.DataFrame
    links: pl.DataFrame
    flags: pl.DataFrame
    classes: pl.DataFrame
    enterprises: pl.DataFrame


def aggregates(engine: Engine, source: Source, *, until: date | None = None) -> Computed:
    """Run the job's engine part."""
    lists = _ordered(source.table(engine, LISTS), until)
    lines = source.table(engine, LINES)
    ids = lists.select(k_id="id")
    lines = lines.semi_join(ids, lines.id == ids.k_id)
    lists = engine.materialize(lists, "risk_lists")  # ranked once, read four times
    return Computed(
        lists=engine.collect(
            outcomes(lists, source.table(engine, EVENTS), source.table(engine, LABELS))
        ).sort("seq"),
        lines=engine.collect(lines).sort("id", "line"),
        counters=engine.collect(buyer_counters(lists)),
        links=engine.collect(links(lists)),
        flags=engine.collect(source.table(engine, FLAGS)),
        classes=engine.collect(source.table(engine, CLASSES)).sort("id"),
        enterprises=engine.collect(source.table(engine, ENTERPRISES)),
    )


# -- on the driver ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportedFacts(Facts):
    """Facts read back from the job's tables: no ID numbers, only their blind indexes
    (what flags name the buyer and payer by)."""

    buyer_key: str = ""
    payer_key: str = ""

    def blind_ids(self) -> tuple[str, str]:
        return self.buyer_key, self.payer_key


def _moment(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def facts_of_row(row: Mapping[str, Any], lines: Sequence[Line]) -> ExportedFacts:
    """The facts of a ``risk_lists`` row and its lines."""
    at = _moment(row["at"])
    assert at is not None
    return ExportedFacts(
        declaration_id=row["id"],
        at=at,
        buyer_id="",
        payer_id="",
        consignee_phone="",
        consignee_address="",
        buyer=row["buyer"],
        payer=row["payer"],
        address=row["address"],
        phone=row["phone"],
        ebp_code=row["ebp_code"],
        ebc_code=row["ebc_code"],
        agent_code=row["agent_code"],
        logistics_code=row["logistics_code"],
        logistics_no=row["logistics_no"],
        pay_code=row["pay_code"],
        trade_mode=row["trade_mode"],
        customs_code=row["customs_code"],
        port_code=row["port_code"],
        country=row["country"],
        lines=tuple(lines),
        taxable_value=Decimal(row["taxable_value"]),
        gross_weight=Decimal(row["gross_weight"]),
        net_weight=Decimal(row["net_weight"]),
        waybill_weight=Decimal(row["waybill_weight"]),
        order_time=_moment(row["order_time"]),
        pay_time=_moment(row["pay_time"]),
        waybill_time=_moment(row["waybill_time"]),
        tax_total=_decimal(row["tax_total"]),
        buyer_key=row["buyer_key"],
        payer_key=row["payer_key"],
    )


class _Externals:
    """The external results of the job's tables, picked per list (the flags touching its
    parties, the class rows of its enterprises in id order): :func:`compute` reads only
    those, so it gives what it gives with every row."""

    def __init__(self, computed: Computed) -> None:
        self.flags: dict[tuple[str, str], list[Flag]] = defaultdict(list)
        for r in computed.flags.iter_rows(named=True):
            flag = Flag(
                r["subject_kind"],
                r["subject_key"],
                r["source"],
                r["kind"],
                float(r["score"]),
                _moment(r["valid_from"]),
                _moment(r["valid_to"]),
            )
            self.flags[(flag.subject_kind, flag.subject_key)].append(flag)
        self.classes: dict[str, list[tuple[int, ClassRow]]] = defaultdict(list)
        for r in computed.classes.iter_rows(named=True):
            row = ClassRow(
                r["enterprise_code"],
                r["class_code"],
                _moment(r["valid_from"]),
                _moment(r["valid_to"]),
            )
            self.classes[row.enterprise_code].append((r["id"], row))
        self.filed: dict[str, date] = {
            str(code): day
            for code, day in computed.enterprises.select("customs_code", "filing_date").iter_rows()
            if day is not None
        }

    def of(self, facts: Facts, limit: Decimal) -> Externals:
        identities = dict.fromkeys(facts.blind_ids())
        flags = [f for key in identities for f in self.flags.get(("identity", key), ())]
        flags += [f for code in facts.enterprises for f in self.flags.get(("enterprise", code), ())]
        codes = dict.fromkeys((facts.ebc_code, facts.ebp_code))
        classes = sorted((c for code in codes for c in self.classes.get(code, ())), key=_first)
        return Externals(tuple(flags), tuple(c for _i, c in classes), self.filed, limit)


def _first(pair: tuple[int, ClassRow]) -> int:
    return pair[0]


def _of(needed: Needs, kinds: Sequence[str]) -> Needs:
    return Needs(tuple(c for c in needed.counters if c[0] in kinds), ())


def training_set(
    engine: Engine,
    source: Source,
    *,
    since: date | None = None,
    until: date | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of ``cbec risk features`` (:func:`cbec.risk.history.record_of`): every
    list decided with all four documents up to ``until``, in decision order, with the
    features real time computed for it and what became of it; those declared from
    ``since``."""
    computed = aggregates(engine, source, until=until)
    externals = _Externals(computed)
    lines: dict[int, list[Line]] = defaultdict(list)
    for i, reference, hs_code, country, price, qty in computed.lines.select(
        "id", "reference", "hs_code", "country", "price", "qty"
    ).iter_rows():
        lines[i].append(Line(reference, hs_code, country, price, qty))
    days: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for i, bucket, n, total in computed.counters.select("id", "bucket", "n", "cents").iter_rows():
        days[i][int(bucket)] = (int(n), int(total))
    linked: dict[tuple[int, str], tuple[int, bool]] = {
        (i, kind): (int(n), bool(present))
        for i, kind, n, present in computed.links.select(
            "id", "kind", "linked", "present"
        ).iter_rows()
    }
    histograms = MemoryAggregates()
    for row in computed.lists.iter_rows(named=True):
        facts = facts_of_row(row, lines.get(row["id"], ()))
        needed = needs(facts)
        unknown = {k for k, _key, _b in needed.counters} - {*ON_ENGINE, *ON_DRIVER}
        if unknown:  # a new aggregate in features.py must be added to the job first
            raise RuntimeError(f"the batch job does not compute counters {sorted(unknown)}")
        snapshot = histograms.read(_of(needed, ON_DRIVER))
        snapshot.counters[(BUYER_LISTS, facts.buyer)] = days.get(row["id"], {})
        paid = int(row["paid_before"])
        snapshot.counters[(BUYER_PAID_BY_OTHER, facts.buyer)] = {0: (paid, 0)} if paid else {}
        for link in needed.links:
            snapshot.links[link] = linked[(row["id"], link[0])]
        values: dict[str, FeatureValue] = compute(
            facts, snapshot, externals.of(facts, Decimal(row["annual_limit"]))
        )
        added = observation(facts)
        histograms.apply(
            Observation(tuple(c for c in added.counters if c[0] in ON_DRIVER), (), added.day)
        )
        if since is not None and row["decl_date"] < since:
            continue
        label = row["label"]
        yield record_of(
            (row["id"], row["invt_no"], row["decl_date"], row["status"]),
            values,
            fields_of(facts),
            (bool(row["inspected"]), bool(row["seized"]), None if label is None else int(label)),
        )
