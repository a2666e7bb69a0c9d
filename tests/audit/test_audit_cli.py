"""``cbec audit ...`` on the test store: verify the chain, read the log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from cbec.audit import commands
from cbec.audit import service as audit
from cbec.cli import app
from cbec.config import get_settings
from tests.officers.factories import audit_triggers_dropped

runner = CliRunner()


@pytest.fixture(autouse=True)
def store(
    engine: Engine, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """CBEC_DATABASE_URL pointing at the test store, with three decisions on record; a
    wide console so that table cells are not folded."""
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(commands.console, "width", 250)
    get_settings.cache_clear()
    with db() as s:
        for key, actor in (("I0001", "li.wei"), ("I0002", "zhang.min"), ("I0001", "li.wei")):
            audit.record(
                s,
                actor_kind="officer",
                actor=actor,
                action="declaration.approve",
                subject_kind="declaration",
                subject_key=key,
                reason="agreed",
                details={"buyerName": "张三丰", "buyerTelephone": "13812345678"},
            )
        s.commit()
    yield
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return runner.invoke(app, ["audit", *args])


def test_verify_an_intact_log() -> None:
    result = run("verify")

    assert result.exit_code == 0, result.output
    assert "audit log intact: 3 entries, head " in result.stdout


def test_verify_a_tampered_log_exits_1_naming_the_entry(engine: Engine) -> None:
    with audit_triggers_dropped(engine), engine.begin() as connection:
        tampered = connection.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        connection.execute(
            text("UPDATE audit_log SET actor = 'somebody.else' WHERE id = :id"), {"id": tampered}
        )

    result = run("verify")

    assert result.exit_code == 1
    assert f"audit log BROKEN at entry {tampered}" in result.stderr
    assert "2 entries intact before it" in result.stderr


def test_log_shows_a_table_with_personal_data_masked() -> None:
    result = run("log", "--subject", "declaration:I0001")

    assert result.exit_code == 0, result.output
    assert "officer:li.wei" in result.stdout
    assert "declaration:I0001" in result.stdout
    assert "张**" in result.stdout
    assert "138****5678" in result.stdout
    assert "13812345678" not in result.stdout
    assert "zhang.min" not in result.stdout
    assert "2 entries" in result.stdout


def test_log_filters_as_json() -> None:
    result = run("log", "--actor", "zhang.min", "--json")

    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["subjectKey"] == "I0002"
    assert entry["details"] == {"buyerName": "张**", "buyerTelephone": "138****5678"}


def test_log_limit_and_since() -> None:
    assert len(json.loads(run("log", "--limit", "2", "--json").stdout)) == 2
    assert json.loads(run("log", "--since", "2999-01-01T00:00:00+08:00", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--subject", "I0001"], ["KIND:KEY"]),
        (["--since", "yesterday"], ["ISO 8601"]),
        (["--since", "2026-11-27T08:00:00"], ["UTC offset"]),
    ],
)
def test_bad_options_are_refused(args: list[str], words: list[str]) -> None:
    result = run("log", *args)
    assert result.exit_code == 2
    for word in words:
        assert word in result.output
