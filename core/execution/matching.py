"""The paper exchange's matching rules. Pure: an order and a price (or a bar) in, a fill (or none) out.

- market: fills at once at the quote (taker).
- limit: fills at once as a taker when marketable at the quote, else rests; a resting buy fills when the bar's
  low reaches its price (at the price, or at the open when the bar gapped through it), a sell when the high does.
- stop_market / take_profit: rest until the bar's high/low touches the trigger, then fill as a market order at
  the trigger (or at the open when the bar gapped past it). A trigger that the current price has already passed
  is refused, as exchanges do ("would trigger immediately").
- stop_limit: the trigger turns it into a limit at its price: filled at the trigger when that is marketable,
  else resting like any limit.
- A bar fills at most `volume_share` of its volume for one order; the rest stays open (a partial fill).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import Bar, OrderSide
from core.execution.gateway import OrderRejected

BUY = OrderSide.BUY


@dataclass(frozen=True)
class Match:
    amount: float
    price: float
    maker: bool


@dataclass
class Resting:
    side: OrderSide
    order_type: str
    remaining: float
    price: float | None
    stop_price: float | None
    triggered: bool = False


def _trigger_passed(order: Resting, price: float) -> bool:
    stop = order.stop_price
    assert stop is not None  # noqa: S101 - triggered types carry a stop price (checked on create)
    rises = (order.side is BUY) == (order.order_type != "take_profit")  # buy-stop / sell-TP wait for a rise
    return price >= stop if rises else price <= stop


def _marketable(side: OrderSide, limit: float, price: float) -> bool:
    return price <= limit if side is BUY else price >= limit


def on_create(order: Resting, price: float) -> Match | None:
    """What happens when the order arrives with the market at `price`."""
    if order.order_type == "market":
        return Match(order.remaining, price, maker=False)
    if order.order_type in ("stop_market", "stop_limit", "take_profit"):
        if order.stop_price is None:
            raise OrderRejected(f"a {order.order_type} order needs a trigger price")
        if _trigger_passed(order, price):
            raise OrderRejected(f"the trigger {order.stop_price:g} would fire immediately (price is {price:g})",
                                "triggered")
        if order.order_type == "stop_limit" and order.price is None:
            raise OrderRejected("a stop_limit order needs a limit price")
        return None
    if order.order_type == "limit":
        if order.price is None:
            raise OrderRejected("a limit order needs a price")
        return Match(order.remaining, price, maker=False) if _marketable(order.side, order.price, price) else None
    raise OrderRejected(f"unknown order type {order.order_type}")


def touched(order: Resting, bar: Bar) -> bool:
    """Whether the bar reached the order's trigger."""
    high_side = (order.side is BUY) == (order.order_type != "take_profit")
    stop = order.stop_price or 0.0
    return bar.high >= stop if high_side else bar.low <= stop


def on_bar(order: Resting, bar: Bar, volume_share: float) -> Match | None:
    """Advance a resting order through one bar; sets `order.triggered` when its trigger is touched."""
    just_triggered = False
    if order.order_type in ("stop_market", "stop_limit", "take_profit") and not order.triggered:
        if not touched(order, bar):
            return None
        order.triggered = just_triggered = True
    cap = min(order.remaining, bar.volume * volume_share)
    if cap <= 0:
        return None
    if order.order_type in ("stop_market", "take_profit") or just_triggered:
        at = bar.open if _trigger_passed(order, bar.open) else (order.stop_price or bar.open)
        if order.order_type != "stop_limit":
            return Match(cap, at, maker=False)
        if order.price is not None and _marketable(order.side, order.price, at):
            return Match(cap, at, maker=False)  # the new limit meets the market at the trigger
    limit = order.price
    assert limit is not None  # noqa: S101 - limit and stop_limit orders have a price (checked on create)
    if order.side is BUY and bar.low <= limit:
        return Match(cap, min(limit, bar.open), maker=True)
    if order.side is not BUY and bar.high >= limit:
        return Match(cap, max(limit, bar.open), maker=True)
    return None
