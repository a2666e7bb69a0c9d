"""The arithmetic of a bonded stock book, with no database in sight.

A book holds ``on_hand`` (in the warehouse) and ``reserved`` (of it, promised to approved
lists not yet released). Every movement changes them by a known rule; none may take either
below zero, nor reserve more than is free.

>>> book = Book(Decimal(10), Decimal(0))
>>> book = apply(book, Kind.RESERVE, Decimal(4)).book
>>> book.available
Decimal('6')
>>> apply(book, Kind.OUTBOUND, Decimal(4)).book
Book(on_hand=Decimal('6'), reserved=Decimal('0'))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Kind(StrEnum):
    """What a movement is."""

    INBOUND = "inbound"  # goods entered (CEB711)
    ENTRY_REVERSAL = "reversal"  # an entry modified or withdrawn (CEB711 appType 2/3)
    RESERVE = "reserve"  # a 1210 list approved
    UNRESERVE = "unreserve"  # that list rejected or returned before leaving
    OUTBOUND = "outbound"  # that list released: the goods leave
    SEIZURE = "seizure"  # that list seized: the goods leave with anti-smuggling
    RETURN = "return"  # a released list cancelled or returned: the goods come back
    ADJUSTMENT = "adjustment"  # an officer's correction, with a reason


class StockError(ValueError):
    """A movement the book cannot take; ``rule`` names the rule it broke."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Book:
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        """What may still be reserved."""
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Change:
    """A movement applied: the new book and the deltas to record."""

    book: Book
    on_hand_delta: Decimal
    reserved_delta: Decimal


def apply(book: Book, kind: Kind, qty: Decimal) -> Change:
    """Apply ``qty`` of ``kind`` to ``book``. ``qty`` is positive except for an adjustment
    (signed) and an entry reversal (the negative of what the entry had added).

    Raises :class:`StockError` when the book would go negative or reserve more than is free.
    """
    if kind not in (Kind.ADJUSTMENT, Kind.ENTRY_REVERSAL) and qty <= 0:
        raise StockError("stock.quantity", f"a {kind.value} moves a quantity above zero")
    q = _text
    on_hand, reserved = ZERO, ZERO
    if kind in (Kind.INBOUND, Kind.RETURN, Kind.ADJUSTMENT, Kind.ENTRY_REVERSAL):
        on_hand = qty
    elif kind is Kind.RESERVE:
        if qty > book.available:
            raise StockError(
                "stock.available", f"{q(qty)} asked for, only {q(book.available)} free to reserve"
            )
        reserved = qty
    elif kind is Kind.UNRESERVE:
        if qty > book.reserved:
            raise StockError(
                "stock.reserved", f"{q(qty)} to release, only {q(book.reserved)} reserved"
            )
        reserved = -qty
    else:  # OUTBOUND, SEIZURE: the reservation leaves with the goods
        if qty > book.reserved:
            raise StockError(
                "stock.reserved",
                f"{q(qty)} to move out, only {q(book.reserved)} reserved for it",
            )
        on_hand, reserved = -qty, -qty
    after = Book(book.on_hand + on_hand, book.reserved + reserved)
    if after.on_hand < 0:
        raise StockError(
            "stock.negative",
            f"the book would go to {q(after.on_hand)} (on hand {q(book.on_hand)})",
        )
    if after.reserved > after.on_hand:
        raise StockError(
            "stock.reserved",
            f"on hand would be {q(after.on_hand)}, under the {q(after.reserved)} reserved for "
            "approved lists",
        )
    return Change(after, on_hand, reserved)


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def discrepancy_score(book: Decimal, counted: Decimal) -> float:
    """How strong a count's discrepancy is, 0..1: the share of the book that is missing
    (or extra), capped at 1.

    >>> discrepancy_score(Decimal(100), Decimal(90))
    0.1
    >>> discrepancy_score(Decimal(0), Decimal(3))
    1.0
    """
    if book == counted:
        return 0.0
    if book == 0:
        return 1.0
    return min(1.0, float(abs(book - counted) / book))
