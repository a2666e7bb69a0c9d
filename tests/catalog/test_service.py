"""The catalogue in the store: editions by date, all-or-nothing loads, cached snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.catalog import service
from cbec.catalog.csvfile import CatalogFileInvalid
from cbec.catalog.snapshot import MissingParameter
from cbec.errors import BadRequest, Conflict
from cbec.store.models import CatalogEdition, HsCode, PolicyParameter, PositiveListLine
from tests.catalog.factories import policy, positive_list

D = Decimal


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    """The SQL statements ``session`` sends while the block runs."""
    statements: list[str] = []
    engine = session.get_bind().engine

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_and_policy_by_date(session: Session) -> None:
    service.seed(session)
    before = service.snapshot(session, date(2018, 6, 1))
    after = service.snapshot(session, date(2019, 6, 1))
    assert before.param("per_order_limit") == D(2000)
    assert before.param("annual_limit") == D(20000)
    assert before.param("single_item_exception") == D(0)
    assert after.param("per_order_limit") == D(5000)
    assert after.param("annual_limit") == D(26000)
    assert after.param("single_item_exception") == D(1)
    for snap in (before, after):
        assert snap.param("tax_factor") == D("0.7")
    # The last day of the old rule and the first of the new one.
    assert service.snapshot(session, date(2018, 12, 31)).param("per_order_limit") == D(2000)
    assert service.snapshot(session, date(2019, 1, 1)).param("per_order_limit") == D(5000)
    with pytest.raises(MissingParameter, match="2016-04-07"):
        service.snapshot(session, date(2016, 4, 7)).param("per_order_limit")


def test_seeded_goods_and_positive_lines(session: Session) -> None:
    service.seed(session)
    snap = service.snapshot(session, date(2026, 11, 11))
    cream = snap.goods("3304990099")
    assert cream is not None
    assert (cream.vat_rate, cream.consumption_rate, cream.legal_unit) == (
        D("0.13"),
        D("0.15"),
        "035",
    )
    assert cream.consumption_rate_at(D("9.99")) == 0
    whisky = snap.goods("2208300000")
    assert whisky is not None
    assert (whisky.consumption_specific, whisky.consumption_specific_unit) == (D("1"), "035")
    honey = snap.goods("0409000000")
    assert honey is not None
    assert honey.vat_rate == D("0.09")
    line = snap.positive_line("3304990099")
    assert line is not None
    assert line.tariff_code8 == "33049900"
    rice = snap.positive_line("1006301001")
    assert rice is not None
    assert rice.annual_weight_cap_kg == D(20)
    crab = snap.positive_line("0306339910")
    assert crab is not None
    assert crab.direct_only
    assert crab.allows_trade_mode("9610")
    assert not crab.allows_trade_mode("1210")
    assert snap.goods("9999999999") is None
    assert snap.positive_line("9999999999") is None
    # Before the 2022 editions there is no positive list nor HS code: nothing is made up.
    old = service.snapshot(session, date(2021, 12, 31))
    assert old.positive_line("3304990099") is None
    assert "positive-list" not in old.editions


def test_every_simulated_good_is_in_the_seeded_catalogue(session: Session) -> None:
    from cbec.sim.goods import CATALOGUE

    service.seed(session)
    snap = service.snapshot(session, date(2026, 11, 11))
    for goods in CATALOGUE:
        rates = snap.goods(goods.hs)
        assert rates is not None, goods.hs
        assert snap.positive_line(goods.hs) is not None, goods.hs
        assert (rates.vat_rate, rates.consumption_rate) == (goods.vat, goods.ct), goods.sku
        assert rates.legal_unit == goods.unit1, goods.sku


def test_seed_is_idempotent(session: Session) -> None:
    first = service.seed(session)
    assert [s.outcome for s in first] == ["loaded"] * 3
    again = service.seed(session)
    assert [s.outcome for s in again] == ["unchanged"] * 3
    assert count(session, CatalogEdition) == 3
    assert count(session, PositiveListLine) == first[1].rows
    assert count(session, HsCode) == first[2].rows
    assert count(session, PolicyParameter) == first[0].rows


def test_a_new_edition_judges_later_dates_only(session: Session) -> None:
    service.seed(session)
    service.load(
        session,
        "positive-list",
        positive_list("04090000,天然蜂蜜,2019 remark,,,", "12345678,dropped in 2022,,,,"),
        edition="2019 positive list (test)",
        effective_from=date(2020, 1, 1),
    )
    in_2021 = service.snapshot(session, date(2021, 6, 1))
    assert in_2021.editions["positive-list"].name == "2019 positive list (test)"
    honey = in_2021.positive_line("0409000000")
    assert honey is not None
    assert honey.remark == "2019 remark"
    assert in_2021.positive_line("1234567890") is not None
    in_2023 = service.snapshot(session, date(2023, 6, 1))
    assert in_2023.editions["positive-list"].name == "2022 positive list (cbec subset)"
    assert in_2023.positive_line("1234567890") is None
    assert in_2023.positive_line("0409000000") is not None


def test_an_edition_can_end(session: Session) -> None:
    service.load(
        session,
        "positive-list",
        positive_list("04090000,honey,,,,"),
        edition="short-lived",
        effective_from=date(2020, 1, 1),
        effective_to=date(2020, 12, 31),
    )
    assert service.snapshot(session, date(2020, 12, 31)).positive_line("0409000000")
    assert service.snapshot(session, date(2021, 1, 1)).positive_line("0409000000") is None


def test_hs_rows_with_their_own_dates(session: Session) -> None:
    data = (
        b"code10,name,legal_unit,vat_rate,tariff_rate,effective_from,effective_to\n"
        b"0409000000,honey,035,0.13,0.15,,2023-12-31\n"
        b"0409000000,honey,035,0.09,0.15,2024-01-01,\n"
    )
    service.load(session, "hs-codes", data, edition="t", effective_from=date(2022, 1, 1))
    first = service.snapshot(session, date(2023, 12, 31)).goods("0409000000")
    second = service.snapshot(session, date(2024, 1, 1)).goods("0409000000")
    assert first is not None
    assert first.vat_rate == D("0.13")
    assert second is not None
    assert second.vat_rate == D("0.09")


def test_bad_rows_load_nothing(db: sessionmaker[Session]) -> None:
    data = positive_list("04090000,honey,,,,", "0409000,bad,,,,", "04090001,x,,,,maybe")
    with db() as session:
        with pytest.raises(CatalogFileInvalid) as caught:
            service.load(
                session, "positive-list", data, edition="bad", effective_from=date(2022, 3, 1)
            )
        assert [str(f) for f in caught.value.fields] == [
            "line 3, column tariff_code8: must be 8 digits, got '0409000' [code8]",
            "line 4, column annual_weight_cap_kg: not a decimal number: 'maybe' [decimal]",
        ]
        session.commit()
    with db() as session:
        assert count(session, CatalogEdition) == 0
        assert count(session, PositiveListLine) == 0


def test_same_name_other_content_is_a_conflict_unless_replaced(session: Session) -> None:
    start = date(2022, 3, 1)
    service.load(
        session,
        "positive-list",
        positive_list("04090000,honey,,,,"),
        edition="e",
        effective_from=start,
    )
    other = positive_list("04090000,honey,,,,", "08021200,almonds,,,,")
    with pytest.raises(Conflict):
        service.load(session, "positive-list", other, edition="e", effective_from=start)
    summary = service.load(
        session, "positive-list", other, edition="e", effective_from=start, replace=True
    )
    assert (summary.outcome, summary.rows) == ("replaced", 2)
    assert count(session, PositiveListLine) == 2
    assert service.snapshot(session, date(2023, 1, 1)).positive_line("0802120000") is not None


def test_a_positive_list_needs_a_start_date(session: Session) -> None:
    with pytest.raises(BadRequest, match="--effective-from"):
        service.load(session, "positive-list", positive_list("04090000,honey,,,,"), edition="e")
    with pytest.raises(BadRequest, match="unknown catalogue kind"):
        service.load(session, "tariffs", b"", edition="e")
    summary = service.load(session, "policy", policy("tax_factor,0.7,2016-04-08,,"), edition="p")
    assert summary.effective_from == date(2016, 4, 8)


def test_snapshot_is_cached_until_a_load(session: Session) -> None:
    service.seed(session)
    on = date(2025, 5, 1)
    first = service.snapshot(session, on)
    with count_queries(session) as statements:
        again = service.snapshot(session, on)
        for _ in range(1000):
            again.goods("3304990099")
            again.positive_line("3304990099")
            again.param("per_order_limit")
    assert again is first
    assert statements == []  # checked once in this transaction already
    service.load(
        session,
        "policy",
        policy("per_order_limit,6000,2025-01-01,,"),
        edition="raised limit",
    )
    fresh = service.snapshot(session, on)
    assert fresh is not first
    # The new policy edition replaces the whole policy in force from its own start.
    assert fresh.param("per_order_limit") == D(6000)
    with pytest.raises(MissingParameter):
        fresh.param("annual_limit")


def test_a_cached_snapshot_notices_a_load_by_another_process(
    db: sessionmaker[Session],
) -> None:
    on = date(2025, 5, 1)
    with db() as session:
        service.seed(session)
        session.commit()
        assert service.snapshot(session, on).positive_line("1234567890") is None
    with db() as other:
        # Another process: its load does not clear our cache, the editions table tells.
        other.add(
            CatalogEdition(
                kind="positive-list",
                name="loaded elsewhere",
                effective_from=date(2025, 1, 1),
                content_hash="0" * 64,
                row_count=1,
            )
        )
        other.flush()
        edition_id = other.scalars(
            select(CatalogEdition.id).where(CatalogEdition.name == "loaded elsewhere")
        ).one()
        other.add(PositiveListLine(edition_id=edition_id, tariff_code8="12345678", name="x"))
        other.commit()
    with db() as session:
        assert service.snapshot(session, on).positive_line("1234567890") is not None


def test_each_transaction_checks_once_unless_a_max_age_is_given(
    db: sessionmaker[Session],
) -> None:
    on = date(2025, 5, 1)
    with db() as session:
        service.seed(session)
        session.commit()
        first = service.snapshot(session, on)
    with db() as session:
        with count_queries(session) as statements:
            assert service.snapshot(session, on) is first
            assert service.snapshot(session, on) is first
        assert len(statements) == 1  # the editions read that tells the cache is fresh
    with db() as session:
        with count_queries(session) as statements:
            assert service.snapshot(session, on, max_age=60) is first
        assert statements == []


def test_snapshot_builds_with_a_few_queries(session: Session) -> None:
    service.seed(session)
    service.invalidate()
    with count_queries(session) as statements:
        snap = service.snapshot(session, date(2025, 5, 1))
    assert len(snap.goods_by_code) > 30
    assert len(statements) <= 4


def test_describe(session: Session) -> None:
    service.seed(session)
    report = service.describe(session, "22083000", date(2025, 1, 1))
    assert [g.code10 for g in report.goods] == ["2208300000"]
    assert report.positive is not None
    with pytest.raises(BadRequest, match="8 or 10 digits"):
        service.describe(session, "2208", date(2025, 1, 1))


def test_decimals_come_back_exact_on_every_back_end(session: Session) -> None:
    service.load(
        session,
        "policy",
        policy("tax_tolerance,0.12345,2020-01-01,,", "annual_limit,26000.5,2020-01-01,,"),
        edition="exact",
    )
    session.commit()
    session.expire_all()
    values = dict(session.execute(select(PolicyParameter.name, PolicyParameter.value)).all())
    assert values == {"tax_tolerance": D("0.12345"), "annual_limit": D("26000.50000")}
    assert all(isinstance(v, Decimal) for v in values.values())
