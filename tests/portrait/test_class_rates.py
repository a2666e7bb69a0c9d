"""Clearance samples by the class in force: the strictest party's class, capped per
business-site class, open inspections within the inspected share; registry overrides win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cbec.clearance.classes import ClassRates, in_force, rates_for, site_class
from cbec.clearance.decision import Inspection, Outcome, Rates, RiskVerdict, decide, draw

NOW = datetime(2026, 11, 11, 12, tzinfo=UTC)


def row(
    i: int, code: str, cls: str, review: float, xray: float, opened: float, **kw: object
) -> ClassRates:
    caps = kw.pop("caps", {"bonded": 0.9, "direct": 0.5})
    return ClassRates(i, code, cls, review, xray, opened, caps, **kw)  # type: ignore[arg-type]


def test_the_latest_valid_row_is_in_force() -> None:
    rows = [
        row(1, "E", "B", 0.02, 0.025, 0.005),
        row(2, "E", "D", 0.5, 0.45, 0.4, valid_to=NOW - timedelta(hours=1)),  # expired
        row(3, "E", "C", 0.1, 0.15, 0.05, valid_from=NOW + timedelta(hours=1)),  # not yet
    ]
    found = in_force(rows, "E", NOW)
    assert found is not None
    assert found.class_code == "B"
    assert in_force(rows, "E", NOW + timedelta(hours=2)) is not None
    assert in_force(rows, "E", NOW + timedelta(hours=2)).class_code == "C"  # type: ignore[union-attr]


def test_the_strictest_party_decides_and_the_site_caps_it() -> None:
    rows = [row(1, "EBC", "A", 0.005, 0.004, 0.001), row(2, "EBP", "D", 0.5, 0.45, 0.4)]
    found = rates_for(rows, ["EBC", "EBP", "PAY"], NOW, "9610")
    assert found is not None
    rates, chosen = found
    assert chosen.class_code == "D"
    assert rates.inspection == pytest.approx(0.5)  # 0.85 capped at the direct site's 0.5
    assert rates.open_inspection == pytest.approx(0.4)
    bonded = rates_for(rows, ["EBC", "EBP"], NOW, "1210")
    assert bonded is not None
    assert bonded[0].inspection == pytest.approx(0.85)
    assert site_class("1239") == "bonded"
    assert rates_for(rows, ["NOBODY"], NOW, "9610") is None


def test_open_inspections_are_the_lowest_draws_of_the_inspected_share() -> None:
    rates = Rates(review=0.0, inspection=0.6, open_inspection=0.3)
    kinds = {}
    for n in range(200):
        key = f"K{n}"
        d = decide([], RiskVerdict(), rates, key=key, seed=3)
        x = draw(3, key, "inspection")
        if x < 0.3:
            assert d.inspection is Inspection.OPEN
        elif x < 0.6:
            assert d.inspection is Inspection.XRAY
        else:
            assert d.outcome is Outcome.RELEASE
        kinds[d.inspection] = kinds.get(d.inspection, 0) + 1
    assert kinds[Inspection.OPEN]
    assert kinds[Inspection.XRAY]
    assert kinds[None]
