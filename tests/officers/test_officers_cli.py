"""``cbec officers ...`` on the test store: how the first administrator is made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from cbec.audit import service as audit
from cbec.cli import app
from cbec.config import get_settings
from cbec.officers import service
from tests.officers.factories import LIMIT, PASSWORD

runner = CliRunner()
LIFETIME = timedelta(hours=1)


@pytest.fixture(autouse=True)
def store(
    engine: Engine, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """CBEC_DATABASE_URL pointing at the (empty) test store."""
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["officers", *args], input=stdin)


def add(username: str, *roles: str, password: str = PASSWORD) -> Result:
    args = ["add", username, "--name", "李伟", "--password-stdin"]
    for role in roles:
        args += ["--role", role]
    return run(*args, stdin=password + "\n")


def listed() -> list[dict[str, Any]]:
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_add_makes_an_officer_who_can_log_in(db: sessionmaker[Session]) -> None:
    result = add("boss", "administrator", "risk_analyst")

    assert result.exit_code == 0, result.output
    assert "added boss" in result.stdout
    assert PASSWORD not in result.output
    with db() as s:
        issued = service.login(s, "boss", PASSWORD, lifetime=LIFETIME, limit=LIMIT)
        assert issued.officer.role_names == ["administrator", "risk_analyst"]
        created, logged_in = audit.history(s, "officer", "boss")
    assert (created.action, created.actor_kind, created.actor) == (
        "officer.create",
        "system",
        "cli",
    )
    assert (logged_in.action, logged_in.actor) == ("officer.login", "boss")


def test_add_prompts_for_the_password_twice_when_not_on_stdin(db: sessionmaker[Session]) -> None:
    result = run(
        "add", "boss", "--name", "王强", "--role", "administrator",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.stdout
    with db() as s:
        assert service.login(s, "boss", PASSWORD, lifetime=LIFETIME, limit=LIMIT).token


@pytest.mark.parametrize(
    ("args", "password", "words"),
    [
        (["--role", "chief"], PASSWORD, ["roles[0]", "'chief' is not a role"]),
        (["--role", "reviewer"], "short", ["password", "length=12..256"]),
    ],
)
def test_bad_input_is_one_line_naming_field_and_rule(
    args: list[str], password: str, words: list[str]
) -> None:
    result = run("add", "li.wei", "--name", "李伟", "--password-stdin", *args, stdin=password)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    for word in words:
        assert word in result.stderr
    assert listed() == []


def test_an_officer_needs_a_role() -> None:
    result = run("add", "li.wei", "--name", "李伟", "--password-stdin", stdin=PASSWORD)
    assert result.exit_code == 2
    assert "--role" in result.output


def test_list_roles_and_deactivate() -> None:
    assert add("boss", "administrator").exit_code == 0
    assert add("li.wei", "reviewer").exit_code == 0

    assert run("roles", "li.wei", "--role", "inspector", "--role", "reviewer").exit_code == 0
    result = run("deactivate", "li.wei", "--reason", "transferred")
    assert result.exit_code == 0, result.output
    assert "deactivated li.wei" in result.stdout

    assert [(o["username"], o["roles"], o["active"]) for o in listed()] == [
        ("boss", ["administrator"], True),
        ("li.wei", ["inspector", "reviewer"], False),
    ]
    table = run("list")
    assert table.exit_code == 0
    assert "deactivated" in table.stdout
    assert "2 officer(s)" in table.stdout


def test_the_last_administrator_cannot_be_deactivated() -> None:
    assert add("boss", "administrator").exit_code == 0

    result = run("deactivate", "boss")

    assert result.exit_code == 1
    assert "last-active-administrator" in result.stderr


def test_password_reset(db: sessionmaker[Session]) -> None:
    assert add("li.wei", "reviewer").exit_code == 0

    result = run("password", "li.wei", "--password-stdin", stdin="a brand new passphrase\n")

    assert result.exit_code == 0, result.output
    with db() as s:
        assert service.login(s, "li.wei", "a brand new passphrase", lifetime=LIFETIME, limit=LIMIT)


def test_unknown_officer_is_an_error() -> None:
    result = run("deactivate", "nobody")
    assert result.exit_code == 1
    assert "no officer has username 'nobody'" in result.stderr
