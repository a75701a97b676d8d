"""What the risk engine reads and returns. Plain data: the service layer fills it from the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from core.domain import MarketRules, NewSignal, RiskProfile, Side

Verdict = Literal["allow", "adjust", "block"]


@dataclass(frozen=True)
class Exposure:
    """One open position, as far as the limits care."""

    symbol: str
    side: Side
    exchange: str
    risk: float  # quote currency lost if its stop is hit (its margin when it has no stop)


@dataclass(frozen=True)
class ProviderRecord:
    """A provider's closed-trade record (from the positions that followed its calls)."""

    closed_trades: int = 0
    wins: int = 0
    avg_win_pct: float = 0.0  # mean gain of winners, % of the position's notional
    avg_loss_pct: float = 0.0  # mean loss of losers, % of notional, positive

    @property
    def win_rate(self) -> float:
        return self.wins / self.closed_trades if self.closed_trades else 0.0

    @property
    def expectancy_pct(self) -> float | None:
        """Mean result per trade, % of notional; None with no closed trade."""
        if not self.closed_trades:
            return None
        return self.win_rate * self.avg_win_pct - (1 - self.win_rate) * self.avg_loss_pct

    def kelly(self) -> float:
        """Full-Kelly fraction of equity to risk: W - (1 - W) / R, R = average win / average loss."""
        if self.avg_loss_pct <= 0:
            return self.win_rate  # no loss seen yet: the win rate bounds it
        payoff = self.avg_win_pct / self.avg_loss_pct
        if payoff <= 0:
            return 0.0
        return self.win_rate - (1 - self.win_rate) / payoff


@dataclass(frozen=True)
class TradeRequest:
    """One user's view of one call at one moment: everything a decision needs."""

    signal: NewSignal
    profile: RiskProfile
    price: float  # the market price a market entry would get now
    equity: float  # quote currency
    rules: MarketRules
    now: datetime
    posted_at: datetime
    exchange: str = "binance"
    spot: bool = False  # the account trades spot: long only, no leverage
    open_positions: tuple[Exposure, ...] = ()
    day_loss: float = 0.0  # today's realised + unrealised loss, positive = lost (user's timezone)
    day_loss_by_exchange: Mapping[str, float] = field(default_factory=dict)
    provider: ProviderRecord = field(default_factory=ProviderRecord)


@dataclass(frozen=True)
class Plan:
    """The trade being shaped: rules adjust it, sizing fills in the quantity."""

    entry: float
    stop: float | None  # set by the stop-loss rule when the call has none
    targets: tuple[float, ...]
    leverage: float
    scale: float = 1.0  # < 1 when the chase guard scales the size down
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    rule: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class Sizing:
    quantity: float
    notional: float
    margin: float
    risk_amount: float  # quote currency lost at the stop
    binding_rule: str  # which rule set the size
    reason: str
    limits: Mapping[str, float]  # every candidate quantity by rule, before rounding


@dataclass(frozen=True)
class RiskDecision:
    outcome: Literal["trade", "block"]
    rule: str  # the rule that decided: the blocking one, else the one that bound the size
    reason: str
    checks: tuple[Check, ...]
    plan: Plan | None = None
    sizing: Sizing | None = None
    tp_amounts: tuple[float, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.outcome == "block"
