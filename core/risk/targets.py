"""Dividing a position across its take-profit targets as the user's profile says."""

from __future__ import annotations

from decimal import Decimal

from core.domain import MarketRules, RiskProfile
from core.market.rules import amount_to_step, minimum_problem


def shares(profile: RiskProfile, targets: int) -> list[float]:
    """Fraction of the position per target (sums to <= 1; the rest is the remainder)."""
    if targets <= 0:
        return []
    if profile.tp_split == "even":
        return [1 / targets] * targets
    if profile.tp_split == "front":  # n, n-1, ..., 1: the first target takes the most
        total = targets * (targets + 1) / 2
        return [(targets - i) / total for i in range(targets)]
    custom = [share / 100 for share in profile.tp_custom[:targets]]
    return custom + [0.0] * (targets - len(custom))


def _exact_sum(*values: float) -> float:
    """Add amounts without float drift (0.333 + 0.334 is 0.667, not 0.6670000000000001)."""
    return float(sum((Decimal(repr(v)) for v in values), Decimal(0)))


def split(quantity: float, prices: tuple[float, ...], profile: RiskProfile, rules: MarketRules) -> tuple[float, ...]:
    """Amount to close at each target, rounded down to the step.

    A leg below the exchange minimum is folded into the next one (the last into the one before). What is
    left (shares under 100%, rounding) goes to the last target, or stays open when the profile keeps it open.
    """
    if not prices or quantity <= 0:
        return ()
    amounts = [amount_to_step(quantity * share, rules) for share in shares(profile, len(prices))]
    carry = 0.0
    for i, price in enumerate(prices):
        amounts[i] = amount_to_step(_exact_sum(amounts[i], carry), rules)
        carry = 0.0
        if amounts[i] > 0 and minimum_problem(amounts[i], price, rules) and i + 1 < len(prices):
            carry, amounts[i] = amounts[i], 0.0
    if profile.tp_remainder == "last_target":
        amounts[-1] = amount_to_step(_exact_sum(quantity, *(-a for a in amounts[:-1])), rules)
    last = len(amounts) - 1
    if amounts[last] > 0 and minimum_problem(amounts[last], prices[last], rules):
        live = [i for i in range(last) if amounts[i] > 0]
        if live:
            amounts[live[-1]] = amount_to_step(_exact_sum(amounts[live[-1]], amounts[last]), rules)
            amounts[last] = 0.0
    return tuple(amounts)
