"""The declaration state machine refuses illegal transitions with a clear reason."""

from __future__ import annotations

import pytest

from cbec.clearance.states import IllegalTransition, can_move, check_move


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (120, 399),
        (120, 300),
        (120, 100),
        (300, 399),
        (300, 100),
        (399, 500),
        (399, 800),
        (500, 800),
        (500, 502),
        (500, 700),
        (502, 800),
        (800, 899),
        (700, 899),
    ],
)
def test_allowed(current: int, target: int) -> None:
    check_move(current, target)
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"), [(100, 800), (120, 800), (300, 800), (800, 100), (899, 800), (500, 300)]
)
def test_refused(current: int, target: int) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_move(current, target)
    assert f"cannot move to {target}" in refused.value.detail
    assert refused.value.status_code == 409


def test_final_states_say_so() -> None:
    with pytest.raises(IllegalTransition, match="it is final"):
        check_move(100, 399)
