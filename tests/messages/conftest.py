"""Fixtures for the message tests: the sample files under tests/fixtures/xml/."""

from __future__ import annotations

from pathlib import Path

import pytest

XML_DIR = Path(__file__).parents[1] / "fixtures" / "xml"


@pytest.fixture
def order_xml() -> bytes:
    """The CEB311 order sample (prefixed form)."""
    return (XML_DIR / "ceb311_order.xml").read_bytes()
