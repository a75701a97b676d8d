"""Checks a parsed trade call for consistency; returns a reason a person understands, or None."""

from __future__ import annotations

from core.domain import NewSignal, Side


def _fmt(value: float) -> str:
    return f"{value:g}"


def problem_with(signal: NewSignal) -> str | None:
    """None when the call is consistent; otherwise why it is not a trade."""
    if any(price <= 0 for price in signal.entries):
        return "an entry price is zero or negative"
    if signal.leverage is not None and not 1 <= signal.leverage <= 200:
        return f"leverage {_fmt(signal.leverage)}x is outside 1x-200x"
    if not signal.entries:
        return None  # market entry: levels are checked against the live price later
    low, high = min(signal.entries), max(signal.entries)
    long = signal.side is Side.LONG
    word = "long" if long else "short"
    stop = signal.stop_loss
    if isinstance(stop, float | int):
        if long and stop >= low:
            return f"a long's stop-loss ({_fmt(stop)}) must be below the entry ({_fmt(low)})"
        if not long and stop <= high:
            return f"a short's stop-loss ({_fmt(stop)}) must be above the entry ({_fmt(high)})"
    for number, target in enumerate(signal.take_profits, start=1):
        if not isinstance(target, float | int):
            continue
        if long and target <= low:
            return f"target {number} ({_fmt(target)}) is not above the {word} entry ({_fmt(low)})"
        if not long and target >= high:
            return f"target {number} ({_fmt(target)}) is not below the {word} entry ({_fmt(high)})"
    return None
