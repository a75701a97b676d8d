"""The order lifecycle as data: which status may follow which. Pure.

PENDING (stored, not sent) -> SUBMITTED -> OPEN -> PARTIALLY_FILLED -> FILLED, or CANCELLED / EXPIRED /
REJECTED; UNKNOWN is an ambiguous outcome (timeout, network) waiting for reconciliation by client id, which
may find the order in any state, or not at all (then REJECTED: it never landed).
"""

from __future__ import annotations

from core.domain import FINAL
from core.domain import OrderStatus as S

TERMINAL = FINAL
_LIVE = frozenset({S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED})

ALLOWED: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED}),
    S.SUBMITTED: _LIVE | {S.REJECTED, S.UNKNOWN},
    S.OPEN: (_LIVE - {S.OPEN}) | {S.UNKNOWN},
    S.PARTIALLY_FILLED: (_LIVE - {S.OPEN}) | {S.UNKNOWN},  # more partial fills keep it here
    S.UNKNOWN: _LIVE | {S.REJECTED},
    **{status: frozenset() for status in TERMINAL},
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow (a bug or a confused exchange reply)."""


def check_transition(current: S, new: S) -> None:
    if new not in ALLOWED[current]:
        if current in TERMINAL:
            raise IllegalTransition(f"the order is already {current.value}; it cannot become {new.value}")
        raise IllegalTransition(f"an order that is {current.value} cannot become {new.value}")
