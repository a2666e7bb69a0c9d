"""Done when: after a generated day is ingested and cleared, no table holds an ID number,
phone number, address or name of the day's people in clear (read as raw rows with SQL,
not through the models), and the annual quota and the consumer's quota query still find
the buyer through the blind index."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from cbec.clearance import repository as clearance_repository
from cbec.consumer import service as consumer_service
from cbec.consumer.schemas import QuotaQuery
from cbec.errors import BadRequest
from cbec.messages.fields import now_cst
from cbec.pii import service as pii
from cbec.privacy import blind_id, is_sealed
from cbec.store.models import (
    AuditEntry,
    Base,
    Declaration,
    Document,
    InboundMessage,
    QuotaUsage,
)
from tests.privacy.conftest import GeneratedDay, People, ingest_day

_IDS = re.compile(r"\d{17}[\dXx]")
_PHONES = re.compile(r"1[3-9]\d{9}")


def _raw_values(session: Session) -> dict[str, list[str]]:
    """Every text and binary value of every table, as the database holds it."""
    found: dict[str, list[str]] = defaultdict(list)
    for table in Base.metadata.sorted_tables:
        for row in session.execute(text(f"SELECT * FROM {table.name}")):
            for column, value in row._mapping.items():
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                if isinstance(value, str) and value:
                    found[f"{table.name}.{column}"].append(value)
    return found


def _leaks(values: dict[str, list[str]], people: People) -> dict[str, set[str]]:
    # names only where they cannot be part of a company's or a product's name by chance
    names = {n for n in people.names if len(n) >= 3}
    wordy = re.compile("|".join(re.escape(w) for w in sorted(people.addresses | names)))
    leaks: dict[str, set[str]] = defaultdict(set)
    for where, items in values.items():
        for value in items:
            leaks[where].update(m for m in _IDS.findall(value) if m.upper() in people.ids)
            leaks[where].update(m for m in _PHONES.findall(value) if m in people.phones)
            leaks[where].update(wordy.findall(value))
    return {k: v for k, v in leaks.items() if v}


def test_no_personal_data_in_clear_and_lookups_still_work(
    db: sessionmaker[Session], generated_day: GeneratedDay
) -> None:
    ingest_day(db, generated_day)
    people = generated_day.people
    with db() as s:
        values = _raw_values(s)
        # the check itself can fail: the day's people are in what was sent
        assert s.scalar(select(InboundMessage.body).limit(1)) is not None
        assert any(people.ids & set(_IDS.findall(b)) for b in _bodies(s))
        assert _leaks(values, people) == {}
        # what holds personal data is sealed, every value of it
        for where in ("inbound_messages.body", "declarations.buyer_id_sealed"):
            assert values[where], where
            assert all(is_sealed(v) for v in values[where]), where
        assert all(v.startswith("\ufffd\ufffd") for v in values.get("dead_letters.raw", []))

        # the annual quota: one row per buyer and year, by blind index, equal to the lists
        declarations = s.scalars(select(Declaration)).all()
        counted: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for d in declarations:
            assert d.buyer_key == blind_id(d.buyer_id_number)
            if d.quota_counted and d.taxable_value is not None:
                counted[(d.buyer_key, d.quota_year)] += d.taxable_value
        quota = {(q.buyer_key, q.year): q.used for q in s.scalars(select(QuotaUsage)) if q.lists}
        assert counted
        assert quota == counted

        # the consumer's quota query finds the buyer by name + ID + phone
        released = next(d for d in declarations if d.quota_counted)
        order = next(
            o for o in generated_day.day.orders if o.buyer.id_number == released.buyer_id_number
        )
        answer = consumer_service.quota(
            s,
            QuotaQuery(
                name=order.buyer.name,
                id_number=order.buyer.id_number,
                phone=order.buyer.phone,
                year=released.quota_year,
            ),
        )
        assert answer.used == quota[(released.buyer_key, released.quota_year)].quantize(
            Decimal("0.01")
        )
        assert answer.lists
        assert answer.buyer != order.buyer.id_number
    _purge_erases_what_retention_no_longer_allows(db, generated_day)


def _bodies(session: Session) -> list[str]:
    return [str(b) for b in session.scalars(select(InboundMessage.body).limit(50))]


def _purge_erases_what_retention_no_longer_allows(
    db: sessionmaker[Session], generated_day: GeneratedDay
) -> None:
    """The day was decided today: a purge before tomorrow (forced past the retention
    check) erases it all but what open lists still need; the quota year is not over, so
    the blind indexes and the quota stay; a purge in the next year removes them too."""
    people = generated_day.people
    with db() as s:
        open_orders = set(
            s.scalars(select(Declaration.order_no).where(Declaration.status.not_in(pii.FINISHED)))
        )
        finished = s.scalar(select(func.count()).where(Declaration.status.in_(pii.FINISHED)))
        quota_before = {(q.buyer_key, q.year): q.used for q in s.scalars(select(QuotaUsage))}
        s.add(QuotaUsage(buyer_key=blind_id("110105194912310029"), year=2027, used=Decimal(9)))
        s.commit()
    assert open_orders  # the day leaves some lists in review or under inspection
    tomorrow = now_cst().date() + timedelta(days=1)
    with pytest.raises(BadRequest) as refused:
        pii.check_before(tomorrow, 1095, force=True)
    assert refused.value.fields[0].rule == "pii.date"
    with pytest.raises(BadRequest) as refused:
        pii.check_before(now_cst().date(), 1095, force=False)
    assert refused.value.fields[0].rule == "pii.retention"
    pii.check_before(now_cst().date() - timedelta(days=1095), 1095, force=False)

    report = pii.purge(db, tomorrow, reason="test")
    assert report.lists == finished
    assert report.messages > 0
    assert report.kept_open > 0
    assert report.list_keys == 0
    assert report.quota_rows == 0
    with db() as s:
        for d in s.scalars(select(Declaration)):
            if d.status in pii.FINISHED:
                assert (d.buyer_id_number, d.pii_purged_at is not None) == ("", True)
                assert d.buyer_key  # the quota year is not over
                assert d.buyer_proof_key == ""  # no longer proves who the buyer is
            else:
                assert d.buyer_id_number  # open: kept
                assert d.buyer_proof_key
        kept: set[str] = set()
        for m in s.scalars(select(InboundMessage)):
            if m.pii_purged_at is None:
                kept.add(m.business_key)
            else:
                assert not people.ids & set(_IDS.findall(m.body))
                assert '"buyerName":"erased-' in m.body or m.message_type != "CEB621"
        documents = s.scalars(select(Document).where(Document.business_key.in_(kept))).all()
        assert {d.order_no for d in documents} <= open_orders
        quota = {(q.buyer_key, q.year): q.used for q in s.scalars(select(QuotaUsage))}
        assert {k: v for k, v in quota.items() if k[1] == 2026} == quota_before
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "pii.purge")).one()
        assert json.loads(entry.details)["listsErased"] == finished
        assert audit.verify(s).ok
    next_year = date(tomorrow.year + 1, 1, 2)
    report = pii.purge(db, next_year)
    assert report.lists == 0  # already erased
    assert report.quota_rows == len(quota_before)
    with db() as s:
        assert {(q.buyer_key, q.year) for q in s.scalars(select(QuotaUsage))} == {
            (blind_id("110105194912310029"), 2027)
        }
        assert (
            s.scalar(
                select(func.count()).where(
                    Declaration.status.in_(pii.FINISHED), Declaration.buyer_key != ""
                )
            )
            == 0
        )
        # the next year's quota still counts
        rows = clearance_repository.quota_rows(s, [(blind_id("110105194912310029"), 2027)])
        assert rows[(blind_id("110105194912310029"), 2027)].used == Decimal(9)
