"""Plain factories for officer tests: a cheap password hasher, officers, logins, a client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.audit.service import Actor
from cbec.config import Settings
from cbec.officers import passwords, service
from cbec.store.models import Officer

PASSWORD = "correct horse battery"
#: The lock of the default settings: 5 failed logins in a row, then 15 minutes refused.
LIMIT = service.SignInLimit(attempts=5, lock=timedelta(seconds=900))
#: Who test setup is recorded against in the audit log.
SETUP = Actor.system("test")

#: argon2id at the lowest cost argon2 allows: these tests check logic, not hardness.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)


def use_cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", CHEAP)


def add_officer(
    session: Session,
    username: str = "li.wei",
    *roles: str,
    password: str = PASSWORD,
    name: str = "李伟",
) -> Officer:
    """An active officer with ``roles`` (reviewer if none), flushed, not committed."""
    return service.create_officer(
        session,
        username=username,
        name=name,
        roles=list(roles) or ["reviewer"],
        password=password,
        by=SETUP,
    )


def staff(db: sessionmaker[Session], **officers: list[str]) -> None:
    """Commit officers: ``staff(db, boss=["administrator"], li_wei=["reviewer"])``
    (underscores in the keyword become dots in the username)."""
    with db() as s:
        for username, roles in officers.items():
            add_officer(s, username.replace("_", "."), *roles)
        s.commit()


def app_client(engine: Engine, **settings: Any) -> TestClient:
    config = Settings(database_url=str(engine.url), **settings)
    return TestClient(create_app(config, engine=engine, migrate=False))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in over the API; the headers that sign requests as that officer."""
    response = client.post(
        "/api/v1/officers/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return bearer(token)


def _triggers(connection: Any) -> list[tuple[str, str]]:
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            )
        )
    else:
        rows = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            )
        )
    return [(str(name), str(sql)) for name, sql in rows]


@contextmanager
def audit_triggers_dropped(engine: Engine) -> Iterator[None]:
    """The append-only triggers off (committed), so that a test can tamper with the log as
    someone with DDL rights could; the very same triggers are put back afterwards."""
    with engine.begin() as connection:
        saved = _triggers(connection)
        assert {name for name, _ in saved} == {"audit_log_no_update", "audit_log_no_delete"}
        on = " ON audit_log" if connection.dialect.name == "postgresql" else ""
        for name, _ in saved:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"{on}')
    try:
        yield
    finally:
        with engine.begin() as connection:
            # Another pooled SQLite connection than the one that dropped them may still
            # hold the schema with the triggers in it ("trigger ... already exists"): a
            # statement that reads the store makes it load the schema again.
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
            for _, sql in saved:
                connection.exec_driver_sql(sql)
