"""The risk rules: one small class each, returning allow / adjust (with a new plan) / block, with a reason.

Order matters only for which reason a user sees first; `RULES` lists them as the engine runs them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from core.domain import EntryType, RiskProfile, Side
from core.market.rules import price_to_tick
from core.risk.inputs import Check, Plan, TradeRequest

Outcome = tuple[Check, Plan]


class Rule(Protocol):
    name: str

    def check(self, req: TradeRequest, plan: Plan) -> Outcome: ...


def _allow(rule: str, plan: Plan, reason: str = "ok") -> Outcome:
    return Check(rule, "allow", reason), plan


def _block(rule: str, plan: Plan, reason: str) -> Outcome:
    return Check(rule, "block", reason), plan


def _adjust(rule: str, plan: Plan, reason: str, **changes: object) -> Outcome:
    return Check(rule, "adjust", reason), replace(plan, **changes, notes=(*plan.notes, reason))  # type: ignore[arg-type]


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 120 else f"{seconds} s"


def percent_value(text: str) -> float | None:
    """'5%' -> 5.0, '-7%' -> 7.0, '5-10%' -> 5.0 (the first number); None when there is no number."""
    head = text.strip().lstrip("+-").rstrip("%").split("-")[0].replace(",", ".")
    try:
        return abs(float(head))
    except ValueError:
        return None


def confidence_of(extras: dict[str, str]) -> float | None:
    raw = extras.get("confidence")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


class Equity:
    name = "equity"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        if req.equity <= 0:
            return _block(self.name, plan, f"the account has no equity to trade with (balance {req.equity:g})")
        return _allow(self.name, plan)


class _ListFilter:
    """Allowed / blocked lists on the profile (an empty allowed list allows everything)."""

    def __init__(self, name: str, noun: str, field: str) -> None:
        self.name, self.noun, self.field = name, noun, field

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        value = req.signal.symbol if self.field == "symbols" else req.exchange.lower()
        allowed: list[str] = getattr(req.profile, f"allowed_{self.field}")
        if value in getattr(req.profile, f"blocked_{self.field}"):
            return _block(self.name, plan, f"{value} is on your blocked {self.noun} list")
        if allowed and value not in allowed:
            return _block(self.name, plan, f"{value} is not on your allowed {self.noun} list")
        return _allow(self.name, plan)


class SignalAge:
    name = "signal_age"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        limit = req.profile.max_signal_age_s
        age = req.now - req.posted_at
        if limit is not None and age > timedelta(seconds=limit):
            return _block(self.name, plan, f"the call is {_age(age)} old, older than your limit of "
                                           f"{_age(timedelta(seconds=limit))}: stale")
        return _allow(self.name, plan)


class Confidence:
    name = "min_confidence"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        wanted = req.profile.min_confidence
        stated = confidence_of(req.signal.extras)
        if wanted is None or stated is None:
            return _allow(self.name, plan, "no confidence stated" if stated is None else "no minimum set")
        if stated < wanted:
            return _block(self.name, plan, f"the provider's confidence {stated:g}% is below your minimum {wanted:g}%")
        return _allow(self.name, plan)


class SpotAccount:
    """A spot account buys coins with its balance: it cannot sell short (nothing is borrowed) nor use leverage."""

    name = "spot_account"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        if not req.spot:
            return _allow(self.name, plan)
        if req.signal.side is Side.SHORT:
            return _block(self.name, plan, f"your {req.exchange} account trades spot, where a short cannot be "
                                           "opened: SHORT calls are not traded on it")
        if plan.leverage > 1:
            return _adjust(self.name, plan, f"spot: the call's {plan.leverage:g}x leverage is not used (spot buys "
                                            "with the balance)", leverage=1.0)
        return _allow(self.name, plan)


class Leverage:
    name = "max_leverage"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        cap = req.profile.max_leverage
        if plan.leverage <= cap:
            return _allow(self.name, plan)
        if req.profile.over_max_leverage == "skip":
            return _block(self.name, plan, f"the call uses {plan.leverage:g}x, above your maximum of {cap:g}x")
        return _adjust(self.name, plan, f"leverage clamped from {plan.leverage:g}x to {cap:g}x", leverage=cap)


class StopLoss:
    name = "stop_loss"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        profile, long = req.profile, req.signal.side is Side.LONG
        written = req.signal.stop_loss
        if plan.stop is not None:
            return _allow(self.name, plan, f"stop {plan.stop:g} from the call")
        pct = percent_value(written) if isinstance(written, str) else None
        source = f"the call's {written}"
        if pct is None:
            if profile.missing_stop == "skip":
                return _block(self.name, plan, "the call has no stop-loss and you skip calls without one")
            pct = profile.default_stop_pct
            source = f"your default {pct:g}%"
            if profile.stop_pct_per_leverage and plan.leverage > 1:
                pct /= plan.leverage
                source += f" / {plan.leverage:g}x leverage"
        stop = price_to_tick(plan.entry * (1 - pct / 100) if long else plan.entry * (1 + pct / 100), req.rules)
        return _adjust(self.name, plan, f"stop set at {stop:.10g} ({source})", stop=stop)


class Chase:
    name = "chase_guard"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        signal, price, profile = req.signal, req.price, req.profile
        long = signal.side is Side.LONG
        if plan.stop is not None and ((long and price <= plan.stop) or (not long and price >= plan.stop)):
            return _block(self.name, plan, f"the price {price:g} is already past the stop-loss {plan.stop:g}")
        if not signal.entries:
            return _allow(self.name, plan, "market call")
        if profile.entry_style == "limit" and signal.entry_type is not EntryType.MARKET:
            return _allow(self.name, plan, "limit entries wait for the price")
        low, high = min(signal.entries), max(signal.entries)
        past = (price / high - 1) * 100 if long else (1 - price / low) * 100
        zone = f"{low:g}-{high:g}" if low != high else f"{low:g}"
        if past > profile.chase_max_pct:
            where = "above" if long else "below"
            return _block(self.name, plan, f"the price {price:g} is {past:.2f}% {where} the entry {zone}, past your "
                                           f"chase limit of {profile.chase_max_pct:g}%; not chasing it")
        if past > profile.chase_scale_pct:
            span = profile.chase_max_pct - profile.chase_scale_pct
            scale = (profile.chase_max_pct - past) / span if span > 0 else 0.0
            return _adjust(self.name, plan, f"the price is {past:.2f}% past the entry {zone}: size scaled to "
                                            f"{scale:.0%}", scale=scale)
        return _allow(self.name, plan)


class RewardRisk:
    name = "min_reward_risk"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        wanted = req.profile.min_reward_risk
        if wanted is None:
            return _allow(self.name, plan, "no minimum set")
        if not plan.targets or plan.stop is None:
            return _block(self.name, plan, f"the call has no target to measure reward:risk (your minimum {wanted:g})")
        ratio = reward_risk(plan.entry, plan.stop, plan.targets[0])
        if ratio < wanted:
            return _block(self.name, plan, f"reward:risk to the first target is {ratio:.2f}, below your minimum "
                                           f"{wanted:g}")
        return _allow(self.name, plan, f"reward:risk {ratio:.2f}")


def reward_risk(entry: float, stop: float, target: float) -> float:
    risk = abs(entry - stop)
    return abs(target - entry) / risk if risk > 0 else 0.0


class OpenPositions:
    name = "max_open_positions"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        profile = req.profile
        total = len(req.open_positions)
        if profile.max_open_positions is not None and total >= profile.max_open_positions:
            return _block(self.name, plan, f"you have {total} open positions, your maximum is "
                                           f"{profile.max_open_positions}")
        here = sum(1 for p in req.open_positions if p.exchange == req.exchange)
        if profile.max_open_per_exchange is not None and here >= profile.max_open_per_exchange:
            return Check("max_open_per_exchange", "block", f"you have {here} open positions on {req.exchange}, "
                         f"your maximum per exchange is {profile.max_open_per_exchange}"), plan
        return _allow(self.name, plan)


def loss_limit(profile: RiskProfile, equity: float | None) -> float | None:
    """A day's loss limit in the quote currency: the tighter of % of `equity` and the amount, or None (no limit;
    an unknown equity leaves only the amount)."""
    limits = [limit for limit in (
        profile.daily_loss_pct * equity / 100 if profile.daily_loss_pct is not None and equity is not None else None,
        profile.daily_loss_amount) if limit is not None]
    return min(limits) if limits else None


def daily_limit(req: TradeRequest) -> float | None:
    """Today's loss limit for this request's equity, or None."""
    return loss_limit(req.profile, req.equity)


def daily_room(req: TradeRequest) -> float | None:
    """How much more may be lost today before the daily limit, or None without a limit."""
    limit = daily_limit(req)
    return None if limit is None else limit - req.day_loss


def heat_room(req: TradeRequest) -> float | None:
    """How much more risk to stops the portfolio heat limit allows, or None without a limit."""
    cap = req.profile.max_portfolio_heat_pct
    return None if cap is None else cap * req.equity / 100 - sum(p.risk for p in req.open_positions)


class DailyLoss:
    name = "daily_loss"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        limit = daily_limit(req)
        if limit is not None and req.day_loss >= limit:
            return _block(self.name, plan, f"daily loss limit reached: {req.day_loss:,.2f} lost today, limit "
                                           f"{limit:,.2f}")
        exchange_limit = req.profile.exchange_daily_loss.get(req.exchange.lower())
        lost_here = req.day_loss_by_exchange.get(req.exchange.lower(), 0.0)
        if exchange_limit is not None and lost_here >= exchange_limit:
            return Check("exchange_daily_loss", "block", f"daily loss limit on {req.exchange} reached: "
                         f"{lost_here:,.2f} lost today, limit {exchange_limit:,.2f}"), plan
        return _allow(self.name, plan)


class PortfolioHeat:
    name = "portfolio_heat"

    def check(self, req: TradeRequest, plan: Plan) -> Outcome:
        cap, room = req.profile.max_portfolio_heat_pct, heat_room(req)
        if cap is None or room is None:
            return _allow(self.name, plan, "no heat limit set")
        used = sum(p.risk for p in req.open_positions)
        budget = cap * req.equity / 100
        if room <= 0:
            return _block(self.name, plan, f"open positions already risk {used:,.2f} to their stops, your limit "
                                           f"is {cap:g}% of equity ({budget:,.2f})")
        return _allow(self.name, plan, f"{used:,.2f} of {budget:,.2f} heat used")


RULES: tuple[Rule, ...] = (Equity(), _ListFilter("symbol_filter", "symbol", "symbols"),
                           _ListFilter("exchange_filter", "exchange", "exchanges"), SignalAge(), Confidence(),
                           SpotAccount(), Leverage(), StopLoss(), Chase(), RewardRisk(), OpenPositions(), DailyLoss(),
                           PortfolioHeat())
