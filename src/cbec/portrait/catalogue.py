"""Product catalogues: the goods a platform (or an e-commerce enterprise selling on one)
files with customs, item by item, before selling them: item number, goods name, 10-digit HS
code, brand and specification, with the date filed. Items are amended in place (the audit
log keeps what they said before) and withdrawn with a date (never deleted, so lists cleared
while an item was filed still match it). Platform verification compares the goods cleared
under a platform with the catalogue filed for it
(:func:`cbec.portrait.verification.catalogue_check`).

Enterprises file over the API with their key; customs imports files (CSV or JSON) with
``cbec portrait catalogue import``. Services flush, never commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound
from cbec.messages.fields import CST
from cbec.portrait.schemas import (
    CatalogueDocument,
    CatalogueGoods,
    CatalogueImport,
    CatalogueImportItem,
    CatalogueItemIn,
    parse,
)
from cbec.store.models import CatalogueItem, Enterprise, utcnow

#: who may file a catalogue
FILERS = ("platform", "ecommerce")
FORMAT = "cbec-catalogues/1"
CSV_COLUMNS = ("itemNo", "goodsName", "hsCode", "brand", "spec")
_GOODS = ("goods_name", "hs_code", "brand", "spec")


def today() -> date:
    """Today in Beijing."""
    return utcnow().astimezone(CST).date()


def _record(
    session: Session, by: Actor, action: str, code: str, reason: str, **details: Any
) -> None:
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action=action,
        subject_kind="enterprise",
        subject_key=code,
        reason=reason,
        details=details,
    )


def _filer(session: Session, code: str) -> Enterprise:
    found = session.execute(
        select(Enterprise).where(Enterprise.customs_code == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no enterprise {code}")
    if not set(found.role_names) & set(FILERS):
        raise Forbidden(
            f"{code} holds {', '.join(found.role_names) or 'no role'}: only a platform or an "
            "e-commerce enterprise files a product catalogue"
        )
    return found


def _rows(session: Session, code: str) -> dict[str, CatalogueItem]:
    rows = session.execute(
        select(CatalogueItem).where(CatalogueItem.enterprise_code == code)
    ).scalars()
    return {r.item_no: r for r in rows}


def items_of(session: Session, code: str, *, withdrawn: bool = False) -> Sequence[CatalogueItem]:
    """The catalogue of ``code`` by item number (withdrawn items too when asked)."""
    query = (
        select(CatalogueItem)
        .where(CatalogueItem.enterprise_code == code)
        .order_by(CatalogueItem.item_no)
    )
    if not withdrawn:
        query = query.where(CatalogueItem.withdrawn_on.is_(None))
    return session.execute(query).scalars().all()


def _goods(item: CatalogueGoods) -> dict[str, str]:
    return {name: getattr(item, name) for name in _GOODS}


def _duplicates(item_nos: Iterable[str], path: str) -> list[FieldError]:
    seen: set[str] = set()
    problems = []
    for index, item_no in enumerate(item_nos):
        if item_no in seen:
            problems.append(
                FieldError(f"{path}/{index}/itemNo", "unique", f"{item_no} is given twice")
            )
        seen.add(item_no)
    return problems


def _new(code: str, item: CatalogueItemIn, filed_on: date, by: Actor) -> CatalogueItem:
    now = utcnow()
    return CatalogueItem(
        enterprise_code=code,
        item_no=item.item_no,
        filed_on=filed_on,
        withdrawn_on=None,
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=by.name,
        **_goods(item),
    )


def _refile(row: CatalogueItem, item: CatalogueGoods, filed_on: date, by: Actor) -> None:
    """A withdrawn item filed again: it is in force from ``filed_on``."""
    for name, value in _goods(item).items():
        setattr(row, name, value)
    row.filed_on, row.withdrawn_on = filed_on, None
    row.version += 1
    row.updated_at, row.updated_by = utcnow(), by.name


def file_items(
    session: Session, code: str, items: Sequence[CatalogueItemIn], *, by: Actor
) -> list[CatalogueItem]:
    """File new items in ``code``'s catalogue as of today, all or none. An item number
    already in force is refused (amend it); a withdrawn one is filed again."""
    _filer(session, code)
    twice = _duplicates((i.item_no for i in items), "items")
    if twice:
        raise BadRequest("an item number is given twice", fields=twice)
    existing = _rows(session, code)
    problems = [
        FieldError(
            f"items/{index}/itemNo",
            "not-filed",
            f"{item.item_no} is already filed (since {existing[item.item_no].filed_on}); "
            "amend it instead",
        )
        for index, item in enumerate(items)
        if item.item_no in existing and existing[item.item_no].withdrawn_on is None
    ]
    if problems:
        raise Conflict("items already filed", fields=problems)
    on = today()
    out = []
    for item in items:
        row = existing.get(item.item_no)
        if row is None:
            row = _new(code, item, on, by)
            session.add(row)
        else:
            _refile(row, item, on, by)
        out.append(row)
    session.flush()
    _record(
        session,
        by,
        "catalogue.file",
        code,
        f"{len(items)} item(s) filed",
        items=[i.item_no for i in items][:200],
    )
    return out


def _live(session: Session, code: str, item_no: str) -> CatalogueItem:
    row = _rows(session, code).get(item_no)
    if row is None:
        raise NotFound(f"{code} has filed no item {item_no}")
    if row.withdrawn_on is not None:
        raise Conflict(f"item {item_no} of {code} was withdrawn on {row.withdrawn_on}")
    return row


def amend_item(
    session: Session, code: str, item_no: str, data: CatalogueGoods, *, by: Actor
) -> CatalogueItem:
    """Change what a filed item says (goods name, HS code, brand, specification)."""
    _filer(session, code)
    row = _live(session, code, item_no)
    before = {name: getattr(row, name) for name in _GOODS}
    after = _goods(data)
    if before == after:
        return row
    for name, value in after.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at, row.updated_by = utcnow(), by.name
    session.flush()
    _record(
        session,
        by,
        "catalogue.amend",
        code,
        f"item {item_no} amended",
        item=item_no,
        before=before,
        after=after,
    )
    return row


def withdraw_item(
    session: Session, code: str, item_no: str, *, by: Actor, reason: str = ""
) -> CatalogueItem:
    """Withdraw an item from today: lists cleared from today on no longer match it."""
    _filer(session, code)
    row = _live(session, code, item_no)
    row.withdrawn_on = max(today(), row.filed_on)
    row.updated_at, row.updated_by = utcnow(), by.name
    session.flush()
    _record(session, by, "catalogue.withdraw", code, reason or f"item {item_no} withdrawn",
            item=item_no)  # fmt: skip
    return row


# -- imports --------------------------------------------------------------------------------


@dataclass(slots=True)
class Imported:
    """What an import did, per enterprise."""

    filed: dict[str, int] = field(default_factory=dict)
    amended: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def total(self, what: str) -> int:
        counts: dict[str, int] = getattr(self, what)
        return sum(counts.values())


#: A customs code as ``--enterprise`` takes it (the ``Code`` of the import schemas).
ENTERPRISE_CODE = "[0-9A-Za-z]{10}"


def check_enterprise(enterprise: str | None) -> None:
    """Refuse an ``--enterprise`` that is not a customs code, naming the option and rule."""
    if enterprise is not None and not re.fullmatch(ENTERPRISE_CODE, enterprise):
        raise BadRequest(
            f"{enterprise!r} is not a customs code",
            fields=[
                FieldError(
                    "--enterprise",
                    f"pattern={ENTERPRISE_CODE}",
                    f"{enterprise!r} is not a customs code (10 letters or digits)",
                )
            ],
        )


def parse_document(data: Any, enterprise: str | None = None) -> list[CatalogueImport]:
    """A ``cbec-catalogues/1`` document, or a list of items of ``enterprise``."""
    check_enterprise(enterprise)
    if isinstance(data, list):
        if enterprise is None:
            raise BadRequest(
                "a list of items needs the enterprise it belongs to",
                fields=[FieldError("--enterprise", "required", "give --enterprise CODE")],
            )
        return [parse(CatalogueImport, {"enterpriseCode": enterprise, "items": data})]
    document = parse(CatalogueDocument, data)
    if enterprise is None:
        return document.catalogues
    chosen = [c for c in document.catalogues if c.enterprise_code == enterprise]
    if not chosen:
        raise BadRequest(
            f"no catalogue of {enterprise} in the document",
            fields=[
                FieldError(
                    "--enterprise",
                    "present",
                    f"the document holds no catalogue of {enterprise} (nothing to import)",
                )
            ],
        )
    return chosen


def read_csv(text: str, enterprise: str) -> list[CatalogueImport]:
    """A CSV file (header ``itemNo,goodsName,hsCode,brand,spec[,filedOn]``) of one
    enterprise's items; problems are named by line and column."""
    check_enterprise(enterprise)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*CSV_COLUMNS, "filedOn")]
    if missing or unknown:
        raise BadRequest(
            "the CSV header is not itemNo,goodsName,hsCode,brand,spec[,filedOn]",
            fields=[FieldError(f"line 1/{c}", "required", "missing column") for c in missing]
            + [
                FieldError(f"line 1/{c}", "unknown", "not a column of a catalogue") for c in unknown
            ],
        )
    items: list[CatalogueImportItem] = []
    problems: list[FieldError] = []
    for number, row in enumerate(reader, start=2):
        extra = row.get(None)
        if extra:  # cells past the header's: an unquoted comma, most likely
            problems.append(
                FieldError(
                    f"line {number}",
                    "columns",
                    f"{len(header) + len(extra)} cells, the header has {len(header)} "
                    '(quote a value holding a comma: "50g/瓶, 2瓶装")',
                )
            )
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not values.get("filedOn"):
            values.pop("filedOn", None)
        try:
            items.append(parse(CatalogueImportItem, values))
        except BadRequest as exc:
            problems += [
                FieldError(f"line {number}/{f.path}", f.rule, f.message) for f in exc.fields
            ]
    if problems:
        raise BadRequest("invalid catalogue file", fields=problems)
    return [parse(CatalogueImport, {"enterpriseCode": enterprise, "items": items})]


def read_file(path: Path, enterprise: str | None = None) -> list[CatalogueImport]:
    """The catalogues in a CSV or JSON file (by its suffix; JSON otherwise)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadRequest(
            f"cannot read {path}", fields=[FieldError(str(path), "readable", str(exc.strerror))]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(
            f"{path} is not UTF-8", fields=[FieldError(str(path), "encoding=utf-8", "re-save it")]
        ) from None
    if path.suffix.lower() == ".csv":
        if enterprise is None:
            raise BadRequest(
                "a CSV file holds one enterprise's items",
                fields=[FieldError("--enterprise", "required", "give --enterprise CODE")],
            )
        return read_csv(text, enterprise)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadRequest(
            f"{path} is not JSON", fields=[FieldError(str(path), "json", str(exc))]
        ) from None
    return parse_document(data, enterprise)


def import_catalogues(
    session: Session, catalogues: Sequence[CatalogueImport], *, by: Actor, on: date | None = None
) -> Imported:
    """File and amend the items of each catalogue (items not in the file are left alone),
    all or none. An item's ``filedOn`` (default ``on``, today) must not be after ``on``."""
    on = on or today()
    problems: list[FieldError] = []
    for c_index, catalogue in enumerate(catalogues):
        path = f"catalogues/{c_index}"
        try:
            _filer(session, catalogue.enterprise_code)
        except (NotFound, Forbidden) as exc:
            problems.append(FieldError(f"{path}/enterpriseCode", "filer", exc.detail))
        problems += _duplicates((i.item_no for i in catalogue.items), f"{path}/items")
        problems += [
            FieldError(f"{path}/items/{i}/filedOn", "not-future", f"{item.filed_on} is after {on}")
            for i, item in enumerate(catalogue.items)
            if item.filed_on is not None and item.filed_on > on
        ]
    if problems:
        raise BadRequest("invalid catalogue import", fields=problems)
    result = Imported()
    for catalogue in catalogues:
        code = catalogue.enterprise_code
        existing = _rows(session, code)
        filed = amended = unchanged = 0
        for item in catalogue.items:
            filed_on = item.filed_on or on
            row = existing.get(item.item_no)
            if row is None:
                row = _new(code, item, filed_on, by)
                session.add(row)
                existing[item.item_no] = row
                filed += 1
            elif row.withdrawn_on is not None:
                _refile(row, item, filed_on, by)
                filed += 1
            elif {n: getattr(row, n) for n in _GOODS} != _goods(item):
                for name, value in _goods(item).items():
                    setattr(row, name, value)
                row.version += 1
                row.updated_at, row.updated_by = utcnow(), by.name
                amended += 1
            else:
                unchanged += 1
        session.flush()
        result.filed[code], result.amended[code], result.unchanged[code] = (
            filed,
            amended,
            unchanged,
        )
        _record(
            session,
            by,
            "catalogue.import",
            code,
            f"{filed} filed, {amended} amended, {unchanged} unchanged",
        )
    return result
