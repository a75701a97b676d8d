"""Exchange precision rules as data, and exact rounding with them (Decimal, never float arithmetic)."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path

from core.domain import MarketRules

_TABLE = Path(__file__).with_name("paper_markets.json")


@cache
def _table() -> dict[str, dict[str, float]]:
    raw: dict[str, dict[str, float]] = json.loads(_TABLE.read_text())
    return {k: v for k, v in raw.items() if not k.startswith("_comment")}


def paper_rules(symbol: str) -> MarketRules:
    """The paper exchange's rules for `symbol` (Binance's filters where known)."""
    table = _table()
    return MarketRules(**table.get(symbol, table["_default"]))


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


def amount_to_step(amount: float, rules: MarketRules) -> float:
    """Round an order amount down to the lot step (never up: never more than was sized)."""
    step = _dec(rules.amount_step)
    return float((_dec(amount) / step).to_integral_value(rounding=ROUND_DOWN) * step)


def price_to_tick(price: float, rules: MarketRules) -> float:
    """Round a price to the nearest tick."""
    tick = _dec(rules.price_tick)
    return float((_dec(price) / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick)


def minimum_problem(amount: float, price: float, rules: MarketRules, *, reduce_only: bool = False) -> str | None:
    """Why an order of `amount` at `price` would be refused by the exchange, or None. A reduce-only order is
    exempt from the minimum notional (as on Binance USDT-M futures), not from the minimum amount."""
    if amount <= 0 or amount < rules.min_amount:
        return f"amount {amount:g} is below the exchange minimum {rules.min_amount:g}"
    if reduce_only:
        return None
    notional = float(_dec(amount) * _dec(price))
    if notional < rules.min_notional:
        return f"order value {notional:.2f} is below the exchange minimum {rules.min_notional:g}"
    return None
