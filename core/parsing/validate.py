"""Checks a parsed trade call for consistency; returns a reason a person understands, or None."""

from __future__ import annotations

from typing import Final

from core.domain import NewSignal, Side


def _fmt(value: float) -> str:
    return f"{value:g}"


MAX_LEVEL_RATIO: Final = 10.0  # a target or stop this many times away from the entry is a typo, not a plan


def _too_far(level: float, anchor: float) -> bool:
    return level <= 0 or max(level / anchor, anchor / level) > MAX_LEVEL_RATIO


def _far_level(signal: NewSignal, anchor: float) -> str | None:
    """The first target, then the stop, too far from the entry to be meant (named only when found)."""
    named: tuple[str, float] | None = None
    for n, target in enumerate(signal.take_profits, start=1):
        if isinstance(target, float | int) and _too_far(target, anchor):
            named = (f"target {n}", target)
            break
    stop = signal.stop_loss
    if named is None and isinstance(stop, float | int) and _too_far(stop, anchor):
        named = ("the stop-loss", stop)
    if named is None:
        return None
    name, level = named
    return f"{name} ({_fmt(level)}) is more than {MAX_LEVEL_RATIO:g}x away from the entry ({_fmt(anchor)}): a typo?"


def problem_with(signal: NewSignal) -> str | None:
    """None when the call is consistent; otherwise why it is not a trade."""
    if any(price <= 0 for price in signal.entries):
        return "an entry price is zero or negative"
    if signal.leverage is not None and not 1 <= signal.leverage <= 200:
        return f"leverage {_fmt(signal.leverage)}x is outside 1x-200x"
    reference = signal.extras.get("reference_price")
    anchors = signal.entries or ((float(reference),) if reference else ())
    if not anchors:
        return None  # market entry without a quoted price: levels are checked against the live price later
    anchor = sum(anchors) / len(anchors)
    if anchor <= 0:
        return f"the quoted entry price ({_fmt(anchor)}) is zero or negative"
    typo = _far_level(signal, anchor)
    if typo:
        return typo
    if not signal.entries:
        return None
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
