"""A seeded catalogue, filed enterprises, and a client whose sampling rates a test sets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from tests.officers.factories import use_cheap_hasher


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


@pytest.fixture
def seeded(db: sessionmaker[Session]) -> None:
    """The shipped catalogue (positive list, HS codes, policy parameters)."""
    with db() as s:
        catalog_service.seed(s)
        s.commit()


@pytest.fixture
def make_client(
    engine: Engine, db: sessionmaker[Session], seeded: None
) -> Iterator[Callable[..., TestClient]]:
    """``make_client(review_rate=0, inspection_rate=1)``: the API with those rates."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        defaults: dict[str, Any] = {"review_rate": 0.0, "inspection_rate": 0.0}
        config = Settings(database_url=str(engine.url), **{**defaults, **settings})
        client = TestClient(create_app(config, engine=engine, migrate=False))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
