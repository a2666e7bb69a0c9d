"""The callers of the hardening tests: one client on the test store, with an enterprise's
and an all-roles officer's headers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.config import Settings
from cbec.officers.roles import Role
from tests.officers.factories import login, staff, use_cheap_hasher

#: The filed platform whose key signs the enterprise's requests.
PLATFORM = "4401960001"


@pytest.fixture
def callers(
    engine: Engine,
    db: sessionmaker[Session],
    filed: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """A client on the test store, with an enterprise's and an all-roles officer's headers."""
    use_cheap_hasher(monkeypatch)
    staff(db, chief=[r.value for r in Role])
    app = create_app(Settings(database_url=str(engine.url)), engine=engine, migrate=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        officer = login(client, "chief")
        yield client, {"Authorization": f"Bearer {filed[PLATFORM]}"}, officer
