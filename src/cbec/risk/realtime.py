"""The queries of the real-time path: what one list's risk verdict reads and writes.

A verdict must add well under 2 ms to a decision, so these go through the driver directly
(as :mod:`cbec.store.bulk` does for intake), with fixed SQL cached by shape, inside the
session's transaction. A verdict reads once: one statement brings the aggregate rows of the
list's features, the flags on its parties, its enterprises' classes and filing dates, the
active control instructions naming it and the live rule sets' signature. It writes nothing
itself: what it adds to the aggregates is kept here, and overlaid on what the store says
for the next list of the batch, until clearance flushes (at the end of each batch, in the
same transaction); then counters, links, assessments and hits go in one statement each.
Going around the ORM also leaves clearance's pending changes unflushed, so that clearance
still writes them in bulk.

SQLite and PostgreSQL take the same SQL (``INSERT ... ON CONFLICT`` included); only the
placeholder and the way dates travel differ.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from cbec.risk.features import ClassRow, Flag, Needs, Observation, Snapshot

#: (id, status, shadow, revision, created) of the rule sets live traffic evaluates.
Signature = tuple[tuple[int, str, bool, int, str], ...]
#: Rows per statement when flushing (SQLite allows 32,766 parameters a statement).
FLUSH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class InstructionRow:
    id: int
    target_kind: str
    target_value: str
    action: str
    reason: str
    valid_from: datetime | None
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class Targets:
    """What a list is, for the external results and the control instructions."""

    identities: tuple[str, ...]  # buyer and payer ID numbers
    enterprises: tuple[str, ...]
    classed: tuple[str, ...]  # enterprises whose class is a feature
    buyer: str
    hs_prefixes: tuple[str, ...]
    logistics_no: str
    lists: tuple[str, ...]


@dataclass(slots=True)
class Gathered:
    """Everything a list's verdict reads, from one statement."""

    snapshot: Snapshot
    flags: tuple[Flag, ...] = ()
    classes: tuple[ClassRow, ...] = ()
    instructions: tuple[InstructionRow, ...] = ()
    signature: Signature = ()
    #: filing dates of the list's enterprises
    filed: dict[str, date] = field(default_factory=dict)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


_statements: dict[tuple[Any, ...], str] = {}


def _statement(key: tuple[Any, ...], build: Callable[[], str], postgres: bool) -> str:
    """SQL built once per shape (and back end)."""
    full = (*key, postgres)
    sql = _statements.get(full)
    if sql is None:
        sql = build()
        if postgres:  # PostgreSQL's own numbered placeholders, for a raw cursor
            numbers = itertools.count(1)
            sql = re.sub(r"\?", lambda _m: f"${next(numbers)}", sql)
        _statements[full] = sql
    return sql


def _moment(value: Any) -> datetime | None:
    """A timestamp as the driver returns it (SQLite: naive UTC text) -> aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _gather_sql(targets_shape: tuple[int, ...], since: tuple[bool, ...], links: int) -> str:
    n_id, n_ent, n_cls, n_hs, n_lists = targets_shape
    # Columns: tag, id, a, b, c, d, score, t1, t2, bucket, n, cents. The first branch types
    # every column (PostgreSQL resolves a UNION's types pair by pair, from the left).
    nothing = "NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    parts = _external_branches(n_id, n_ent, n_cls, 1, n_hs, 1, n_lists, tail=", 0, 0, 0")
    parts += [
        f"SELECT 'a', {i}, {nothing}, bucket, n, cents FROM risk_counters "
        "WHERE kind = ? AND key = ?" + (" AND bucket >= ?" if has_since else "")
        for i, has_since in enumerate(since)
    ]
    parts += [
        f"SELECT 'l', {j}, {nothing}, 0, COUNT(*), "
        "COALESCE(MAX(CASE WHEN b = ? THEN 1 ELSE 0 END), 0) "
        "FROM risk_links WHERE kind = ? AND a = ?"
        for j in range(links)
    ]
    return " UNION ALL ".join(parts)


def _gather_sql_arrays() -> str:
    """A list's gather on PostgreSQL: one statement text for every list, its IN lists and
    aggregate rows passed as arrays. Prepared once per connection (a text per shape, as
    SQLite gets, meant a first execution, parse and plan, for each of some twenty shapes:
    1.5 ms each, the slowest 2% of verdicts). The aggregate rows are read by LATERAL
    subqueries on their primary keys: index lookups, once the tables are big enough to
    need them (on a few thousand rows the planner rightly prefers one hash join)."""
    nothing = "NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    return " UNION ALL ".join(
        [
            *_external_branches(ARRAY, ARRAY, ARRAY, 1, ARRAY, 1, ARRAY, tail=", 0, 0, 0"),
            f"SELECT 'a', v.i - 1, {nothing}, c.bucket, c.n, c.cents "
            "FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS int[])) "
            "WITH ORDINALITY AS v(kind, key, low, i) CROSS JOIN LATERAL (SELECT bucket, n, "
            "cents FROM risk_counters WHERE kind = v.kind AND key = v.key "
            "AND bucket >= v.low) c",
            f"SELECT 'l', v.i - 1, {nothing}, 0, x.n, x.present "
            "FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[])) "
            "WITH ORDINALITY AS v(b, kind, a, i) CROSS JOIN LATERAL (SELECT COUNT(*) AS n, "
            "COALESCE(MAX(CASE WHEN l.b = v.b THEN 1 ELSE 0 END), 0) AS present "
            "FROM risk_links l WHERE l.kind = v.kind AND l.a = v.a) x",
        ]
    )


#: The low bucket of a counter read whole (buckets are days or price bins, never lower).
_ALL_BUCKETS = -(2**31)


class RealTime:
    """The real-time queries on one session's connection (and transaction), with what the
    verdicts added to the aggregates since the last flush."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._transaction: Any = None
        self._raw: Any = None
        #: (kind, key) -> bucket -> [n, cents] added since the last flush
        self._counters: dict[tuple[str, str], dict[int, list[int]]] = {}
        #: (kind, a) -> b's linked since the last flush that the store did not hold
        self._links: dict[tuple[str, str], dict[str, date]] = {}
        #: what the last apply kept (observation, links it added), for take_back
        self._last: tuple[Observation, tuple[tuple[str, str, str], ...]] | None = None
        #: what :meth:`prefetch` read for the lists of a batch, as the store held it
        #: (before the overlay), until the next flush
        self._prefetched: dict[tuple[Needs, Targets], Gathered] = {}

    def _connection(self) -> Any:
        # The session's connection in its current transaction (a commit between two lists
        # ends one, and the next statement must run in the new one).
        transaction = self.session.get_transaction()
        if transaction is None or transaction is not self._transaction:
            self._raw = self.session.connection().connection.driver_connection
            self._transaction = self.session.get_transaction()
        return self._raw

    @contextmanager
    def writes(self) -> Iterator[None]:
        """The statements of a flush sent together: on PostgreSQL in pipeline mode, one round
        trip for them all (their errors are raised on leaving)."""
        if not self.postgres:
            yield
            return
        with self._connection().pipeline():
            yield

    def _execute(self, sql: str, params: Sequence[Any], *, prepare: bool = True) -> Any:
        raw = self._connection()
        if self.postgres:
            # A raw cursor takes the statement as PostgreSQL reads it ($1, $2, ...): a
            # cursor of %s placeholders parses the text again on each call when it is over
            # 4 KB, as a gather is (0.1 ms, a fifth of a verdict). Prepared at once:
            # planning a gather (a UNION of a dozen branches) costs more than running it.
            cursor = psycopg.RawCursor(raw)
            cursor.execute(sql, tuple(params), prepare=prepare)
            return cursor
        cursor = raw.cursor()
        cursor.execute(sql, tuple(params))
        return cursor

    def _sql_value(self, value: Any) -> Any:
        if self.postgres:
            return value
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    # -- the one read ---------------------------------------------------------------------

    def gather(self, needs: Needs, targets: Targets) -> Gathered:
        """The aggregate rows ``needs`` names (as the store holds them, plus what this run
        added since its last flush) and everything else touching ``targets``."""
        early = self._prefetched.pop((needs, targets), None)
        if early is not None:
            self._overlay(needs, early.snapshot)
            return early
        sql, params = self._gather_statement(needs, targets)
        snapshot = Snapshot()
        for kind, key, _low in needs.counters:
            snapshot.counters[(kind, key)] = {}
        externals = []
        for row in self._execute(sql, params).fetchall():
            tag, i, bucket, n, cents = row[0], row[1], row[9], row[10], row[11]
            if tag == "a":  # the i-th counter's rows
                kind, key, _ = needs.counters[i]
                snapshot.counters[(kind, key)][int(bucket)] = (int(n), int(cents))
            elif tag == "l":  # the i-th link: how many b's its a has, and whether b is one
                snapshot.links[needs.links[i]] = (int(n), bool(cents))
            else:
                externals.append(row[:9])
        self._overlay(needs, snapshot)
        return _externals_of(snapshot, targets, externals)

    def _gather_statement(self, needs: Needs, targets: Targets) -> tuple[str, list[Any]]:
        """The gather's statement and parameters: on PostgreSQL one text with arrays, on
        SQLite (which has no arrays, and compiles a statement in microseconds) a text per
        shape with a placeholder per value."""
        if self.postgres:
            enterprises = list(targets.enterprises)
            return _statement(("gather-arrays",), _gather_sql_arrays, True), [
                list(targets.identities),
                enterprises,
                list(targets.classed),
                enterprises,
                targets.buyer,
                list(targets.hs_prefixes),
                targets.logistics_no,
                list(targets.lists),
                enterprises,
                [kind for kind, _key, _low in needs.counters],
                [key for _kind, key, _low in needs.counters],
                [_ALL_BUCKETS if low is None else low for _k, _key, low in needs.counters],
                [b for _kind, _a, b in needs.links],
                [kind for kind, _a, _b in needs.links],
                [a for _kind, a, _b in needs.links],
            ]
        shape = (
            len(targets.identities),
            len(targets.enterprises),
            len(targets.classed),
            len(targets.hs_prefixes),
            len(targets.lists),
        )
        since = tuple(s is not None for _k, _a, s in needs.counters)
        sql = _statement(
            ("gather", shape, since, len(needs.links)),
            lambda: _gather_sql(shape, since, len(needs.links)),
            self.postgres,
        )
        params: list[Any] = [
            *targets.identities,
            *targets.enterprises,
            *targets.classed,
            *targets.enterprises,
            targets.buyer,
            *targets.hs_prefixes,
            targets.logistics_no,
            *targets.lists,
            *targets.enterprises,
        ]
        for kind, key, low in needs.counters:
            params += [kind, key] + ([low] if low is not None else [])
        for kind, a, b in needs.links:
            params += [b, kind, a]
        return sql, params

    def _overlay(self, needs: Needs, snapshot: Snapshot) -> None:
        """Add what this run observed since its last flush to the store's rows."""
        for kind, key, low in needs.counters:
            pending = self._counters.get((kind, key))
            if not pending:
                continue
            rows = snapshot.counters[(kind, key)]
            for bucket, (n, cents) in pending.items():
                if low is None or bucket >= low:
                    old_n, old_cents = rows.get(bucket, (0, 0))
                    rows[bucket] = (old_n + n, old_cents + cents)
        for link in needs.links:
            kind, a, b = link
            pending_b = self._links.get((kind, a))
            if pending_b:
                count, present = snapshot.links.get(link, (0, False))
                snapshot.links[link] = (count + len(pending_b), present or b in pending_b)

    # -- a batch's reads at once ----------------------------------------------------------

    def prefetch(self, requests: Sequence[tuple[Needs, Targets]]) -> None:
        """Read what the verdicts on a batch of lists need in a few statements (instead of
        one per list): :meth:`gather` then takes a list's rows from here, with what the
        lists before it added overlaid, until the next flush."""
        requests = [r for r in dict.fromkeys(requests) if r not in self._prefetched]
        if len(requests) < 2:
            return
        counters = sorted({(k, key) for n, _t in requests for k, key, _ in n.counters})
        rows: dict[tuple[str, str], dict[int, tuple[int, int]]] = {}
        for kind, key, bucket, n_, cents in self._rows("pc", _prefetch_counters, counters):
            rows.setdefault((kind, key), {})[int(bucket)] = (int(n_), int(cents))
        pairs = sorted({(k, a) for n, _t in requests for k, a, _b in n.links})
        linked = {
            (kind, a): int(count) for kind, a, count in self._rows("pl", _prefetch_links, pairs)
        }
        triples = sorted({link for n, _t in requests for link in n.links})
        present = {(k, a, b) for k, a, b in self._rows("pp", _prefetch_present, triples)}
        everything = Targets(
            identities=_union(t.identities for _n, t in requests),
            enterprises=_union(t.enterprises for _n, t in requests),
            classed=_union(t.classed for _n, t in requests),
            buyer="",
            hs_prefixes=_union(t.hs_prefixes for _n, t in requests),
            logistics_no="",
            lists=_union(t.lists for _n, t in requests),
        )
        buyers = _union((t.buyer,) for _n, t in requests)
        waybills = _union((t.logistics_no,) for _n, t in requests)
        sizes = (
            len(everything.identities),
            len(everything.enterprises),
            len(everything.classed),
            len(buyers),
            len(everything.hs_prefixes),
            len(waybills),
            len(everything.lists),
        )
        sql = _statement(
            ("pe", *sizes),
            lambda: " UNION ALL ".join(_external_branches(*sizes)),
            self.postgres,
        )
        params = [
            *everything.identities,
            *everything.enterprises,
            *everything.classed,
            *everything.enterprises,
            *buyers,
            *everything.hs_prefixes,
            *waybills,
            *everything.lists,
            *everything.enterprises,
        ]
        externals = self._execute(sql, params, prepare=False).fetchall()
        for needs, targets in requests:
            snapshot = Snapshot()
            for kind, key, low in needs.counters:
                held = rows.get((kind, key), {})
                snapshot.counters[(kind, key)] = {
                    b: v for b, v in held.items() if low is None or b >= low
                }
            for link in needs.links:
                snapshot.links[link] = (linked.get(link[:2], 0), link in present)
            self._prefetched[(needs, targets)] = _externals_of(snapshot, targets, externals)

    def _rows(
        self, name: str, build: Callable[[int], str], keys: Sequence[tuple[str, ...]]
    ) -> list[Any]:
        """The rows of ``build(n)`` for ``keys``, 1,000 keys a statement."""
        out: list[Any] = []
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            sql = _statement((name, len(chunk)), partial(build, len(chunk)), self.postgres)
            out += self._execute(sql, [v for key in chunk for v in key], prepare=False)
        return out

    # -- writes ---------------------------------------------------------------------------

    def apply(self, observation: Observation, snapshot: Snapshot) -> None:
        """Keep what a list adds to the aggregates (``snapshot``: what it read, to tell new
        links from known ones), for the next lists and the flush."""
        for kind, key, bucket, n, cents in observation.counters:
            row = self._counters.setdefault((kind, key), {}).setdefault(bucket, [0, 0])
            row[0] += n
            row[1] += cents
        added = []
        for link in observation.links:
            kind, a, b = link
            if not snapshot.links.get(link, (0, False))[1]:
                pending = self._links.setdefault((kind, a), {})
                if b not in pending:
                    pending[b] = observation.day
                    added.append(link)
        self._last = (observation, tuple(added))

    def take_back(self) -> None:
        """Take back what the last :meth:`apply` kept (its list faulted before it was
        decided; deciding it again applies it again)."""
        if self._last is None:
            return
        observation, added = self._last
        self._last = None
        for kind, key, bucket, n, cents in observation.counters:
            row = self._counters[(kind, key)][bucket]
            row[0] -= n
            row[1] -= cents
        for kind, a, b in added:
            self._links[(kind, a)].pop(b, None)

    def discard(self) -> None:
        """Drop the counters and links kept since the last flush, and what was read ahead
        (the transaction rolled back to before them)."""
        self._counters, self._links, self._last = {}, {}, None
        self._prefetched = {}

    def flush(self) -> None:
        """Write the counters and links kept since the last flush."""
        # Sorted, so that two transactions touching the same rows lock them in one order.
        counters = sorted(
            (kind, key, bucket, n, cents)
            for (kind, key), rows in self._counters.items()
            for bucket, (n, cents) in rows.items()
        )
        links = sorted(
            (kind, a, b, day)
            for (kind, a), linked in self._links.items()
            for b, day in linked.items()
        )
        self.discard()  # kept in hand above; what the store holds changes now
        for start in range(0, len(counters), FLUSH_ROWS):
            rows = counters[start : start + FLUSH_ROWS]
            sql = _statement(
                ("counters", len(rows)), partial(_upsert_counters, len(rows)), self.postgres
            )
            self._execute(sql, [v for row in rows for v in row])
        for start in range(0, len(links), FLUSH_ROWS):
            pairs = links[start : start + FLUSH_ROWS]
            sql = _statement(
                ("links", len(pairs)), partial(_insert_links, len(pairs)), self.postgres
            )
            self._execute(sql, [self._sql_value(v) for row in pairs for v in row])

    def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows (all with the same keys), ``FLUSH_ROWS`` per statement."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)  # quoted: risk_hits has a "values"
        for start in range(0, len(rows), FLUSH_ROWS):
            chunk = rows[start : start + FLUSH_ROWS]
            sql = _statement(
                ("insert", table, tuple(columns), len(chunk)),
                partial(_insert, table, names, len(columns), len(chunk)),
                self.postgres,
            )
            self._execute(sql, [self._sql_value(row[c]) for row in chunk for c in columns])


def _upsert_counters(size: int) -> str:
    return (
        "INSERT INTO risk_counters (kind, key, bucket, n, cents) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?)"] * size)
        + " ON CONFLICT (kind, key, bucket) DO UPDATE SET n = risk_counters.n + excluded.n, "
        "cents = risk_counters.cents + excluded.cents"
    )


def _insert_links(size: int) -> str:
    return (
        "INSERT INTO risk_links (kind, a, b, first_seen) VALUES "
        + ", ".join(["(?, ?, ?, ?)"] * size)
        + " ON CONFLICT (kind, a, b) DO NOTHING"
    )


def _insert(table: str, names: str, width: int, size: int) -> str:
    return f"INSERT INTO {table} ({names}) VALUES " + ", ".join([f"({_marks(width)})"] * size)


def _union(groups: Any) -> tuple[str, ...]:
    return tuple(sorted({v for group in groups for v in group if v}))


def _values(width: int, size: int) -> str:
    """A VALUES table of ``size`` rows (its columns are column1, column2, ... on SQLite and
    PostgreSQL alike): joined, it lets the index find each key."""
    return "(VALUES " + ", ".join([f"({_marks(width)})"] * size) + ") AS v"


def _prefetch_counters(size: int) -> str:
    return (
        "SELECT c.kind, c.key, c.bucket, c.n, c.cents FROM risk_counters c JOIN "
        f"{_values(2, size)} ON c.kind = v.column1 AND c.key = v.column2"
    )


def _prefetch_links(size: int) -> str:
    return (
        "SELECT l.kind, l.a, COUNT(*) FROM risk_links l JOIN "
        f"{_values(2, size)} ON l.kind = v.column1 AND l.a = v.column2 GROUP BY l.kind, l.a"
    )


def _prefetch_present(size: int) -> str:
    return (
        "SELECT l.kind, l.a, l.b FROM risk_links l JOIN "
        f"{_values(3, size)} ON l.kind = v.column1 AND l.a = v.column2 AND l.b = v.column3"
    )


def _in(n: int) -> str:
    # An empty IN () is not SQL; a NULL matches nothing.
    return _marks(n) if n else "NULL"


#: A size of :func:`_external_branches` that stands for one array parameter (PostgreSQL).
ARRAY = -1


def _member(column: str, n: int) -> str:
    """``column`` is one of ``n`` values (placeholders), or of an array parameter."""
    if n == ARRAY:
        return f"{column} = ANY(CAST(? AS text[]))"
    return f"{column} IN ({_in(n)})"


def _external_branches(
    n_id: int,
    n_ent: int,
    n_cls: int,
    n_buyers: int,
    n_hs: int,
    n_ways: int,
    n_lists: int,
    *,
    tail: str = "",
) -> list[str]:
    """The SELECTs of the external results touching a list's (or a batch's) parties: flags,
    classes, active instructions, the live rule sets and filing dates, as (tag, id, a, b,
    c, d, score, start, end) and then ``tail`` (more columns, for a UNION with others).
    Each size is a count of placeholders, or :data:`ARRAY` for one array parameter."""
    return [
        "SELECT 'f', id, subject_kind, subject_key, source, kind, score, valid_from, "
        f"valid_to{tail} FROM risk_flags WHERE (subject_kind = 'identity' AND "
        f"{_member('subject_key', n_id)}) OR (subject_kind = 'enterprise' AND "
        f"{_member('subject_key', n_ent)})",
        "SELECT 'c', id, 'enterprise', enterprise_code, source, class_code, score, "
        f"valid_from, valid_to{tail} FROM risk_enterprise_classes WHERE "
        f"{_member('enterprise_code', n_cls)}",
        "SELECT 'i', id, target_kind, target_value, action, reason, NULL, valid_from, "
        f"valid_to{tail} FROM risk_control_instructions WHERE status = 'active' AND ("
        f"(target_kind = 'enterprise' AND {_member('target_value', n_ent)}) "
        f"OR (target_kind = 'buyer' AND {_member('target_value', n_buyers)}) "
        f"OR (target_kind = 'hs_code' AND {_member('target_value', n_hs)}) "
        f"OR (target_kind = 'logistics_no' AND {_member('target_value', n_ways)}) "
        f"OR (target_kind = 'list' AND {_member('target_value', n_lists)}))",
        "SELECT 'r', id, status, CASE WHEN shadow THEN 'shadow' ELSE '' END, '', '', "
        f"revision, created_at, NULL{tail} FROM risk_rule_sets "
        "WHERE status = 'published' OR (status = 'draft' AND shadow)",
        "SELECT 'e', id, customs_code, CAST(filing_date AS VARCHAR(10)), '', '', NULL, "
        f"NULL, NULL{tail} FROM enterprises WHERE {_member('customs_code', n_ent)}",
    ]


def _externals_of(snapshot: Snapshot, targets: Targets, rows: Sequence[Any]) -> Gathered:
    """A list's verdict reads: ``snapshot`` and the rows of external results (tag, id, a, b,
    c, d, score, start, end) that concern ``targets`` (a batch's read holds other lists'
    rows too; a list's own gather holds only its own)."""
    identities, enterprises = set(targets.identities), set(targets.enterprises)
    classed, prefixes, lists = set(targets.classed), set(targets.hs_prefixes), set(targets.lists)
    wanted = {
        "enterprise": enterprises,
        "buyer": {targets.buyer},
        "hs_code": prefixes,
        "logistics_no": {targets.logistics_no},
        "list": lists,
    }
    out = Gathered(snapshot)
    flags: list[tuple[int, Flag]] = []
    classes: list[tuple[int, ClassRow]] = []
    instructions: list[InstructionRow] = []
    signature: list[tuple[int, str, bool, int, str]] = []
    for tag, i, a, b, c, d, score, start, end in rows:
        if tag == "f":
            if b in (identities if a == "identity" else enterprises):
                flags.append((i, Flag(a, b, c, d, float(score), _moment(start), _moment(end))))
        elif tag == "c":
            if b in classed:
                classes.append((i, ClassRow(b, d, _moment(start), _moment(end))))
        elif tag == "i":
            if b in wanted.get(a, ()):
                instructions.append(InstructionRow(i, a, b, c, d, _moment(start), _moment(end)))
        elif tag == "r":
            signature.append((int(i), a, b == "shadow", int(score), str(_moment(start))))
        elif a in enterprises:
            out.filed[a] = date.fromisoformat(str(b)[:10])
    out.flags = tuple(f for _i, f in sorted(flags, key=lambda x: x[0]))
    out.classes = tuple(c for _i, c in sorted(classes, key=lambda x: x[0]))
    out.instructions = tuple(sorted(instructions, key=lambda x: x.id))
    out.signature = tuple(sorted(signature))
    return out
