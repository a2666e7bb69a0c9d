"""Engine and session construction for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cbec.store.migrate import upgrade


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (API, dashboard) work while ingest writes; NORMAL keeps a
    # committed transaction durable across a process crash (not a power cut).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of page cache: index pages of a day's messages stay in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    # Checkpoint the WAL every 10,000 pages (40 MiB) instead of 1,000: a batch of 500
    # messages writes about 3 MiB, so the default copied (and synced) the pages of nearly
    # every commit back into the database, index pages again and again; 6% more lists/s in
    # `cbec bench clearance`, for a WAL file of up to about 40 MiB.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, make the parent folder and set the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


#: Under this advisory lock, held to the end of its transaction, a transaction that wrote
#: receipts gives them their places (``receipts.seq``) just before it commits: places are
#: then taken in commit order, so a sender paging by them never skips a receipt (ids are
#: taken at insert, and with several writers a lower id can commit after a higher one).
_PLACING = 7_203_311
_PLACE_LOCK = text(
    f"SELECT pg_advisory_xact_lock({_PLACING}) WHERE EXISTS (SELECT 1 FROM receipts "
    "WHERE seq IS NULL AND tx = txid_current_if_assigned())"
)
_PLACE = text(
    "UPDATE receipts SET seq = nextval('receipts_seq') "
    "WHERE seq IS NULL AND tx = txid_current_if_assigned()"
)


@event.listens_for(Session, "before_commit")
def _place_receipts(session: Session) -> None:
    """Give the receipts this transaction wrote their places in commit order (PostgreSQL;
    SQLite has one writer, and receipts are paged by id there)."""
    if not session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    connection = session.connection()
    if connection.execute(_PLACE_LOCK).first() is not None:
        connection.execute(_PLACE)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (we return them after committing)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work at an edge (CLI command, worker loop): commit on success, else roll back."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_stores: dict[str, sessionmaker[Session]] = {}


def open_store(url: str, *, migrate: bool = True) -> sessionmaker[Session]:
    """Engine + migrations + session factory, for CLI commands. One engine per URL for the
    life of the process (its pool is reused, and migrations run once)."""
    factory = _stores.get(url)
    if factory is None:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        factory = make_session_factory(engine)
        _stores[url] = factory
    return factory
