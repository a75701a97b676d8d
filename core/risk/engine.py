"""The risk engine: run every rule over one user's view of a call, then size what is left.

`evaluate` is pure (the clock comes in on the request). The first block decides; otherwise the decision
names the rule that bound the size, and every check's verdict is kept for "why".
"""

from __future__ import annotations

from core.domain import EntryType, Side
from core.risk.checks import RULES, Rule, reward_risk
from core.risk.inputs import Check, Plan, RiskDecision, Sizing, TradeRequest
from core.risk.sizing import size
from core.risk.targets import split


def initial_plan(req: TradeRequest) -> Plan:
    signal = req.signal
    stop = float(signal.stop_loss) if isinstance(signal.stop_loss, float | int) else None
    long = signal.side is Side.LONG
    # targets already behind the market price are not targets any more
    targets = tuple(float(t) for t in signal.take_profits
                    if isinstance(t, float | int) and (t > req.price if long else t < req.price))
    entry = req.price
    if resting_entries(req):  # limit entries: sized at the prices they will fill at, not today's price
        entry = sum(signal.entries) / len(signal.entries)
    return Plan(entry=entry, stop=stop, targets=targets, leverage=float(signal.leverage or 1.0))


def resting_entries(req: TradeRequest) -> bool:
    return req.profile.entry_style == "limit" and req.signal.entry_type is not EntryType.MARKET \
        and bool(req.signal.entries)


def evaluate(req: TradeRequest, rules: tuple[Rule, ...] = RULES) -> RiskDecision:
    plan = initial_plan(req)
    checks: list[Check] = []
    for rule in rules:
        check, plan = rule.check(req, plan)
        checks.append(check)
        if check.verdict == "block":
            return RiskDecision("block", check.rule, check.reason, tuple(checks), plan)
    sized = size(req, plan)
    if isinstance(sized, Check):
        checks.append(sized)
        return RiskDecision("block", sized.rule, sized.reason, tuple(checks), plan)
    checks.append(Check(sized.binding_rule, "adjust" if sized.binding_rule in _CAPS else "allow", sized.reason))
    amounts = split(sized.quantity, plan.targets, req.profile, req.rules)
    return RiskDecision("trade", sized.binding_rule, describe(plan, sized), tuple(checks), plan, sized, amounts)


_CAPS = frozenset({"max_risk_pct", "available_margin", "max_position_size", "portfolio_heat", "daily_loss",
                   "exchange_daily_loss"})


def describe(plan: Plan, sized: Sizing) -> str:
    """One line a user reads: the size, why that size, and what was adjusted."""
    parts = [f"{sized.quantity:g} (notional {sized.notional:,.2f}, margin {sized.margin:,.2f} at "
             f"{plan.leverage:g}x, {sized.risk_amount:,.2f} at risk to the stop {plan.stop:g}): {sized.reason}"]
    if plan.targets and plan.stop is not None:
        parts.append(f"reward:risk {reward_risk(plan.entry, plan.stop, plan.targets[0]):.2f} to the first target")
    parts.extend(plan.notes)
    return "; ".join(parts)
