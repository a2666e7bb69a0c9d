"""The CBEC composite tax on a retail import list: pure arithmetic on ``Decimal``.

Within the limits (per order and per year) the tariff is 0 and import VAT and consumption
tax are levied at 70% (``factor``) of the statutory amount. A single item over the
per-order limit (the single-item exception), or goods taxed as general trade, pay full
rates: the MFN tariff and 100% of VAT and consumption tax (``full_rate=True``).

For one line with taxable price ``P`` (its goods total plus its share of freight and
insurance), quantity ``Q`` in the unit of the specific consumption tax, and rates ``t``
(tariff), ``c`` (ad valorem consumption tax), ``s`` (specific, CNY per unit), ``v`` (VAT)::

    tariff = P x t                       (0 within limits)
    base   = (P + tariff + Q x s) / (1 - c)
    CT     = base x c + Q x s
    VAT    = (P + tariff + CT) x v
    payable: tariff, factor x CT, factor x VAT (factor 1 at full rates)

With no specific tax this is CT = P / (1 - c) x c, and the effective rate within limits is
``factor (v + c) / (1 - c)``: 9.1% at v = 13%, c = 0; 23.06% at v = 13%, c = 15%.

**Rounding** (a parameter, :class:`Rounding`; default to the cent, half up): each tax of
each line is computed exactly, multiplied by the factor, then rounded once; a line's total
is the sum of its three rounded taxes and a list's totals are the sums of its lines, so
the tax bill (CEB816) adds up to the cent. VAT is computed on the unrounded consumption
tax; rounding CT first changes VAT by at most 0.01 x v (under a cent in the factor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

ZERO = Decimal(0)
CENT = Decimal("0.01")
#: Within limits, VAT and consumption tax are levied at 70% of the statutory amount.
CBEC_FACTOR = Decimal("0.7")
#: Digits kept in intermediate results (far beyond any amount a list can carry).
_PRECISION = 50


@dataclass(frozen=True, slots=True)
class Rounding:
    """How a tax amount is rounded: to ``places`` with the ``decimal`` rounding ``mode``."""

    places: Decimal = CENT
    mode: str = ROUND_HALF_UP

    def __call__(self, value: Decimal) -> Decimal:
        return value.quantize(self.places, rounding=self.mode)


#: Customs rounding: to the cent (分), half up.
HALF_UP_CENTS = Rounding()


@dataclass(frozen=True, slots=True)
class Rates:
    """Statutory rates of one line, as fractions (0.13 for 13%).

    ``specific`` is CNY per unit of the quantity passed as ``quantity`` (spirits: per kg).
    ``tariff`` is the MFN rate, charged only at full rates.
    """

    vat: Decimal
    consumption: Decimal = ZERO
    specific: Decimal = ZERO
    tariff: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("vat", "consumption", "specific", "tariff"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"rate {name} must be a non-negative Decimal, got {value!r}")
        if self.consumption >= 1:
            raise ValueError(f"consumption rate must be below 1, got {self.consumption}")


@dataclass(frozen=True, slots=True)
class LineTax:
    """The payable taxes of one line (or the totals of a list), rounded.

    ``total`` is ``customs + vat + consumption``; ``price`` the taxable price taxed.
    """

    customs: Decimal
    vat: Decimal
    consumption: Decimal
    total: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One line of a list as the tax sees it: goods total, rates, specific quantity."""

    total_price: Decimal
    rates: Rates
    #: Quantity in the unit of ``rates.specific`` (0 when there is no specific tax).
    quantity: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ListTax:
    """The taxes of each line and their totals (``totals.total`` is the list's tax)."""

    lines: tuple[LineTax, ...]
    totals: LineTax


def _check_amount(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a non-negative Decimal, got {value!r}")


def line_tax(
    price: Decimal,
    rates: Rates,
    *,
    quantity: Decimal = ZERO,
    full_rate: bool = False,
    factor: Decimal = CBEC_FACTOR,
    rounding: Rounding = HALF_UP_CENTS,
) -> LineTax:
    """The payable tariff, VAT and consumption tax on one line of taxable price ``price``.

    ``full_rate`` charges the MFN tariff and 100% of VAT and consumption tax (the
    single-item exception); otherwise tariff 0 and ``factor`` (70%) of the other two.

    Examples
    --------
    >>> from decimal import Decimal as D
    >>> line_tax(D("100.00"), Rates(vat=D("0.13")))
    LineTax(customs=Decimal('0.00'), vat=Decimal('9.10'), consumption=Decimal('0.00'), total=Decimal('9.10'), price=Decimal('100.00'))
    >>> line_tax(D("100.00"), Rates(vat=D("0.13"), consumption=D("0.15"))).total
    Decimal('23.06')
    """  # noqa: E501
    _check_amount("price", price)
    _check_amount("quantity", quantity)
    _check_amount("factor", factor)
    with localcontext() as context:
        context.prec = _PRECISION
        tariff = price * rates.tariff if full_rate else ZERO
        specific = quantity * rates.specific
        base = (price + tariff + specific) / (1 - rates.consumption)
        consumption = base * rates.consumption + specific
        vat = (price + tariff + consumption) * rates.vat
        share = Decimal(1) if full_rate else factor
        customs_due = rounding(tariff)
        vat_due = rounding(vat * share)
        consumption_due = rounding(consumption * share)
    return LineTax(
        customs=customs_due,
        vat=vat_due,
        consumption=consumption_due,
        total=customs_due + vat_due + consumption_due,
        price=price,
    )


def split(amount: Decimal, weights: Sequence[Decimal], *, places: Decimal = CENT) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` so that the shares add up exactly.

    Shares are whole multiples of ``places`` (or of the amount's own last digit, if it has
    more); the units left after rounding every share down go one each to the largest
    remainders (the earlier line on a tie): the largest-remainder method. Zero weights
    everywhere split evenly.

    >>> from decimal import Decimal as D
    >>> split(D("10.00"), [D("1"), D("1"), D("1")])
    [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    """
    _check_amount("amount", amount)
    for weight in weights:
        _check_amount("weight", weight)
    if not weights:
        if amount:
            raise ValueError(f"cannot split {amount} across no lines")
        return []
    own = amount.as_tuple().exponent
    step = places.as_tuple().exponent
    assert isinstance(own, int)
    assert isinstance(step, int)
    exponent = min(own, step)
    quantum = Decimal(1).scaleb(exponent)
    units = int(amount.scaleb(-exponent))
    if units == 0 or len(weights) == 1:  # nothing to split, or one line takes it all
        return [(Decimal(units) * quantum).quantize(quantum)] + [
            (Decimal(0) * quantum).quantize(quantum)
        ] * (len(weights) - 1)
    parts = [Fraction(w) for w in weights]
    if not any(parts):
        parts = [Fraction(1)] * len(parts)
    whole = sum(parts, Fraction(0))
    exact = [units * part / whole for part in parts]
    shares = [math.floor(x) for x in exact]
    left = units - sum(shares)
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return [(Decimal(n) * quantum).quantize(quantum) for n in shares]


def allocate(
    totals: Sequence[Decimal],
    freight: Decimal = ZERO,
    insured_fee: Decimal = ZERO,
    *,
    places: Decimal = CENT,
) -> list[Decimal]:
    """Each line's taxable price: its ``totalPrice`` plus its share of freight and insurance.

    Freight and insurance are each split in proportion to the lines' values
    (:func:`split`), so the taxable prices add up to goods + freight + insurance exactly.

    >>> from decimal import Decimal as D
    >>> allocate([D("100.00"), D("200.00")], D("10.00"), D("1.00"))
    [Decimal('103.66'), Decimal('207.34')]
    """
    freight_shares = split(freight, totals, places=places)
    insurance_shares = split(insured_fee, totals, places=places)
    return [
        total + f + i for total, f, i in zip(totals, freight_shares, insurance_shares, strict=True)
    ]


def list_tax(
    lines: Sequence[TaxLine],
    *,
    freight: Decimal = ZERO,
    insured_fee: Decimal = ZERO,
    full_rate: bool = False,
    factor: Decimal = CBEC_FACTOR,
    rounding: Rounding = HALF_UP_CENTS,
) -> ListTax:
    """The tax of a whole list: freight and insurance allocated, each line taxed, summed.

    >>> from decimal import Decimal as D
    >>> cream = TaxLine(D("100.00"), Rates(vat=D("0.13"), consumption=D("0.15")))
    >>> milk = TaxLine(D("200.00"), Rates(vat=D("0.13")))
    >>> list_tax([cream, milk]).totals.total
    Decimal('41.26')
    """
    prices = allocate([line.total_price for line in lines], freight, insured_fee)
    taxed = tuple(
        line_tax(
            price,
            line.rates,
            quantity=line.quantity,
            full_rate=full_rate,
            factor=factor,
            rounding=rounding,
        )
        for price, line in zip(prices, lines, strict=True)
    )
    customs = sum((t.customs for t in taxed), ZERO)
    vat = sum((t.vat for t in taxed), ZERO)
    consumption = sum((t.consumption for t in taxed), ZERO)
    totals = LineTax(
        customs=customs,
        vat=vat,
        consumption=consumption,
        total=customs + vat + consumption,
        price=sum(prices, ZERO),
    )
    return ListTax(lines=taxed, totals=totals)


def within_tolerance(declared: Decimal, computed: Decimal, tolerance: Decimal) -> bool:
    """Whether a declared tax (taxTotal) is within ``tolerance`` CNY of the computed one.

    >>> from decimal import Decimal as D
    >>> within_tolerance(D("23.06"), D("23.07"), D("0.01"))
    True
    """
    _check_amount("tolerance", tolerance)
    return abs(declared - computed) <= tolerance


def effective_rate(rates: Rates, factor: Decimal = CBEC_FACTOR) -> Decimal:
    """Tax per CNY of taxable price within limits, ad valorem rates only: f (v + c) / (1 - c).

    >>> from decimal import Decimal as D
    >>> effective_rate(Rates(vat=D("0.13")))
    Decimal('0.091')
    """
    with localcontext() as context:
        context.prec = _PRECISION
        return factor * (rates.vat + rates.consumption) / (1 - rates.consumption)
