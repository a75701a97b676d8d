"""The position size calculator behind `/calc`, the dashboard and `signalcord calc`.

It sizes with the same code as live decisions (core.risk.sizing), so what it shows is what a signal
with these levels would get.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.domain import EntryType, MarketRules, NewSignal, RiskProfile, Side
from core.risk.checks import daily_room, heat_room, reward_risk
from core.risk.inputs import Check, Exposure, Plan, TradeRequest
from core.risk.sizing import size
from core.risk.targets import split

# the calculator has no exchange in mind unless given one: no step rounding, no minimums
FREE_MARKET = MarketRules(amount_step=1e-12, price_tick=1e-12)
_UNDATED = datetime.fromtimestamp(0, UTC)  # sizing reads no clock; the request just needs a time


class CalcError(ValueError):
    """Inputs that do not describe a trade (shown to the user as written)."""


class CalcResult(BaseModel):
    """The position calculator's answer: size, risk, reward:risk per target, the rule that bound the size and
    how many such positions the limits leave room for (the front-ends show it as it is)."""

    model_config = ConfigDict(frozen=True)

    side: str
    quantity: float
    notional: float
    margin: float
    risk_amount: float
    risk_pct: float
    rr: list[float]
    tp_amounts: list[float]
    binding_rule: str
    reason: str
    positions_allowed: int
    limits: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _allowed(req: TradeRequest, risk: float, margin: float) -> int:
    """How many positions like this one the limits leave room for (this one included)."""
    profile, equity = req.profile, req.equity
    counts = [math.floor(equity / margin + 1e-9)] if margin > 0 else []
    if profile.max_open_positions is not None:
        counts.append(profile.max_open_positions - len(req.open_positions))
    if risk > 0:
        counts.extend(math.floor(room / risk + 1e-9) for room in (heat_room(req), daily_room(req))
                      if room is not None)
    return max(0, min(counts)) if counts else 0


def calculate(*, balance: float, entry: float, stop: float, profile: RiskProfile, targets: tuple[float, ...] = (),
              leverage: float = 1.0, rules: MarketRules = FREE_MARKET, open_positions: tuple[Exposure, ...] = (),
              day_loss: float = 0.0) -> CalcResult:
    if balance <= 0 or entry <= 0 or stop <= 0:
        raise CalcError("balance, entry and stop must be above 0")
    if stop == entry:
        raise CalcError("the stop equals the entry: there is no risk distance to size from")
    if leverage < 1:
        raise CalcError("leverage is 1 or more")
    side = Side.LONG if stop < entry else Side.SHORT
    wrong = [t for t in targets if (t <= entry if side is Side.LONG else t >= entry)]
    if wrong:
        raise CalcError(f"target {wrong[0]:g} is on the stop's side of the entry {entry:g} ({side.value})")
    capped = min(leverage, profile.max_leverage)
    signal = NewSignal(symbol="CALC/QUOTE", side=side, entry_type=EntryType.LIMIT, entries=(entry,),
                       take_profits=targets, stop_loss=stop, leverage=capped)
    req = TradeRequest(signal=signal, profile=profile, price=entry, equity=balance, rules=rules, now=_UNDATED,
                       posted_at=_UNDATED, open_positions=open_positions, day_loss=day_loss)
    plan = Plan(entry=entry, stop=stop, targets=targets, leverage=capped)
    sized = size(req, plan)
    rr = [round(reward_risk(entry, stop, t), 4) for t in targets]
    if isinstance(sized, Check):
        return CalcResult(side=side.value, quantity=0.0, notional=0.0, margin=0.0, risk_amount=0.0, risk_pct=0.0,
                          rr=rr, tp_amounts=[], binding_rule=sized.rule, reason=sized.reason, positions_allowed=0,
                          limits={})
    amounts = split(sized.quantity, targets, profile, rules)
    note = f" (leverage capped at {capped:g}x)" if capped < leverage else ""
    return CalcResult(
        side=side.value, quantity=sized.quantity, notional=sized.notional, margin=sized.margin,
        risk_amount=sized.risk_amount, risk_pct=sized.risk_amount / balance * 100, rr=rr, tp_amounts=list(amounts),
        binding_rule=sized.binding_rule, reason=sized.reason + note,
        positions_allowed=_allowed(req, sized.risk_amount, sized.margin), limits=dict(sized.limits),
    )
