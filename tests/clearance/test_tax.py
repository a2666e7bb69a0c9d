"""The CBEC composite tax: hand-worked examples, then properties against a reference."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.clearance.tax import (
    CBEC_FACTOR,
    LineTax,
    Rates,
    Rounding,
    TaxLine,
    allocate,
    effective_rate,
    line_tax,
    list_tax,
    split,
    within_tolerance,
)

D = Decimal
VAT = D("0.13")
COSMETICS = Rates(vat=VAT, consumption=D("0.15"), tariff=D("0.01"))
#: Whisky: VAT 13%, consumption tax 20% + 1.00 CNY per kg (0.5 per 500 g), MFN 10%.
SPIRITS = Rates(vat=VAT, consumption=D("0.20"), specific=D("1.00"), tariff=D("0.10"))


# --- hand-worked examples --------------------------------------------------------------


def test_no_consumption_tax_is_nine_point_one_percent() -> None:
    # Formula milk at 100.00: VAT 100 x 13% = 13.00; payable 70% = 9.10; no tariff, no CT.
    tax = line_tax(D("100.00"), Rates(vat=VAT))
    assert tax == LineTax(
        customs=D("0.00"), vat=D("9.10"), consumption=D("0.00"), total=D("9.10"), price=D("100.00")
    )
    assert effective_rate(Rates(vat=VAT)) == D("0.091")


def test_cosmetic_with_fifteen_percent_consumption_tax() -> None:
    # Face cream at 100.00, VAT 13%, CT 15% ad valorem:
    #   CT  = 100 / (1 - 0.15) x 0.15 = 17.647058...;   payable 0.7 x 17.647058 = 12.352941 -> 12.35
    #   VAT = (100 + 17.647058) x 0.13 = 15.294117...;  payable 0.7 x 15.294117 = 10.705882 -> 10.71
    #   (with CT rounded first: (100 + 17.65) x 0.13 = 15.2945; x 0.7 = 10.70615 -> 10.71 too)
    #   total 23.06 = 23.06% of 100: the effective rate 0.7 x (0.13 + 0.15) / 0.85 = 23.0588%.
    tax = line_tax(D("100.00"), COSMETICS)
    assert (tax.customs, tax.consumption, tax.vat, tax.total) == (
        D("0.00"),
        D("12.35"),
        D("10.71"),
        D("23.06"),
    )
    assert effective_rate(COSMETICS).quantize(D("0.0001")) == D("0.2306")


def test_single_item_at_full_rates() -> None:
    # A 6,000.00 handbag, over the 5,000 per-order limit, alone on its list: MFN 6%,
    # VAT 13% at 100%, no 0.7:  tariff 6000 x 0.06 = 360.00; VAT (6000 + 360) x 0.13 = 826.80.
    bag = Rates(vat=VAT, tariff=D("0.06"))
    tax = line_tax(D("6000.00"), bag, full_rate=True)
    assert (tax.customs, tax.vat, tax.consumption, tax.total) == (
        D("360.00"),
        D("826.80"),
        D("0.00"),
        D("1186.80"),
    )
    # Within limits the same bag would pay 6000 x 0.13 x 0.7 = 546.00 and no tariff.
    assert line_tax(D("6000.00"), bag).total == D("546.00")


def test_single_cosmetic_at_full_rates() -> None:
    # 6,000.00 of cream, MFN 1%: tariff 60.00; base (6000 + 60) / 0.85 = 7129.411764...;
    # CT = 7129.411764 x 0.15 = 1069.411764 -> 1069.41; VAT = 7129.411764 x 0.13 = 926.823529
    # -> 926.82; total 60.00 + 1069.41 + 926.82 = 2056.23.
    tax = line_tax(D("6000.00"), COSMETICS, full_rate=True)
    assert (tax.customs, tax.consumption, tax.vat, tax.total) == (
        D("60.00"),
        D("1069.41"),
        D("926.82"),
        D("2056.23"),
    )


def test_spirits_composite_within_limits() -> None:
    # Whisky at 500.00, 1.000 kg: specific 1.000 x 1.00 = 1.00;
    #   base = (500 + 0 + 1.00) / (1 - 0.20) = 626.25
    #   CT   = 626.25 x 0.20 + 1.00 = 126.25;       payable 0.7 x 126.25 = 88.375 -> 88.38
    #   VAT  = (500 + 126.25) x 0.13 = 81.4125;     payable 0.7 x 81.4125 = 56.98875 -> 56.99
    tax = line_tax(D("500.00"), SPIRITS, quantity=D("1.000"))
    assert (tax.customs, tax.consumption, tax.vat, tax.total) == (
        D("0.00"),
        D("88.38"),
        D("56.99"),
        D("145.37"),
    )


def test_spirits_composite_at_full_rates() -> None:
    # tariff 500 x 0.10 = 50.00; base = (500 + 50 + 1.00) / 0.8 = 688.75;
    # CT = 688.75 x 0.2 + 1.00 = 138.75; VAT = (500 + 50 + 138.75) x 0.13 = 89.5375 -> 89.54.
    tax = line_tax(D("500.00"), SPIRITS, quantity=D("1.000"), full_rate=True)
    assert (tax.customs, tax.consumption, tax.vat, tax.total) == (
        D("50.00"),
        D("138.75"),
        D("89.54"),
        D("278.29"),
    )


def test_freight_and_insurance_allocation_adds_up_exactly() -> None:
    # Freight 10.00 over 100 : 200 : 33.33 -> 1000 cents x (0.30000, 0.60001, 0.09999)
    # = 300.003, 600.006, 99.991 -> floors 300, 600, 99 (999); the cent left goes to the
    # largest remainder (0.991, the third line): 3.00, 6.00, 1.00. Insurance 1.00 likewise:
    # 30.0003, 60.0006, 9.9991 -> 0.30, 0.60, 0.10.
    totals = [D("100.00"), D("200.00"), D("33.33")]
    assert split(D("10.00"), totals) == [D("3.00"), D("6.00"), D("1.00")]
    prices = allocate(totals, D("10.00"), D("1.00"))
    assert prices == [D("103.30"), D("206.60"), D("34.43")]
    assert sum(prices) == D("333.33") + D("10.00") + D("1.00")


def test_equal_lines_share_the_odd_cent_from_the_first() -> None:
    assert split(D("10.00"), [D(5)] * 3) == [D("3.34"), D("3.33"), D("3.33")]
    assert split(D("0.02"), [D(1)] * 3) == [D("0.01"), D("0.01"), D("0.00")]


def test_free_lines_split_evenly_and_finer_amounts_keep_their_digits() -> None:
    assert split(D("1.00"), [D(0), D(0)]) == [D("0.50"), D("0.50")]
    assert split(D("10.005"), [D(1), D(1)]) == [D("5.003"), D("5.002")]


def test_list_tax_taxes_each_line_on_its_share_of_freight() -> None:
    # Cream 100.00 + milk 200.00, freight 30.00 -> 10.00 and 20.00:
    # cream 110.00 x 23.0588% -> CT 0.7 x 19.411764 = 13.588235 -> 13.59,
    #                            VAT 0.7 x 16.823529 = 11.776470 -> 11.78;  total 25.37
    # milk 220.00 x 9.1% = 20.02.
    cream = TaxLine(D("100.00"), Rates(vat=VAT, consumption=D("0.15")))
    milk = TaxLine(D("200.00"), Rates(vat=VAT))
    result = list_tax([cream, milk], freight=D("30.00"))
    assert [line.price for line in result.lines] == [D("110.00"), D("220.00")]
    assert [line.total for line in result.lines] == [D("25.37"), D("20.02")]
    assert result.totals.total == D("45.39")
    assert result.totals.vat == D("11.78") + D("20.02")
    assert result.totals.price == D("330.00")


def test_rounding_is_a_parameter() -> None:
    down = Rounding(places=D("0.01"), mode=ROUND_DOWN)
    # 0.7 x 15.294117 = 10.705882: half up 10.71, down 10.70.
    assert line_tax(D("100.00"), COSMETICS, rounding=down).vat == D("10.70")
    yuan = Rounding(places=D("1"))
    assert line_tax(D("100.00"), COSMETICS, rounding=yuan).total == D("23")


def test_tolerance() -> None:
    assert within_tolerance(D("45.39"), D("45.39"), D("0"))
    assert within_tolerance(D("45.00"), D("45.39"), D("0.50"))
    assert not within_tolerance(D("44.88"), D("45.39"), D("0.50"))
    with pytest.raises(ValueError, match="tolerance"):
        within_tolerance(D("1"), D("1"), D("-0.01"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vat": D("-0.01")}, "vat"),
        ({"vat": VAT, "consumption": D("1")}, "below 1"),
        ({"vat": 0.13}, "vat"),
    ],
)
def test_bad_rates_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rates(**kwargs)  # type: ignore[arg-type]


def test_bad_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="price"):
        line_tax(D("-1"), COSMETICS)
    with pytest.raises(ValueError, match="no lines"):
        split(D("1.00"), [])
    assert split(D("0"), []) == []


# --- properties ------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
weights = st.lists(money, min_size=1, max_size=12)
rates = st.builds(
    Rates,
    vat=st.sampled_from([D("0.09"), D("0.13")]),
    consumption=st.sampled_from([D(0), D("0.10"), D("0.15"), D("0.20")]),
    specific=st.sampled_from([D(0), D("1.00"), D("0.912")]),
    tariff=st.sampled_from([D(0), D("0.01"), D("0.06"), D("0.14")]),
)
quantities = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False)


def _round(value: Fraction) -> Decimal:
    """Half-up to the cent, on an exact fraction (the reference's own rounding)."""
    cents = value * 100
    whole = int(cents)
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


def reference(price: Decimal, r: Rates, quantity: Decimal, full_rate: bool) -> Decimal:
    """The formulas of DOMAIN.md in exact fractions, rounded per tax at the end."""
    p, q = Fraction(price), Fraction(quantity)
    v, c, s, t = (Fraction(x) for x in (r.vat, r.consumption, r.specific, r.tariff))
    tariff = p * t if full_rate else Fraction(0)
    base = (p + tariff + q * s) / (1 - c)
    ct = base * c + q * s
    vat = (p + tariff + ct) * v
    k = Fraction(1) if full_rate else Fraction(CBEC_FACTOR)
    return _round(tariff) + _round(k * ct) + _round(k * vat)


@given(money, rates, quantities, st.booleans())
def test_line_tax_matches_the_exact_reference(
    price: Decimal, r: Rates, quantity: Decimal, full_rate: bool
) -> None:
    tax = line_tax(price, r, quantity=quantity, full_rate=full_rate)
    assert tax.total == reference(price, r, quantity, full_rate)
    assert tax.total == tax.customs + tax.vat + tax.consumption


@given(st.lists(st.tuples(money, rates, quantities), min_size=1, max_size=8), money, money)
def test_list_totals_are_the_sums_of_the_lines(
    lines: list[tuple[Decimal, Rates, Decimal]], freight: Decimal, insured: Decimal
) -> None:
    result = list_tax(
        [TaxLine(total, r, q) for total, r, q in lines], freight=freight, insured_fee=insured
    )
    assert result.totals.total == sum(line.total for line in result.lines)
    assert result.totals.vat == sum(line.vat for line in result.lines)
    assert result.totals.consumption == sum(line.consumption for line in result.lines)
    assert result.totals.customs == sum(line.customs for line in result.lines)
    assert result.totals.price == sum(total for total, _, _ in lines) + freight + insured


@given(money, money, rates, quantities, st.booleans())
def test_tax_is_monotone_in_price(
    a: Decimal, b: Decimal, r: Rates, quantity: Decimal, full_rate: bool
) -> None:
    low, high = sorted((a, b))
    assert (
        line_tax(low, r, quantity=quantity, full_rate=full_rate).total
        <= line_tax(high, r, quantity=quantity, full_rate=full_rate).total
    )


@given(money, rates)
def test_effective_rate_of_ad_valorem_tax(price: Decimal, r: Rates) -> None:
    ad_valorem = Rates(vat=r.vat, consumption=r.consumption)
    expected = price * effective_rate(ad_valorem)
    # Two taxes each rounded to the cent: at most a cent apart.
    assert abs(line_tax(price, ad_valorem).total - expected) <= D("0.01")


@given(money, weights)
def test_split_adds_up_and_stays_within_a_cent_of_proportional(
    amount: Decimal, parts: list[Decimal]
) -> None:
    shares = split(amount, parts)
    assert sum(shares) == amount
    whole = sum(parts)
    for share, part in zip(shares, parts, strict=True):
        exact = Fraction(amount) * (
            Fraction(part) / Fraction(whole) if whole else Fraction(1, len(parts))
        )
        assert abs(Fraction(share) - exact) < Fraction(1, 100)
        assert share == share.quantize(D("0.01"), rounding=ROUND_HALF_UP)
