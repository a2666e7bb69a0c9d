"""A store remembers the pseudonym key its blind indexes and risk aggregates were made with;
a process holding another key is refused before it reads or writes anything (it would find
no buyer's annual quota: every buyer could import another 26,000 yuan)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.config import get_settings
from cbec.privacy import pseudonym_key_check, use_pseudonym_key
from cbec.store import upgrade
from cbec.store.keys import KeyMismatch
from cbec.store.models import StoreKey


@pytest.fixture
def another_key() -> Iterator[None]:
    use_pseudonym_key("the key of another deployment")
    try:
        yield
    finally:
        use_pseudonym_key(get_settings().pseudonym_key)


def test_the_first_opening_records_the_key_and_the_same_key_opens_again(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    upgrade(engine)
    upgrade(engine)  # the same key: nothing to say
    with db() as s:
        rows = s.scalars(select(StoreKey)).all()
    assert [(r.name, r.check_digest) for r in rows] == [("pseudonym", pseudonym_key_check())]
    # the check tells keys apart, and is not the key
    assert get_settings().pseudonym_key not in rows[0].check_digest


def test_another_key_is_refused_naming_the_setting(
    engine: Engine, db: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    upgrade(engine)
    request.getfixturevalue("another_key")
    with pytest.raises(KeyMismatch) as caught:
        upgrade(engine)
    assert caught.value.status_code == 409
    (field,) = caught.value.fields
    assert (field.path, field.rule) == ("CBEC_PSEUDONYM_KEY", "pseudonym-key.same")
    assert "annual quota" in field.message


def test_the_command_line_says_so_in_one_line_and_exits_1(tmp_path: Path) -> None:
    env = {**os.environ, "CBEC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    env.pop("CBEC_PSEUDONYM_KEY", None)

    def cbec(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = {"CBEC_PSEUDONYM_KEY": key} if key else {}
        return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "cbec.cli", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert cbec("registry", "list").returncode == 0
    refused = cbec("registry", "list", key="the key of another deployment")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: CBEC_PSEUDONYM_KEY: not the key this store's")
    assert "[pseudonym-key.same]" in refused.stderr
    assert cbec("registry", "list").returncode == 0
