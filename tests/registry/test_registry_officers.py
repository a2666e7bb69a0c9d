"""Administrator officers may file enterprises; other officers may not."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.officers.factories import app_client, login, staff, use_cheap_hasher
from tests.registry.factories import filing


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)


def test_an_administrator_officer_files_without_the_token(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    staff(db, boss=["administrator"], li_wei=["reviewer"])
    with app_client(engine) as client:  # no CBEC_ADMIN_TOKEN configured
        admin = login(client, "boss")
        response = client.post(
            "/api/v1/enterprises",
            json=filing("4401960001", 1).model_dump(mode="json", by_alias=True),
            headers=admin,
        )
        assert response.status_code == 201, response.text
        assert response.json()["apiKey"].startswith("cbec_")
        reviewer = login(client, "li.wei")
        refused = client.post(
            "/api/v1/enterprises",
            json=filing("4401960009", 2).model_dump(mode="json", by_alias=True),
            headers=reviewer,
        )
        assert refused.status_code == 403
        assert "administrator" in refused.json()["detail"]
        assert "li.wei" in refused.json()["detail"]
