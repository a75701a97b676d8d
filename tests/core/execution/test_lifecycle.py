"""The order state machine: legal and illegal moves, and properties of random walks (fixed seed)."""

from __future__ import annotations

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from core.domain import OrderStatus as S
from core.execution.lifecycle import ALLOWED, TERMINAL, IllegalTransition, check_transition


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.PENDING, S.SUBMITTED), (S.SUBMITTED, S.FILLED), (S.SUBMITTED, S.UNKNOWN), (S.UNKNOWN, S.FILLED),
     (S.UNKNOWN, S.REJECTED), (S.OPEN, S.PARTIALLY_FILLED), (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED),
     (S.PARTIALLY_FILLED, S.CANCELLED), (S.OPEN, S.EXPIRED), (S.PENDING, S.REJECTED)],
)
def test_legal_moves(current: S, new: S) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [(S.FILLED, S.OPEN, "the order is already filled; it cannot become open"),
     (S.REJECTED, S.SUBMITTED, "the order is already rejected; it cannot become submitted"),
     (S.PENDING, S.FILLED, "an order that is pending cannot become filled"),
     (S.PENDING, S.UNKNOWN, "an order that is pending cannot become unknown"),
     (S.PARTIALLY_FILLED, S.OPEN, "an order that is partially_filled cannot become open")],
)
def test_illegal_moves_are_refused_with_a_reason(current: S, new: S, message: str) -> None:
    with pytest.raises(IllegalTransition, match=message):
        check_transition(current, new)


def test_every_status_is_reachable_from_pending_and_terminal_states_have_no_way_out() -> None:
    seen, todo = {S.PENDING}, [S.PENDING]
    while todo:
        for nxt in ALLOWED[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(S)
    assert all(not ALLOWED[status] for status in TERMINAL)


@seed(20261121)
@settings(max_examples=300)
@given(st.lists(st.sampled_from(list(S)), max_size=12))
def test_random_walks_accept_only_allowed_moves_and_never_leave_a_terminal_state(steps: list[S]) -> None:
    status = S.PENDING
    for step in steps:
        legal = step in ALLOWED[status]
        try:
            check_transition(status, step)
        except IllegalTransition:
            assert not legal
            continue
        assert legal and status not in TERMINAL
        status = step
