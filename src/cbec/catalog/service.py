"""The catalogue: load editions from CSV, seed the shipped data, and build snapshots.

Which rules judge a declaration: for each kind (positive list, HS codes, policy), the
edition in force on the declaration's date is the one with the latest ``effective_from`` on
or before that date whose ``effective_to`` (if any) has not passed; a later load with the
same start wins a tie. Loading a new edition never edits an older one: the older simply
stops being the latest. Within the edition, HS-code and policy rows have their own dates.

Services flush, never commit: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from cbec.catalog import repository
from cbec.catalog.csvfile import parse_csv
from cbec.catalog.schemas import (
    KINDS,
    EditionOut,
    HsCodeRow,
    Kind,
    LoadSummary,
    PolicyRow,
    PositiveListRow,
    Row,
)
from cbec.catalog.snapshot import CatalogSnapshot, EditionRef, GoodsRates, PositiveLine
from cbec.errors import BadRequest, Conflict
from cbec.store.models import CatalogEdition, HsCode, PositiveListLine, utcnow

# --- loading --------------------------------------------------------------------------


def _check_kind(kind: str) -> Kind:
    for known in KINDS:
        if kind == known:
            return known
    raise BadRequest(f"unknown catalogue kind {kind!r}: one of {', '.join(KINDS)}")


def _default_start(rows: Sequence[Row]) -> date | None:
    starts = [row.effective_from if not isinstance(row, PositiveListRow) else None for row in rows]
    known = [start for start in starts if start is not None]
    return min(known) if known and len(known) == len(starts) else None


def _row_values(row: Row, edition: CatalogEdition) -> dict[str, Any]:
    values = row.model_dump(exclude={"line"})
    values["edition_id"] = edition.id
    if isinstance(row, HsCodeRow) and row.effective_from is None:
        values["effective_from"] = edition.effective_from
    return values


def load(
    session: Session,
    kind: str,
    data: bytes,
    *,
    edition: str,
    effective_from: date | None = None,
    effective_to: date | None = None,
    source: str = "",
    replace: bool = False,
) -> LoadSummary:
    """Load a full list of ``kind`` from CSV bytes as the edition named ``edition``.

    All rows or none: any bad cell raises :class:`~cbec.catalog.csvfile.CatalogFileInvalid`
    naming its line and column. Loading the same file again under the same name changes
    nothing; a different file under a name already loaded is a :class:`Conflict` unless
    ``replace``. ``effective_from`` defaults to the earliest date of the rows when every
    row has one (policy files); a positive list needs it.
    """
    checked = _check_kind(kind)
    name = edition.strip()
    if not name or len(name) > 100:
        raise BadRequest("an edition needs a name of 1-100 characters")
    rows = parse_csv(checked, data)
    start = effective_from or _default_start(rows)
    if start is None:
        raise BadRequest(f"a {checked} edition needs --effective-from (its rows carry no dates)")
    if effective_to is not None and effective_to < start:
        raise BadRequest(f"the edition ends ({effective_to}) before it starts ({start})")
    digest = hashlib.sha256(data).hexdigest()

    existing = repository.edition_by_name(session, checked, name)
    outcome: str = "loaded"
    if existing is not None:
        same = (existing.content_hash, existing.effective_from, existing.effective_to) == (
            digest,
            start,
            effective_to,
        )
        if same:
            return _summary(existing, "unchanged")
        if not replace:
            raise Conflict(
                f"{checked} edition {name!r} is already loaded from another file or with other"
                " dates; load it under a new name, or replace it"
            )
        repository.delete_rows(session, existing)
        target = existing
        outcome = "replaced"
    else:
        target = repository.add_edition(
            session,
            CatalogEdition(kind=checked, name=name, effective_from=start, content_hash=digest),
        )
    target.effective_from = start
    target.effective_to = effective_to
    target.source = source
    target.content_hash = digest
    target.row_count = len(rows)
    target.loaded_at = utcnow()
    session.flush()
    repository.insert_rows(session, checked, [_row_values(row, target) for row in rows])
    session.flush()
    invalidate()
    return _summary(target, outcome)


def _summary(edition: CatalogEdition, outcome: str) -> LoadSummary:
    return LoadSummary.model_validate(
        {
            "kind": edition.kind,
            "edition": edition.name,
            "effective_from": edition.effective_from,
            "effective_to": edition.effective_to,
            "rows": edition.row_count,
            "outcome": outcome,
        }
    )


@dataclass(frozen=True, slots=True)
class ShippedEdition:
    """A CSV shipped in ``cbec/catalog/data`` and how ``seed`` loads it."""

    kind: Kind
    file: str
    name: str
    effective_from: date | None
    source: str


SHIPPED: tuple[ShippedEdition, ...] = (
    ShippedEdition(
        "policy",
        "policy.csv",
        "cbec retail import policy",
        None,
        "财关税〔2016〕18号 (from 2016-04-08); 财关税〔2018〕49号 (from 2019-01-01)",
    ),
    ShippedEdition(
        "positive-list",
        "positive_list_2022.csv",
        "2022 positive list (cbec subset)",
        date(2022, 3, 1),
        "跨境电子商务零售进口商品清单（2022年版）, in force from 2022-03-01: a subset",
    ),
    ShippedEdition(
        "hs-codes",
        "hs_codes_2022.csv",
        "2022 tariff nomenclature (cbec subset)",
        date(2022, 1, 1),
        "10-digit codes of the 2022 Chinese tariff for the goods cbec simulates: a subset",
    ),
)


def shipped_data(file: str) -> bytes:
    """The bytes of a CSV shipped with cbec."""
    return files("cbec.catalog").joinpath("data", file).read_bytes()


def seed(session: Session) -> list[LoadSummary]:
    """Load the shipped catalogue (idempotent: the same files load once)."""
    return [
        load(
            session,
            item.kind,
            shipped_data(item.file),
            edition=item.name,
            effective_from=item.effective_from,
            source=item.source,
            replace=True,
        )
        for item in SHIPPED
    ]


def editions(session: Session) -> list[EditionOut]:
    """Every loaded edition, by kind and start date."""
    found = sorted(repository.all_editions(session), key=lambda e: (e.kind, e.effective_from))
    return [
        EditionOut(
            kind=e.kind,
            name=e.name,
            effective_from=e.effective_from,
            effective_to=e.effective_to,
            rows=e.row_count,
            source=e.source,
            loaded_at=e.loaded_at,
        )
        for e in found
    ]


# --- snapshots ------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    token: Hashable
    snapshot: CatalogSnapshot
    #: time.monotonic() of the last time the token was read from the store.
    checked_at: float


class _LRU:
    """A small thread-safe LRU of snapshots keyed by (database, date)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> _Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _LRU(maxsize=64)
#: Key in ``Session.info``: (transaction, token) of the last editions read in a session.
_VERIFIED = "cbec.catalog.verified"


def invalidate() -> None:
    """Forget every cached snapshot (a load does this itself)."""
    _cache.clear()


def snapshot(session: Session, on: date, *, max_age: float = 0.0) -> CatalogSnapshot:
    """The catalogue in force on ``on``, as immutable dicts; cached per database and date.

    A cached snapshot is reused while no edition was loaded, replaced or removed since. That
    is checked by reading the (small) editions table once per transaction of ``session``:
    later calls in the same transaction cost no query. A load in this process clears the
    cache at once; one by another process is seen by the next transaction. A caller on a
    hot path that opens a transaction per declaration may pass ``max_age`` (seconds): a
    snapshot checked less than that long ago is then trusted without a query, and another
    process's load may go unseen that long. Building a snapshot takes three more queries,
    whatever the size of the lists.
    """
    bind = session.get_bind()
    key = (bind.engine.url.render_as_string(hide_password=True), on)
    entry = _cache.get(key)
    if entry is not None:
        verified = session.info.get(_VERIFIED)
        if verified is not None and verified[0] is session.get_transaction():
            if verified[1] == entry.token:
                return entry.snapshot
        elif max_age > 0 and time.monotonic() - entry.checked_at < max_age:
            return entry.snapshot

    rows = repository.edition_rows(session)
    token = tuple(tuple(row) for row in rows)
    session.info[_VERIFIED] = (session.get_transaction(), token)
    if entry is not None and entry.token == token:
        entry.checked_at = time.monotonic()
        return entry.snapshot

    chosen: dict[str, EditionRef] = {}
    ids: dict[str, int] = {}
    best: dict[str, tuple[date, int]] = {}
    for edition_id, kind, name, start, end, _hash, _loaded in rows:
        if start > on or (end is not None and end < on):
            continue
        if kind not in best or (start, edition_id) > best[kind]:
            best[kind] = (start, edition_id)
            ids[kind] = edition_id
            chosen[kind] = EditionRef(kind, name, start, end)

    positive: dict[str, PositiveLine] = {}
    if "positive-list" in ids:
        positive = {
            line.tariff_code8: _positive(line)
            for line in repository.positive_lines(session, ids["positive-list"])
        }
    goods: dict[str, GoodsRates] = {}
    if "hs-codes" in ids:
        goods = {
            code.code10: _goods(code) for code in repository.hs_codes(session, ids["hs-codes"], on)
        }
    params: dict[str, Decimal] = {}
    if "policy" in ids:
        params = {p.name: p.value for p in repository.policy_parameters(session, ids["policy"], on)}

    built = CatalogSnapshot(
        on=on,
        editions=MappingProxyType(chosen),
        goods_by_code=MappingProxyType(goods),
        positive_by_code8=MappingProxyType(positive),
        params=MappingProxyType(params),
    )
    _cache.put(key, _Entry(token, built, time.monotonic()))
    return built


def _positive(line: PositiveListLine) -> PositiveLine:
    return PositiveLine(
        tariff_code8=line.tariff_code8,
        name=line.name,
        remark=line.remark,
        bonded_only=line.bonded_only,
        direct_only=line.direct_only,
        annual_weight_cap_kg=line.annual_weight_cap_kg,
    )


def _goods(code: HsCode) -> GoodsRates:
    return GoodsRates(
        code10=code.code10,
        name=code.name,
        legal_unit=code.legal_unit,
        second_unit=code.second_unit,
        vat_rate=code.vat_rate,
        consumption_rate=code.consumption_rate,
        consumption_specific=code.consumption_specific,
        consumption_specific_unit=code.consumption_specific_unit,
        consumption_threshold=code.consumption_threshold,
        consumption_threshold_unit=code.consumption_threshold_unit,
        tariff_rate=code.tariff_rate,
        remark=code.remark,
    )


# --- one code, for `cbec catalog show` ----------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeReport:
    """What is in force for one 8- or 10-digit code on one date."""

    code: str
    on: date
    goods: tuple[GoodsRates, ...]
    positive: PositiveLine | None
    editions: dict[str, EditionRef]


def describe(session: Session, code: str, on: date) -> CodeReport:
    """The HS code(s) and the positive-list line in force for ``code`` on ``on``."""
    code = code.strip().replace(".", "")
    if not code.isdigit() or len(code) not in (8, 10):
        raise BadRequest(f"a code is 8 or 10 digits, got {code!r}")
    snap = snapshot(session, on)
    if len(code) == 10:
        one = snap.goods(code)
        goods: tuple[GoodsRates, ...] = (one,) if one else ()
    else:
        goods = tuple(g for c, g in sorted(snap.goods_by_code.items()) if c.startswith(code))
    return CodeReport(code, on, goods, snap.positive_line(code), dict(snap.editions))


@cache
def shipped_snapshot(on: date) -> CatalogSnapshot:
    """The shipped catalogue in force on ``on``, built in memory without a store: what the
    simulator prices its goods with, so that its declared taxes are the ones clearance
    computes from the same data."""
    goods: dict[str, GoodsRates] = {}
    positive: dict[str, PositiveLine] = {}
    params: dict[str, Decimal] = {}
    chosen: dict[str, EditionRef] = {}
    for item in SHIPPED:
        if item.effective_from is not None and item.effective_from > on:
            continue
        chosen[item.kind] = EditionRef(item.kind, item.name, item.effective_from or on, None)
        for row in parse_csv(item.kind, shipped_data(item.file)):
            start = getattr(row, "effective_from", None)
            end = getattr(row, "effective_to", None)
            if (start is not None and start > on) or (end is not None and end < on):
                continue
            if isinstance(row, HsCodeRow):
                goods[row.code10] = _goods(row)  # type: ignore[arg-type]
            elif isinstance(row, PositiveListRow):
                positive[row.tariff_code8] = _positive(row)  # type: ignore[arg-type]
            elif isinstance(row, PolicyRow):
                params[row.name] = row.value
    return CatalogSnapshot(
        on=on,
        editions=MappingProxyType(chosen),
        goods_by_code=MappingProxyType(goods),
        positive_by_code8=MappingProxyType(positive),
        params=MappingProxyType(params),
    )
