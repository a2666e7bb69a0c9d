"""Sampling rates from the enterprise classes in force (``risk_enterprise_classes``).

A portrait class published for an enterprise carries its rates (manual review, X-ray,
open inspection, and an inspection cap per business-site class). A list is sampled at the
rates of the strictest class in force among its enterprises at the moment of the decision;
with none, the defaults apply. Pure: the rows come from the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cbec.clearance.decision import Rates

#: trade modes whose goods sit in a bonded zone or site; the others go through a
#: direct-purchase supervision site
BONDED_MODES = frozenset({"1210", "1239"})


def site_class(trade_mode: str) -> str:
    """The business-site class of a list: ``bonded`` (1210/1239) or ``direct`` (9610, ...).

    >>> site_class("1210"), site_class("9610")
    ('bonded', 'direct')
    """
    return "bonded" if trade_mode in BONDED_MODES else "direct"


@dataclass(frozen=True, slots=True)
class ClassRates:
    """An enterprise's class row with its rates (what clearance reads)."""

    id: int
    enterprise_code: str
    class_code: str
    review: float
    xray: float
    open: float
    caps: dict[str, float]
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= moment) and (
            self.valid_to is None or moment < self.valid_to
        )

    def rates(self, site: str) -> Rates:
        """The rates at a site of ``site`` class: inspection (X-ray + open) within the cap."""
        inspection = self.xray + self.open
        cap = self.caps.get(site)
        if cap is not None:
            inspection = min(inspection, cap)
        return Rates(
            review=self.review, inspection=inspection, open_inspection=min(self.open, inspection)
        )

    @classmethod
    def of_row(cls, row: object) -> ClassRates | None:
        """From a ``risk_enterprise_classes`` row; None for a class without rates."""
        review, xray, opened = (
            getattr(row, "review_rate", None),
            getattr(row, "xray_rate", None),
            getattr(row, "open_rate", None),
        )
        if review is None or xray is None or opened is None:
            return None
        caps_text = getattr(row, "inspection_caps", None)
        caps = {str(k): float(v) for k, v in json.loads(caps_text).items()} if caps_text else {}
        return cls(
            id=int(getattr(row, "id")),  # noqa: B009 - any row-like object
            enterprise_code=str(getattr(row, "enterprise_code")),  # noqa: B009
            class_code=str(getattr(row, "class_code")),  # noqa: B009
            review=float(review),
            xray=float(xray),
            open=float(opened),
            caps=caps,
            valid_from=getattr(row, "valid_from", None),
            valid_to=getattr(row, "valid_to", None),
        )


def in_force(rows: Iterable[ClassRates], code: str, moment: datetime) -> ClassRates | None:
    """The class of ``code`` in force at ``moment``: the latest (highest id) valid row."""
    found: ClassRates | None = None
    for row in rows:
        if (
            row.enterprise_code == code
            and row.valid_at(moment)
            and (found is None or row.id > found.id)
        ):
            found = row
    return found


def rates_for(
    rows: Sequence[ClassRates], codes: Iterable[str], moment: datetime, trade_mode: str
) -> tuple[Rates, ClassRates] | None:
    """The rates of the strictest class in force among ``codes`` (most inspection, then
    most review) and that class; None when none of them has a class with rates."""
    site = site_class(trade_mode)
    best: tuple[Rates, ClassRates] | None = None
    for code in dict.fromkeys(codes):
        row = in_force(rows, code, moment)
        if row is None:
            continue
        rates = row.rates(site)
        if best is None or (rates.inspection, rates.review) > (
            best[0].inspection,
            best[0].review,
        ):
            best = (rates, row)
    return best
