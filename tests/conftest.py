"""Shared fixtures. Every store-touching test runs on SQLite and, when
CBEC_TEST_POSTGRES_URL is set (``make test`` sets it when PostgreSQL answers), on the real
PostgreSQL too; each xdist worker gets its own database, built by the migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cbec.config import get_settings
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import Base

PG_URL = os.environ.get("CBEC_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
FIXTURES = Path(__file__).parent / "fixtures"


def _database_name(worker_id: str) -> str:
    """One database per xdist worker and per test run, so that two runs at once (two
    checkouts, a helper and a developer) never drop each other's database."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or f"p{os.getpid()}"
    return f"cbec_test_{run}_{worker_id}"


def _postgres_engine(worker_id: str) -> Engine:
    assert PG_URL is not None
    name = _database_name(worker_id)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name)
    return make_engine(url.render_as_string(hide_password=False))


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Engine]:
    """A migrated database of each back end, for the whole session."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("store") / "cbec.db"
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = _postgres_engine(worker_id)
    upgrade(eng)
    yield eng
    eng.dispose()
    if request.param == "postgresql":
        _drop_database(_database_name(worker_id))


def _drop_database(name: str) -> None:
    assert PG_URL is not None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # audit_log refuses DELETE by trigger (TRUNCATE, above, fires no row trigger).
            # Tests only: drop that trigger, empty the tables, and recreate the very same
            # trigger from its stored SQL. The other tables go first: their DELETE opens
            # the transaction (pysqlite runs DDL outside one otherwise), so that on any
            # failure the drop is rolled back too.
            triggers = connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND name = 'audit_log_no_delete'"
                )
            ).all()
            for table in sorted(tables, key=lambda t: t == "audit_log"):
                if table == "audit_log":
                    for name, _sql in triggers:
                        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
                connection.execute(text(f"DELETE FROM {table}"))
            for _name, sql in triggers:
                connection.exec_driver_sql(sql)


@pytest.fixture
def db(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on an empty store; the store is emptied again afterwards."""
    _empty(engine)
    yield make_session_factory(engine)
    _empty(engine)


@pytest.fixture
def session(db: sessionmaker[Session]) -> Iterator[Session]:
    """One session on an empty store, rolled back at the end."""
    with db() as s:
        yield s
        s.rollback()


# --- filed enterprises and sample messages, shared by intake and later suites -----------

#: The enterprises named in tests/fixtures/xml (customs code -> roles).
SAMPLE_ENTERPRISES: dict[str, tuple[str, list[str]]] = {
    "4401960001": ("南沙优选跨境平台", ["platform"]),
    "4401960002": ("广州环球优品贸易有限公司", ["ecommerce"]),
    "4401960003": ("广州快付支付有限公司", ["payment"]),
    "4401960004": ("南沙速达物流有限公司", ["logistics"]),
    "4401960005": ("广州通关报关代理有限公司", ["agent"]),
}


def sample_uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100 check digit) numbered ``n``."""
    from stdnum.cn import uscc

    base = f"91440101MA5C{n:05d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture
def filed(db: sessionmaker[Session]) -> dict[str, str]:
    """Files the sample enterprises (active) and returns customs code -> API token."""
    from datetime import date

    from cbec.registry.credentials import issue_key
    from cbec.store.models import Enterprise, EnterpriseRole

    tokens: dict[str, str] = {}
    with db() as s:
        for n, (code, (name, roles)) in enumerate(SAMPLE_ENTERPRISES.items()):
            enterprise = Enterprise(
                customs_code=code,
                uscc=sample_uscc(n),
                name=name,
                status="active",
                filing_date=date(2024, 3, 1),
                roles=[EnterpriseRole(role=r) for r in roles],
            )
            s.add(enterprise)
            s.flush()
            tokens[code] = issue_key(s, enterprise).token
        s.commit()
    return tokens


def sample_xml(name: str) -> bytes:
    return (FIXTURES / "xml" / name).read_bytes()


@pytest.fixture
def store_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``cbec`` commands run in this test use the test's store (and print tables 200
    columns wide, one row a line). A module needing more settings defines its own."""
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@contextmanager
def before_revision(engine: Engine, revision: str) -> Iterator[None]:
    """The store of ``engine`` migrated down to just before ``revision`` for the block (to
    write what a store of that time held), then up to the latest again, whatever happens
    in the block (later tests need it)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from cbec.store.migrate import alembic_config

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    down = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(down, str), down
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, down)
        yield
    finally:
        upgrade(engine)
