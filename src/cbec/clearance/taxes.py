"""The tax of a list from the catalogue in force: rates looked up per line, then
:mod:`cbec.clearance.tax` (pure arithmetic) applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cbec.catalog.snapshot import CatalogSnapshot, GoodsRates
from cbec.clearance.tax import Rates, TaxLine, list_tax
from cbec.messages.models import Inventory, InventoryList

ZERO = Decimal(0)


@dataclass(slots=True)
class TaxResult:
    customs: Decimal = ZERO
    vat: Decimal = ZERO
    consumption: Decimal = ZERO
    total: Decimal = ZERO
    #: per line, for the tax bill (CEB816 TaxListRd)
    lines: list[dict[str, Any]] = field(default_factory=list)
    #: (path, code) of lines whose HS code the catalogue does not know
    unknown_codes: list[tuple[str, str]] = field(default_factory=list)


#: Quantities convertible to grams / millilitres (customs unit codes). Cosmetics' thresholds
#: are per g or per ml of net content; a list states mass in kg, so a millilitre is taken as
#: a gram (density 1) when only the mass is known: an approximation, said in the README.
_TO_SMALL = {"035": Decimal(1000), "036": Decimal(1), "095": Decimal(1000), "096": Decimal(1)}
_SMALL = {"036", "096"}


def _quantity_in(line: InventoryList, unit: str | None) -> Decimal | None:
    """The line's quantity in ``unit`` (customs unit code), from qty/qty1/qty2, converting
    kg/g/L/ml where the unit asked for is grams or millilitres."""
    if unit is None:
        return None
    pairs = ((line.qty1, line.unit1), (line.qty2, line.unit2), (line.qty, line.unit))
    for qty, qty_unit in pairs:
        if qty is not None and qty_unit == unit:
            return qty
    if unit in _SMALL:
        for qty, qty_unit in pairs:
            if qty is not None and qty_unit in _TO_SMALL:
                return qty * _TO_SMALL[qty_unit]
    return None


def _rates(goods: GoodsRates, line: InventoryList) -> tuple[Rates, Decimal]:
    per_unit = None
    threshold_qty = _quantity_in(line, goods.consumption_threshold_unit)
    if threshold_qty:
        per_unit = line.totalPrice / threshold_qty
    specific_qty = _quantity_in(line, goods.consumption_specific_unit) or ZERO
    rates = Rates(
        vat=goods.vat_rate,
        consumption=goods.consumption_rate_at(per_unit),
        specific=goods.consumption_specific or ZERO,
        tariff=goods.tariff_rate,
    )
    return rates, specific_qty if goods.consumption_specific else ZERO


def compute_tax(inventory: Inventory, snapshot: CatalogSnapshot, *, full_rates: bool) -> TaxResult:
    """The payable customs duty, VAT and consumption tax of a list (70% within limits;
    full rates with tariff for the single-item exception)."""
    result = TaxResult()
    lines: list[TaxLine] = []
    for index, line in enumerate(inventory.inventoryList, start=1):
        goods = snapshot.goods(line.gcode)
        if goods is None:
            result.unknown_codes.append((f"Inventory/InventoryList[{index}]/gcode", line.gcode))
            continue
        rates, quantity = _rates(goods, line)
        lines.append(TaxLine(line.totalPrice, rates, quantity))
    if result.unknown_codes:
        return result
    head = inventory.inventoryHead
    factor = snapshot.params.get("tax_factor", Decimal("0.7"))
    taxed = list_tax(
        lines,
        freight=head.freight,
        insured_fee=head.insuredFee,
        full_rate=full_rates,
        factor=factor,
    )
    result.customs = taxed.totals.customs
    result.vat = taxed.totals.vat
    result.consumption = taxed.totals.consumption
    result.total = taxed.totals.total
    result.lines = [
        {
            "gnum": line.gnum,
            "gcode": line.gcode,
            "taxPrice": str(t.price),
            "customsTax": str(t.customs),
            "valueAddedTax": str(t.vat),
            "consumptionTax": str(t.consumption),
        }
        for line, t in zip(inventory.inventoryList, taxed.lines, strict=True)
    ]
    return result
