"""The schema the migrations build is the schema the models describe (on SQLite and
PostgreSQL): a model change without its migration, or a migration that drifted from its
model, fails here."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from cbec.store.models import Base


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, Base.metadata))


def test_the_migrations_build_what_the_models_describe(engine: Engine) -> None:
    assert _differences(engine) == []
