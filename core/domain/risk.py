"""A user's risk profile and conflict policy: validated settings, stored on the user (and, as partial
overrides, on a subscription). Pure pydantic; the rules that read it live in core.risk and core.resolve.

Defaults are the built-in "balanced" preset (see core.risk.profiles).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SizingMode = Literal["percentage", "fixed", "risk", "kelly"]
SameSidePolicy = Literal["first", "highest-confidence", "majority-vote", "best-performer"]
OppositePolicy = Literal["skip", "close-position", "follow-best-performer"]
HeldPolicy = Literal["ignore", "add", "replace"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TrailingStop(_Strict):
    activation_pct: float = Field(gt=0, le=1000, description="profit % at which the trailing stop starts")
    distance_pct: float = Field(gt=0, le=50, description="how far behind the best price the stop trails, %")


class BreakEven(_Strict):
    after_target: int | None = Field(default=None, ge=1, le=20, description="move the stop to entry after TP n")
    after_profit_pct: float | None = Field(default=None, gt=0, le=1000, description="... or after +x% profit")

    @model_validator(mode="after")
    def _one_trigger(self) -> BreakEven:
        if self.after_target is None and self.after_profit_pct is None:
            raise ValueError("break-even needs a trigger: after_target or after_profit_pct")
        return self


class ConflictPolicy(_Strict):
    """How one user's trades are chosen when providers post on the same symbol."""

    window_s: int = Field(default=900, ge=0, le=86_400, description="calls this close in time are compared")
    duplicate_tolerance_pct: float = Field(
        default=0.5, ge=0, le=10, description="entries this close (%) on the same symbol and side are one call")
    same_side: SameSidePolicy = "first"
    opposite: OppositePolicy = "skip"
    held_position: HeldPolicy = "ignore"


class RiskProfile(_Strict):
    """Everything that decides whether and how much one user trades on a signal."""

    # sizing
    sizing_mode: SizingMode = Field(
        default="risk", description="how a position is sized: risk to the stop, % of equity, fixed margin or Kelly")
    position_pct: float = Field(default=2.0, gt=0, le=100, description="percentage mode: margin, % of equity")
    fixed_amount: float = Field(default=100.0, gt=0, description="fixed mode: margin in the quote currency")
    risk_pct: float = Field(default=1.0, gt=0, le=100, description="risk mode: loss at the stop, % of equity")
    kelly_fraction: float = Field(default=0.25, gt=0, le=1, description="kelly mode: share of full Kelly used")
    max_position_size: float | None = Field(default=None, gt=0, description="hard cap on notional, quote currency")
    max_risk_pct: float = Field(default=2.0, gt=0, le=100, description="per trade: max loss at the stop, % equity")
    # entries
    entry_style: Literal["market", "limit"] = Field(
        default="market", description="market: enter now (chase guard applies); limit: rest at the call's entries")
    ladder_steps: int = Field(default=3, ge=1, le=10, description="limit entries across a range: this many orders")
    entry_expiry_h: float = Field(default=24.0, gt=0, le=720, description="unfilled limit entries expire after, h")
    cancel_if_missed: bool = Field(default=True, description="cancel entries if TP1 or the stop trades first")
    # stop-loss
    missing_stop: Literal["default", "skip"] = Field(
        default="default", description="a call without a stop: use the default stop, or skip the call")
    default_stop_pct: float = Field(default=5.0, gt=0, le=100, description="stop distance when a call has none")
    stop_pct_per_leverage: bool = Field(default=False, description="divide the default stop % by the leverage")
    trailing_stop: TrailingStop | None = Field(default=None, description="activation_pct and distance_pct")
    break_even: BreakEven | None = Field(default=None, description="move the stop to entry: after_target or "
                                                                     "after_profit_pct")
    # take-profits
    tp_split: Literal["even", "front", "custom"] = Field(
        default="even", description="how the position is shared among the targets (front: more on the first)")
    tp_custom: list[float] = Field(default_factory=list, description="custom split: % of the position per target")
    tp_remainder: Literal["last_target", "keep_open"] = Field(
        default="last_target", description="what is left after the split: close at the last target or keep open")
    # leverage
    max_leverage: float = Field(default=10.0, ge=1, le=125, description="the most leverage a trade uses")
    over_max_leverage: Literal["clamp", "skip"] = Field(
        default="clamp", description="a call above max leverage: trade it at the max, or skip it")
    margin_mode: Literal["isolated", "cross"] = Field(
        default="isolated", description="futures margin mode (on Bybit the unified account's own mode applies)")
    # daily loss and exposure
    daily_loss_pct: float | None = Field(default=5.0, gt=0, le=100, description="daily loss limit, % of equity")
    daily_loss_amount: float | None = Field(default=None, gt=0, description="daily loss limit, quote currency")
    daily_loss_resume: Literal["next_day", "manual"] = Field(
        default="next_day", description="after the daily limit pauses trading: resume the next day or by hand")
    exchange_daily_loss: dict[str, float] = Field(default_factory=dict, description="exchange -> max daily loss")
    max_open_positions: int | None = Field(default=10, ge=1, le=1000, description="open positions at most")
    max_open_per_exchange: int | None = Field(default=None, ge=1, le=1000, description="... on one exchange")
    max_portfolio_heat_pct: float | None = Field(
        default=6.0, gt=0, le=100, description="sum of risk to the stops of open positions, % of equity")
    # signal filters
    min_confidence: float | None = Field(default=None, ge=0, le=100, description="when the call states one, %")
    allowed_symbols: list[str] = Field(default_factory=list, description="empty: every symbol")
    blocked_symbols: list[str] = Field(default_factory=list, description="never traded")
    allowed_exchanges: list[str] = Field(default_factory=list, description="empty: every exchange")
    blocked_exchanges: list[str] = Field(default_factory=list, description="never traded on")
    min_reward_risk: float | None = Field(default=None, gt=0, le=100, description="reward:risk to the first target")
    max_signal_age_s: int | None = Field(default=600, ge=1, description="older calls are stale and skipped")
    chase_scale_pct: float = Field(default=0.5, ge=0, le=50, description="past the entry zone: scale down from here")
    chase_max_pct: float = Field(default=1.5, ge=0, le=50, description="... and skip beyond this")
    conflicts: ConflictPolicy = Field(default_factory=ConflictPolicy, description="calls on the same symbol: "
                                      "window_s, same_side, opposite, held_position")

    @field_validator("allowed_symbols", "blocked_symbols")
    @classmethod
    def _symbols(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip().upper() for v in values if v.strip()]
        bad = [v for v in cleaned if "/" not in v]
        if bad:
            raise ValueError(f"symbols are written BASE/QUOTE, e.g. BTC/USDT (got {', '.join(bad)})")
        return cleaned

    @field_validator("allowed_exchanges", "blocked_exchanges")
    @classmethod
    def _exchanges(cls, values: list[str]) -> list[str]:
        return [v.strip().lower() for v in values if v.strip()]

    @field_validator("exchange_daily_loss")
    @classmethod
    def _exchange_limits(cls, values: dict[str, float]) -> dict[str, float]:
        bad = [name for name, limit in values.items() if limit <= 0]
        if bad:
            raise ValueError(f"a daily loss limit must be above 0 (exchange {', '.join(bad)})")
        return {name.lower(): limit for name, limit in values.items()}

    @field_validator("tp_custom")
    @classmethod
    def _custom_split(cls, values: list[float]) -> list[float]:
        if any(v <= 0 for v in values):
            raise ValueError("every share of the custom take-profit split must be above 0%")
        if sum(values) > 100 + 1e-9:
            raise ValueError(f"the custom take-profit split adds up to {sum(values):g}%, more than 100%")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> RiskProfile:
        if self.tp_split == "custom" and not self.tp_custom:
            raise ValueError("tp_split is custom but tp_custom lists no shares")
        if self.chase_scale_pct > self.chase_max_pct:
            raise ValueError(f"chase_scale_pct ({self.chase_scale_pct:g}) must not exceed chase_max_pct "
                             f"({self.chase_max_pct:g})")
        if self.max_risk_pct < self.risk_pct and self.sizing_mode == "risk":
            raise ValueError(f"risk_pct ({self.risk_pct:g}) is above max_risk_pct ({self.max_risk_pct:g})")
        overlap = set(self.allowed_symbols) & set(self.blocked_symbols)
        if overlap:
            raise ValueError(f"{', '.join(sorted(overlap))} is both allowed and blocked")
        return self
