"""Position sizing: the profile's sizing mode and every cap each propose a quantity; the smallest binds.

Pure: numbers in, a Sizing (with the binding rule) or a blocking Check out. Quantities are rounded down
to the exchange's step and checked against its minimums here, before anything is sent.
"""

from __future__ import annotations

from core.market.rules import amount_to_step, minimum_problem
from core.risk.checks import daily_room, heat_room
from core.risk.inputs import Check, Plan, Sizing, TradeRequest

KELLY_MIN_TRADES = 20


def _base(req: TradeRequest, plan: Plan, distance: float) -> tuple[str, float, str] | Check:
    """(rule, quantity, reason) of the profile's sizing mode, before caps."""
    profile, equity = req.profile, req.equity
    mode = profile.sizing_mode
    note = ""
    if mode == "kelly":
        record = req.provider
        if record.closed_trades < KELLY_MIN_TRADES:
            mode = "percentage"
            note = f" (kelly needs {KELLY_MIN_TRADES} closed trades of this provider, it has {record.closed_trades})"
        else:
            fraction = profile.kelly_fraction * record.kelly()
            if fraction <= 0:
                return Check("kelly", "block", f"this provider's record ({record.wins}/{record.closed_trades} wins) "
                                               "shows no edge: Kelly sizes it at zero")
            risk = equity * fraction
            return ("kelly", risk / distance,
                    f"{profile.kelly_fraction:g} Kelly = {fraction:.2%} of equity at risk "
                    f"({record.wins}/{record.closed_trades} wins)")
    if mode == "risk":
        risk = equity * profile.risk_pct / 100
        return "risk_pct", risk / distance, f"risking {profile.risk_pct:g}% of equity ({risk:,.2f}) to the stop"
    if mode == "fixed":
        margin = profile.fixed_amount
        return ("fixed_amount", margin * plan.leverage / plan.entry,
                f"fixed margin {margin:,.2f} at {plan.leverage:g}x")
    margin = equity * profile.position_pct / 100
    return ("position_pct", margin * plan.leverage / plan.entry,
            f"{profile.position_pct:g}% of equity ({margin:,.2f}) as margin at {plan.leverage:g}x{note}")


def _caps(req: TradeRequest, plan: Plan, distance: float) -> dict[str, tuple[float, str]]:
    profile, equity = req.profile, req.equity
    caps: dict[str, tuple[float, str]] = {
        "max_risk_pct": (equity * profile.max_risk_pct / 100 / distance,
                         f"capped by your max risk per trade ({profile.max_risk_pct:g}% of equity)"),
        "available_margin": (equity * plan.leverage / plan.entry,
                             f"capped by the equity available as margin ({equity:,.2f} at {plan.leverage:g}x)"),
    }
    if profile.max_position_size is not None:
        caps["max_position_size"] = (profile.max_position_size / plan.entry,
                                     f"capped by your max position size ({profile.max_position_size:,.2f})")
    room = heat_room(req)
    if room is not None:
        caps["portfolio_heat"] = (max(room, 0.0) / distance,
                                  f"capped by portfolio heat ({room:,.2f} of risk left to your limit)")
    room = daily_room(req)
    if room is not None:
        caps["daily_loss"] = (max(room, 0.0) / distance,
                              f"capped so a stop-out stays within today's loss limit ({room:,.2f} left)")
    exchange_limit = profile.exchange_daily_loss.get(req.exchange.lower())
    if exchange_limit is not None:
        room = exchange_limit - req.day_loss_by_exchange.get(req.exchange.lower(), 0.0)
        caps["exchange_daily_loss"] = (max(room, 0.0) / distance,
                                       f"capped by the daily loss limit on {req.exchange} ({room:,.2f} left)")
    return caps


def size(req: TradeRequest, plan: Plan) -> Sizing | Check:
    """The quantity for `plan` (its stop must be set), or the check that blocks it."""
    if plan.stop is None or plan.stop == plan.entry:
        return Check("stop_loss", "block", "no stop distance to size the position from")
    distance = abs(plan.entry - plan.stop)
    base = _base(req, plan, distance)
    if isinstance(base, Check):
        return base
    rule, quantity, reason = base
    if plan.scale < 1:
        quantity *= plan.scale
        reason += f", scaled to {plan.scale:.0%} (chase guard)"
    limits = {rule: quantity}
    for cap_rule, (cap_quantity, cap_reason) in _caps(req, plan, distance).items():
        limits[cap_rule] = cap_quantity
        if cap_quantity < quantity:
            rule, quantity, reason = cap_rule, cap_quantity, cap_reason
    if quantity <= 0:
        return Check(rule, "block", reason.replace("capped", "blocked", 1))
    amount = amount_to_step(quantity, req.rules)
    problem = minimum_problem(amount, plan.entry, req.rules)
    if problem:
        return Check("exchange_minimum", "block", f"position too small ({reason}): {problem}")
    notional = amount * plan.entry
    return Sizing(quantity=amount, notional=notional, margin=notional / plan.leverage, risk_amount=amount * distance,
                  binding_rule=rule, reason=reason, limits=limits)
