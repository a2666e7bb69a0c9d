"""An immutable in-memory view of the catalogue in force on one date.

Clearance builds one per declaration date (``cbec.catalog.service.snapshot``, cached) and
then looks goods up in dicts, with no query per line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cbec.errors import NotFound


class MissingParameter(NotFound):
    """A policy parameter that no loaded edition defines on the date asked."""

    kind = "missing_parameter"


@dataclass(frozen=True, slots=True)
class EditionRef:
    """Which edition of one kind a snapshot was built from."""

    kind: str
    name: str
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True, slots=True)
class PositiveLine:
    """An 8-digit line of the positive list, with its conditions."""

    tariff_code8: str
    name: str
    remark: str
    bonded_only: bool
    direct_only: bool
    annual_weight_cap_kg: Decimal | None

    def allows_trade_mode(self, trade_mode: str) -> bool:
        """Whether goods of this line may clear under ``trade_mode`` (9610, 1210, 1239)."""
        if self.bonded_only:
            return trade_mode in {"1210", "1239"}
        if self.direct_only:
            return trade_mode == "9610"
        return True


@dataclass(frozen=True, slots=True)
class GoodsRates:
    """A 10-digit HS code with its legal units and statutory rates (fractions: 0.13)."""

    code10: str
    name: str
    legal_unit: str
    second_unit: str | None
    vat_rate: Decimal
    consumption_rate: Decimal
    consumption_specific: Decimal | None
    consumption_specific_unit: str | None
    consumption_threshold: Decimal | None
    consumption_threshold_unit: str | None
    tariff_rate: Decimal
    remark: str

    def consumption_rate_at(self, unit_price: Decimal | None) -> Decimal:
        """The ad valorem consumption-tax rate for goods sold at ``unit_price``.

        ``unit_price`` is the price per ``consumption_threshold_unit`` (per gram, millilitre
        or piece). Cosmetics are taxed only when high-grade, from 10 CNY per g or ml (15 per
        piece): below the threshold the rate is 0. Without a threshold, or when the price per
        unit is not known (``None``), the full rate applies.

        >>> from decimal import Decimal as D
        >>> cream = GoodsRates("3304990099", "cream", "035", None, D("0.13"), D("0.15"),
        ...                    None, None, D("10"), "036", D("0.01"), "")
        >>> cream.consumption_rate_at(D("9.99")), cream.consumption_rate_at(D("10"))
        (Decimal('0'), Decimal('0.15'))
        """
        if self.consumption_threshold is None or unit_price is None:
            return self.consumption_rate
        if unit_price < self.consumption_threshold:
            return Decimal(0)
        return self.consumption_rate


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """Everything in force on ``on``: positive list, HS codes, policy parameters.

    Build it with :func:`cbec.catalog.service.snapshot`; the mappings are read-only.
    """

    on: date
    #: kind ("positive-list", "hs-codes", "policy") -> the edition in force.
    editions: Mapping[str, EditionRef]
    goods_by_code: Mapping[str, GoodsRates]
    positive_by_code8: Mapping[str, PositiveLine]
    params: Mapping[str, Decimal]

    def goods(self, code10: str) -> GoodsRates | None:
        """The HS code ``code10`` as in force, or ``None`` when it is not in the catalogue."""
        return self.goods_by_code.get(code10)

    def positive_line(self, code: str) -> PositiveLine | None:
        """The positive-list line of a 10-digit (or 8-digit) code: its first 8 digits."""
        if len(code) < 8:
            return None
        return self.positive_by_code8.get(code[:8])

    def param(self, name: str) -> Decimal:
        """A policy parameter in force (``per_order_limit``, ``annual_limit``, ...).

        Raises :class:`MissingParameter` when none is: a catalogue that was never seeded is
        a setup error, not a reason to clear goods with a made-up limit.
        """
        try:
            return self.params[name]
        except KeyError:
            raise MissingParameter(
                f"no policy parameter {name!r} in force on {self.on.isoformat()}"
                " (load one with `cbec catalog seed` or `cbec catalog load --kind policy`)"
            ) from None
