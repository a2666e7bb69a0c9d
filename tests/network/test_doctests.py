"""The examples in the network modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["address", "service"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"cbec.network.{module}"))
    assert result.failed == 0
    assert result.attempted > 0
