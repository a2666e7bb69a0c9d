"""The examples in the web modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["documents", "monitor", "provinces", "rendering", "risk_pages", "signin", "workbench"],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"cbec.web.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
