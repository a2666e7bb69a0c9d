"""The book arithmetic: every movement's rule, and that no sequence makes it negative."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbec.warehouse.ledger import Book, Kind, StockError, apply, discrepancy_score

D = Decimal


def test_inbound_reserve_outbound_return() -> None:
    book = apply(Book(D(0), D(0)), Kind.INBOUND, D(10)).book
    book = apply(book, Kind.RESERVE, D(4)).book
    assert (book.on_hand, book.reserved, book.available) == (D(10), D(4), D(6))
    change = apply(book, Kind.OUTBOUND, D(4))
    assert (change.on_hand_delta, change.reserved_delta) == (D(-4), D(-4))
    book = apply(change.book, Kind.RETURN, D(1)).book
    assert book == Book(D(7), D(0))


def test_reserving_more_than_is_free_is_refused() -> None:
    book = Book(D(5), D(3))
    with pytest.raises(StockError) as caught:
        apply(book, Kind.RESERVE, D(3))
    assert caught.value.rule == "stock.available"
    assert "only 2 free" in caught.value.message


def test_moving_out_more_than_reserved_is_refused() -> None:
    with pytest.raises(StockError) as caught:
        apply(Book(D(5), D(1)), Kind.OUTBOUND, D(2))
    assert caught.value.rule == "stock.reserved"


def test_adjustment_cannot_take_the_book_under_zero_or_under_reservations() -> None:
    with pytest.raises(StockError) as below_zero:
        apply(Book(D(2), D(0)), Kind.ADJUSTMENT, D(-3))
    assert below_zero.value.rule == "stock.negative"
    with pytest.raises(StockError) as under_reserved:
        apply(Book(D(5), D(4)), Kind.ADJUSTMENT, D(-2))
    assert under_reserved.value.rule == "stock.reserved"
    assert apply(Book(D(5), D(4)), Kind.ADJUSTMENT, D(-1)).book == Book(D(4), D(4))


def test_quantities_must_be_positive() -> None:
    with pytest.raises(StockError) as caught:
        apply(Book(D(5), D(0)), Kind.INBOUND, D(0))
    assert caught.value.rule == "stock.quantity"


def test_discrepancy_score() -> None:
    assert discrepancy_score(D(10), D(10)) == 0.0
    assert discrepancy_score(D(10), D(8)) == pytest.approx(0.2)
    assert discrepancy_score(D(4), D(100)) == 1.0


MOVES = st.lists(
    st.tuples(
        st.sampled_from(list(Kind)),
        st.integers(min_value=-20, max_value=20).map(Decimal),
    ),
    max_size=40,
)


@settings(deadline=None)
@given(MOVES)
def test_no_sequence_of_movements_leaves_a_negative_book(moves: list[tuple[Kind, Decimal]]) -> None:
    """Whatever is attempted, each accepted movement leaves 0 <= reserved <= on hand, and
    the book equals the sum of the accepted deltas (a simple reference)."""
    book = Book(D(0), D(0))
    on_hand_sum, reserved_sum = D(0), D(0)
    for kind, qty in moves:
        try:
            change = apply(book, kind, qty)
        except StockError:
            continue
        book = change.book
        on_hand_sum += change.on_hand_delta
        reserved_sum += change.reserved_delta
        assert 0 <= book.reserved <= book.on_hand
    assert book == Book(on_hand_sum, reserved_sum)
