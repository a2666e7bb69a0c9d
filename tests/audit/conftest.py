"""Audit tests make officers; they hash passwords with the cheapest argon2 parameters."""

from __future__ import annotations

import pytest

from tests.officers.factories import use_cheap_hasher


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hasher(monkeypatch)
