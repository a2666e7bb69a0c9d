"""The examples in the docstrings of the pure modules hold."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from cbec.clearance import classes as clearance_classes
from cbec.portrait import classes, score, verification


@pytest.mark.parametrize("module", [classes, score, verification, clearance_classes])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0
