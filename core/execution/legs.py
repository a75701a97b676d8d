"""From a sized plan to order legs, and from a position's state to the protective legs it should have. Pure.

Entry: one market order, or (profile `entry_style: limit`) limit orders at the call's entries - a ladder of
`ladder_steps` prices across a range. Protection: a reduce-only stop-market for what is open, and one
take-profit per target not yet hit, sized by the profile's split of what was entered (never more than is open).
Trailing stops and break-even moves only ever tighten the stop.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import EntryType, MarketRules, OrderSide, RiskProfile, Side
from core.market.rules import amount_to_step, minimum_problem, price_to_tick
from core.risk.targets import split


@dataclass(frozen=True)
class PlannedLeg:
    name: str  # entry | entry1.. | sl | tp1.. (the service adds a generation suffix when it replaces one)
    role: str  # entry | sl | tp
    order_type: str
    side: OrderSide
    amount: float
    price: float | None = None
    stop_price: float | None = None
    index: int = 0
    reduce_only: bool = False


@dataclass(frozen=True)
class Book:
    """What protection depends on: a position's side, open and entered amounts, stop and targets."""

    side: Side
    amount: float
    entered: float
    entry_price: float
    stop: float | None
    targets: tuple[float, ...]
    targets_hit: int


def ladder(low: float, high: float, steps: int, rules: MarketRules) -> tuple[float, ...]:
    if steps <= 1 or high <= low:
        return (price_to_tick((low + high) / 2, rules),)
    gap = (high - low) / (steps - 1)
    return tuple(price_to_tick(low + gap * i, rules) for i in range(steps))


def entry_legs(side: Side, entry_type: EntryType, entries: tuple[float, ...], amount: float, profile: RiskProfile,
               rules: MarketRules) -> list[PlannedLeg]:
    order_side = side.entry_order_side
    if profile.entry_style == "market" or entry_type is EntryType.MARKET or not entries:
        return [PlannedLeg("entry", "entry", "market", order_side, amount)]
    levels = ladder(min(entries), max(entries), profile.ladder_steps, rules) if entry_type is EntryType.RANGE \
        else tuple(set(entries))
    prices = tuple(sorted(levels, reverse=side is Side.LONG))  # the nearest to the market first
    for count in range(len(prices), 0, -1):  # fewer orders when each would be below the exchange minimum
        chosen = prices[:count] if count == len(prices) else _spread(prices, count)
        each = amount_to_step(amount / count, rules)
        if all(not minimum_problem(each, p, rules) for p in chosen):
            last = amount_to_step(amount - each * (count - 1), rules)
            return [PlannedLeg(f"entry{i + 1}", "entry", "limit", order_side, last if i == count - 1 else each,
                               price=p, index=i + 1) for i, p in enumerate(chosen)]
    return [PlannedLeg("entry1", "entry", "limit", order_side, amount, price=prices[0], index=1)]


def repriced_amount(rest: float, old_price: float, new_price: float, stop: float | None, rules: MarketRules
                    ) -> float:
    """What a resting entry's unfilled `rest` becomes at a new price: never more risk to the stop (a price nearer the
    stop buys less) and never more value (a higher price buys less), rounded down to the lot step."""
    scale = min(1.0, old_price / new_price)
    if stop is not None:  # an entry at the stop itself risks nothing it could be sized by: nothing is bought
        scale = min(scale, abs(old_price - stop) / abs(new_price - stop)) if new_price != stop else 0.0
    return amount_to_step(rest * scale, rules)


def _spread(prices: tuple[float, ...], count: int) -> tuple[float, ...]:
    if count == 1:
        return (prices[len(prices) // 2],)
    step = (len(prices) - 1) / (count - 1)
    return tuple(prices[round(i * step)] for i in range(count))


def protective_legs(book: Book, profile: RiskProfile, rules: MarketRules) -> list[PlannedLeg]:
    if book.amount <= 0:
        return []
    exit_side = book.side.exit_order_side
    legs = []
    if book.stop is not None:
        legs.append(PlannedLeg("sl", "sl", "stop_market", exit_side, book.amount, stop_price=book.stop,
                               reduce_only=True))
    left = book.amount
    for number, (price, planned) in enumerate(zip(book.targets, split(book.entered, book.targets, profile, rules),
                                                  strict=True), start=1):
        if number <= book.targets_hit or planned <= 0:
            continue
        take = amount_to_step(min(planned, left), rules)
        if take <= 0:
            break
        legs.append(PlannedLeg(f"tp{number}", "tp", "take_profit", exit_side, take, stop_price=price, index=number,
                               reduce_only=True))
        left = amount_to_step(left - take, rules)
    return legs


def tightened_stop(book: Book, best_price: float, profile: RiskProfile, rules: MarketRules) -> float | None:
    """A better stop than the current one from trailing or break-even rules, or None."""
    sign = 1 if book.side is Side.LONG else -1
    profit_pct = sign * (best_price - book.entry_price) / book.entry_price * 100 if book.entry_price else 0.0
    candidates: list[float] = []
    trailing, even = profile.trailing_stop, profile.break_even
    if trailing is not None and profit_pct >= trailing.activation_pct:
        candidates.append(best_price * (1 - sign * trailing.distance_pct / 100))
    if even is not None and ((even.after_target is not None and book.targets_hit >= even.after_target)
                             or (even.after_profit_pct is not None and profit_pct >= even.after_profit_pct)):
        candidates.append(book.entry_price)
    if not candidates:
        return None
    best = price_to_tick(max(candidates) if sign > 0 else min(candidates), rules)
    if book.stop is not None and sign * (best - book.stop) <= 0:
        return None
    return best
