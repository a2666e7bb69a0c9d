"""The examples in the message modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["codec"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"cbec.messages.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
