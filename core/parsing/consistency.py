"""Consistency decides what the labels leave open: a long's stop lies below its entry and its targets above, in
order from the nearest (a short the reverse). Unlabelled prices after the entry ("BTC LONG 60000 58000 62000
64000") are assigned by that rule; targets written from the farthest are put nearest first. What cannot be made
consistent is left as written, and `validate` rejects it with the reason."""

from __future__ import annotations

from itertools import pairwise
from typing import Final

from core.domain import Side
from core.parsing.draft import Draft
from core.parsing.lexicon import LONG_WORDS, SHORT_WORDS

SIDE_LABELS: Final = frozenset(LONG_WORDS | SHORT_WORDS | {"side"})

MAX_UNLABELLED: Final = 8  # more loose numbers than this are not a call's levels
PLAUSIBLE: Final = 10.0  # a level further than this many times from the entry is not one of its levels


def split_side_prices(draft: Draft) -> None:
    """"BTC LONG 60000 58000 62000 64000": the prices after a bare side word are the entry (one price, or a
    joined zone) and then the levels; the rest goes to the unlabelled prices for `unlabelled_levels`."""
    if any(s.values for s in draft.sections if s.kind in ("tp", "stop")):
        return
    section = next((s for s in draft.sections if s.kind == "entry" and s.values), None)
    if section is None or section.label not in SIDE_LABELS or len(section.values) < 3:
        return
    keep = 2 if section.values[1].joined else 1
    draft.orphans.extend(section.values[keep:])
    del section.values[keep:]


def unlabelled_levels(draft: Draft, anchor: float, side: Side | None,
                      after: int) -> tuple[float | None, tuple[float, ...]] | None:
    """(stop, targets) from the unlabelled prices written after token `after`, when they fit around `anchor`."""
    loose = [v.number for v in draft.orphans if v.at > after]
    if not loose or len(loose) > MAX_UNLABELLED or side is None:
        return None
    if any(not 1 / PLAUSIBLE < value / anchor < PLAUSIBLE for value in loose):
        return None
    below = [value for value in loose if value < anchor]
    above = [value for value in loose if value > anchor]
    stops, targets = (below, above) if side is Side.LONG else (above, below)
    if len(stops) > 1 or not targets:
        return None
    return (stops[0] if stops else None), nearest_first(tuple(targets), side)


def nearest_first(targets: tuple[float, ...], side: Side) -> tuple[float, ...]:
    """Targets in the order they are reached: a list written from the farthest is reversed."""
    if len(targets) < 2:
        return targets
    ascending = all(a < b for a, b in pairwise(targets))
    descending = all(a > b for a, b in pairwise(targets))
    if (side is Side.LONG and descending) or (side is Side.SHORT and ascending):
        return targets[::-1]
    return targets


def entry_before_levels(draft: Draft, stop: float | None, targets: tuple[float, ...]) -> tuple[float, ...]:
    """"ETH 空 3150 止损 3220 止盈 3050", "SOL 150-152 多 防守145 目标160": an unlabelled price (or joined zone)
    written before the labelled levels is the entry when the stop lies on one side of it and every target on
    the other. Empty when there is no such price."""
    if stop is None or not targets:
        return ()
    first_label = min((v.at for s in draft.sections if s.kind in ("tp", "stop") for v in s.values), default=-1)
    before = [v for v in draft.orphans if 0 <= v.at < first_label]
    if not (len(before) == 1 or (len(before) == 2 and before[1].joined)):
        return ()
    prices = tuple(v.number for v in before)
    low, high = min(prices), max(prices)
    if (stop < low and high < min(targets)) or (stop > high and low > max(targets)):
        return prices
    return ()
