"""The store: engine, sessions, the one metadata, and Alembic migrations."""

from cbec.store.engine import make_engine, make_session_factory, open_store, session_scope
from cbec.store.migrate import upgrade

__all__ = ["make_engine", "make_session_factory", "open_store", "session_scope", "upgrade"]
