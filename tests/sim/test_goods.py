"""The goods catalogue and the CBEC composite tax."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from stdnum import ean

from cbec.sim.goods import CATALOGUE, allocate, line_tax, money, order_taxes

D = Decimal


def test_catalogue_covers_what_the_seeds_name() -> None:
    categories = {g.category for g in CATALOGUE}
    assert len(CATALOGUE) >= 40
    assert {"cosmetics", "infant", "health", "food", "wine", "seafood", "shoes", "bags"} <= (
        categories
    )
    assert {"apparel", "appliance"} <= categories


def test_catalogue_data_is_well_formed() -> None:
    assert len({g.sku for g in CATALOGUE}) == len(CATALOGUE)
    for goods in CATALOGUE:
        assert re.fullmatch(r"\d{10}", goods.hs), goods.sku
        assert re.fullmatch(r"\d{3}", goods.unit)
        assert re.fullmatch(r"\d{3}", goods.unit1)
        assert re.fullmatch(r"\d{3}", goods.country)
        assert ean.is_valid(goods.barcode), goods.sku
        assert 0 < goods.price_min < goods.price_max <= 5000
        assert 0 < goods.net_kg <= goods.gross_kg
        assert goods.vat in (D("0.13"), D("0.09"))
        assert (goods.unit2 is None) == (goods.qty2 is None)


def test_cosmetics_bear_consumption_tax_only_when_high_end() -> None:
    cream = next(g for g in CATALOGUE if g.hs == "3304990099" and g.gmodel == "50g/瓶")
    assert cream.ct_at(D("499.00")) == 0  # under 10 CNY per gram
    assert cream.ct_at(D("500.00")) == D("0.15")
    wine = next(g for g in CATALOGUE if g.hs == "2204210000")
    assert wine.ct_at(D("1.00")) == D("0.10")
    assert wine.unit1 == "095"  # litre


def test_formula_milk_and_diapers_use_the_retail_codes() -> None:
    assert any(g.hs == "1901101090" and g.category == "infant" for g in CATALOGUE)
    assert any(g.hs == "9619001100" for g in CATALOGUE)


@pytest.mark.parametrize(
    ("taxable", "vat", "ct", "expected"),
    [
        ("398.00", "0.13", "0", "36.22"),  # the sample order: 398 x 9.1%
        ("850.00", "0.13", "0.15", "196.00"),  # CT 150, VAT 130, 70% of 280
        ("100.00", "0.09", "0", "6.30"),
        ("0.01", "0.13", "0", "0.00"),
    ],
)
def test_line_tax(taxable: str, vat: str, ct: str, expected: str) -> None:
    assert line_tax(D(taxable), D(vat), D(ct)) == D(expected)


def test_freight_is_shared_in_proportion_and_adds_up() -> None:
    shares = allocate(D("10.00"), [D("1"), D("1"), D("1")])
    assert shares == [D("3.33"), D("3.33"), D("3.34")]
    assert sum(shares) == D("10.00")
    assert allocate(D("0.00"), [D("5")]) == [D("0.00")]


def test_order_taxes_include_the_freight_share() -> None:
    taxes = order_taxes([D("100.00"), D("300.00")], D("20.00"), [(D("0.13"), D(0))] * 2)
    assert taxes == [money(D("105.00") * D("0.091")), money(D("315.00") * D("0.091"))]
