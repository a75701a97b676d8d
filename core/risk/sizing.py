"""Position sizing and the entry-price check. Pure: numbers in, a SizedOrder or a Block out."""

from __future__ import annotations

from core.domain import Block, MarketRules, NewSignal, RiskProfile, Side, SizedOrder
from core.market.rules import amount_to_step, minimum_problem


def entry_problem(signal: NewSignal, price: float, max_deviation_pct: float) -> str | None:
    """Why a market entry at `price` would not honour the signal's entry zone and stop, or None."""
    stop = signal.stop_loss if isinstance(signal.stop_loss, float | int) else None
    long = signal.side is Side.LONG
    if stop is not None and ((long and price <= stop) or (not long and price >= stop)):
        return f"the price {price:g} is already past the stop-loss {stop:g}"
    if not signal.entries:
        return None
    low, high = min(signal.entries), max(signal.entries)
    slack = max_deviation_pct / 100
    if long and price > high * (1 + slack):
        return (f"the price {price:g} is more than {max_deviation_pct:g}% above the entry zone "
                f"{low:g}-{high:g}; not chasing it")
    if not long and price < low * (1 - slack):
        return (f"the price {price:g} is more than {max_deviation_pct:g}% below the entry zone "
                f"{low:g}-{high:g}; not chasing it")
    return None


def size_fixed_percentage(
    *, equity: float, price: float, signal: NewSignal, profile: RiskProfile, rules: MarketRules
) -> SizedOrder | Block:
    """Margin = position_pct of equity; notional = margin x leverage (the signal's, capped by the user's)."""
    if equity <= 0:
        return Block("equity", f"the account has no equity to trade with (balance {equity:g})")
    leverage = min(signal.leverage or 1.0, profile.max_leverage)
    margin = equity * profile.position_pct / 100
    amount = amount_to_step(margin * leverage / price, rules)
    problem = minimum_problem(amount, price, rules)
    if problem:
        return Block("exchange_minimum", f"position too small: {problem}")
    notional = amount * price
    capped = f", leverage capped at {leverage:g}x" if signal.leverage and signal.leverage > leverage else ""
    return SizedOrder(
        amount=amount,
        price=price,
        notional=notional,
        margin=notional / leverage,
        leverage=leverage,
        rule="percentage",
        reason=f"{profile.position_pct:g}% of equity {equity:,.2f} as margin at {leverage:g}x{capped}",
    )
