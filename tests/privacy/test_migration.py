"""Done when: migration 0018 converts a store written in clear (at 0017) on SQLite and
PostgreSQL: bodies, dead letters, ID numbers and contacts sealed, blind indexes filled, the
quota re-keyed (an ID written with ``x`` and with ``X`` is one buyer), identity flags,
buyer instructions, graph people and case evidence by blind index with masked labels;
the models read it all; and the downgrade gives the clear values back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    create_engine,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cbec.privacy import blind_id, is_sealed, mask_id, unseal, unseal_bytes
from cbec.store import make_engine, upgrade
from cbec.store.models import (
    ConsumerDispute,
    DeadLetter,
    Declaration,
    IdentityNotice,
    InboundMessage,
    NoticeSubscription,
    QuotaUsage,
)
from tests.conftest import BACKENDS, PG_URL, _database_name

ID = "11010519491231002X"
BODY = json.dumps({"CEB621Message": {"buyerIdNumber": ID, "buyerName": "张三丰"}})
NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def at_0017(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Engine]:
    """A store of its own, migrated to 0017 (the revision before personal data was sealed)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('m18') / 'cbec.db'}")
    else:
        assert PG_URL is not None
        name = _database_name(worker_id) + "_m18"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    upgrade(engine, "0017")
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _filler(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        return NOW
    if isinstance(kind, Date):
        return date(2026, 11, 11)
    if isinstance(kind, Integer | Numeric):
        return 0
    return ""


def _insert(engine: Engine, table: str, **values: Any) -> None:
    """A row with ``values``, every other required column given a plain value (datetimes
    in the form SQLAlchemy stores them on SQLite)."""
    meta = MetaData()
    meta.reflect(engine, only=[table])
    row = dict(values)
    for column in meta.tables[table].columns:
        if column.name in row or column.nullable:
            continue
        if column.primary_key and isinstance(column.type, Integer):
            continue
        row[column.name] = _filler(column)
    if engine.dialect.name == "sqlite":
        row = {
            k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(v, datetime)
            else str(v)
            if isinstance(v, Decimal)
            else v
            for k, v in row.items()
        }
    names = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), row)


def _one(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).one()


def test_0018_converts_a_store_written_in_clear(at_0017: Engine) -> None:
    engine = at_0017
    _insert(
        engine,
        "inbound_messages",
        id=1,
        guid="G",
        message_type="CEB621",
        sender_code="4401960005",
        business_key="K1",
        app_type="1",
        content_hash="h",
        body=BODY,
        received_at=NOW,
        source="api",
    )
    _insert(
        engine,
        "dead_letters",
        id=1,
        raw=b"<raw " + ID.encode() + b">",
        stage="parse",
        error="bad",
        fields="[]",
        received_at=NOW,
    )
    _insert(
        engine,
        "documents",
        id=1,
        kind="inventory",
        business_key="K1",
        order_no="O1",
        sender_code="4401960005",
        status=800,
        version=1,
        deleted=False,
        message_id=1,
        created_at=NOW,
        updated_at=NOW,
    )
    for n, number in ((1, ID), (2, ID.lower())):
        _insert(
            engine,
            "declarations",
            id=n,
            business_key=f"K{n}",
            document_id=1,
            order_no=f"O{n}",
            buyer_id_number=number,
            quota_year=2026,
            status=800,
            taxable_value=Decimal("100"),
            quota_counted=True,
            decided_at=NOW,
            received_at=NOW,
            decl_date=date(2026, 11, 11),
        )
        _insert(
            engine,
            "quota_usage",
            buyer_id_number=number,
            year=2026,
            used=Decimal("100"),
            lists=1,
            updated_at=NOW,
        )
    _insert(
        engine,
        "consumer_disputes",
        id=1,
        id_number=ID,
        status="open",
        statement="",
        created_at=NOW,
        decision_reason="",
        flag_ids="[]",
    )
    _insert(
        engine,
        "consumer_notice_subscriptions",
        id_number=ID,
        channel="sms",
        contact="13812345678",
        active=True,
        created_at=NOW,
        updated_at=NOW,
    )
    _insert(
        engine,
        "consumer_notices",
        id=7,
        id_number=ID,
        business_key="K1",
        order_no="O1",
        ebp_code="E",
        ebp_name="P",
        decl_date=date(2026, 11, 11),
        channel="sms",
        contact="13812345678",
        status="pending",
        created_at=NOW,
    )
    _insert(
        engine,
        "risk_flags",
        id=1,
        subject_kind="identity",
        subject_key=ID,
        source="platform",
        kind="identity_unverified",
        score=1.0,
        reason="",
        created_at=NOW,
        created_by="t",
    )
    _insert(
        engine,
        "risk_flags",
        id=2,
        subject_kind="enterprise",
        subject_key="4401960001",
        source="payment",
        kind="chargebacks",
        score=1.0,
        reason="",
        created_at=NOW,
        created_by="t",
    )
    _insert(
        engine,
        "risk_control_instructions",
        id=1,
        target_kind="buyer",
        target_value=ID,
        action="hold",
        reason="r",
        status="active",
        issued_at=NOW,
        issued_by="t",
    )
    _insert(
        engine,
        "network_nodes",
        key="p:x",
        kind="person",
        label=mask_id(ID),
        subject=ID,
        province="11",
        area="110105",
        first_seen=NOW,
        last_seen=NOW,
        lists=1,
        cents=1,
    )
    _insert(
        engine,
        "risk_cases",
        id=1,
        status="open",
        source="rule",
        subject_key="buyer:p",
        title="t",
        opened_at=NOW,
        opened_by="t",
        closing_note="",
    )
    _insert(
        engine,
        "risk_case_evidence",
        id=1,
        case_id=1,
        kind="identity",
        ref=f"buyer:{ID}",
        details='{"role": "buyer"}',
        added_at=NOW,
    )
    _insert(
        engine,
        "risk_case_evidence",
        id=2,
        case_id=1,
        kind="identity",
        ref="phone:13812345678",
        details='{"role": "phone"}',
        added_at=NOW,
    )

    upgrade(engine)

    body = _one(engine, "SELECT body FROM inbound_messages").body
    assert is_sealed(body)
    assert unseal(body) == BODY
    raw = bytes(_one(engine, "SELECT raw FROM dead_letters").raw)
    assert ID.encode() not in raw
    assert unseal_bytes(raw) == b"<raw " + ID.encode() + b">"
    row = _one(
        engine, "SELECT buyer_id_sealed, buyer_key, buyer_province FROM declarations WHERE id = 1"
    )
    assert (unseal(row.buyer_id_sealed), row.buyer_key, row.buyer_province) == (
        ID,
        blind_id(ID),
        "11",
    )
    quota = _one(engine, "SELECT buyer_key, year, used, lists FROM quota_usage")
    assert (quota.buyer_key, quota.year, Decimal(str(quota.used)), quota.lists) == (
        blind_id(ID),
        2026,
        Decimal("200"),
        2,
    )
    flag = _one(engine, "SELECT subject_key, subject_label FROM risk_flags WHERE id = 1")
    assert tuple(flag) == (blind_id(ID), mask_id(ID))
    assert (
        _one(engine, "SELECT subject_key FROM risk_flags WHERE id = 2").subject_key == "4401960001"
    )
    instruction = _one(engine, "SELECT target_value, target_label FROM risk_control_instructions")
    assert tuple(instruction) == (blind_id(ID), mask_id(ID))
    assert _one(engine, "SELECT subject FROM network_nodes").subject == blind_id(ID)
    with engine.connect() as connection:
        evidence = dict(connection.execute(text("SELECT id, ref FROM risk_case_evidence")).all())
        dumped = " ".join(
            str(v)
            for table in (
                "consumer_disputes",
                "consumer_notice_subscriptions",
                "consumer_notices",
                "risk_case_evidence",
            )
            for r in connection.execute(text(f"SELECT * FROM {table}"))
            for v in r
        )
    assert evidence[1] == f"buyer:{blind_id(ID)}"
    assert ID not in dumped
    assert "13812345678" not in dumped

    with Session(engine) as s:  # the models read the converted rows
        assert s.get(NoticeSubscription, blind_id(ID)).contact == "13812345678"  # type: ignore[union-attr]
        notice = s.get(IdentityNotice, 7)
        assert notice is not None
        assert (notice.id_number, notice.id_key) == (ID, blind_id(ID))
        assert s.get(ConsumerDispute, 1).id_number == ID  # type: ignore[union-attr]
        assert s.get(Declaration, 2).buyer_id_number == ID.lower()  # type: ignore[union-attr]
        assert s.get(InboundMessage, 1).body == BODY  # type: ignore[union-attr]
        assert s.get(DeadLetter, 1).raw.endswith(b">")  # type: ignore[union-attr]
        assert s.get(QuotaUsage, (blind_id(ID), 2026)) is not None

    downgrade(engine, "0017")
    assert _one(engine, "SELECT body FROM inbound_messages").body == BODY
    assert (
        _one(engine, "SELECT buyer_id_number FROM declarations WHERE id = 1").buyer_id_number == ID
    )
    assert (
        _one(engine, "SELECT id_number, contact FROM consumer_notice_subscriptions").contact
        == "13812345678"
    )
    with engine.connect() as connection:
        quota_rows = connection.execute(text("SELECT buyer_id_number, used FROM quota_usage")).all()
    assert {(b, Decimal(str(u))) for b, u in quota_rows} == {
        (ID, Decimal(100)),
        (ID.lower(), Decimal(100)),
    }


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    from cbec.store.migrate import alembic_config

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
