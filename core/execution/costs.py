"""Fee and slippage models for the paper exchange (and backtests). Pure.

Fees: zero, fixed per order, percentage (maker/taker), tiered by the account's traded volume.
Slippage: fixed basis points against the taker, or size-dependent (more bps the bigger the order).
Makers (resting limit orders filled at their price) never slip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from core.domain import OrderSide


class FeeModel(Protocol):
    def fee(self, notional: float, *, maker: bool, volume: float) -> float:
        """Fee in quote currency for a fill of `notional`; `volume` is the account's traded volume so far."""
        ...


class SlippageModel(Protocol):
    def fill_price(self, price: float, side: OrderSide, notional: float) -> float: ...


@dataclass(frozen=True)
class ZeroFee:
    def fee(self, notional: float, *, maker: bool, volume: float) -> float:
        return 0.0


@dataclass(frozen=True)
class FixedFee:
    per_order: float

    def fee(self, notional: float, *, maker: bool, volume: float) -> float:
        return self.per_order


@dataclass(frozen=True)
class PercentageFee:
    maker: float = 0.0002
    taker: float = 0.0004

    def fee(self, notional: float, *, maker: bool, volume: float) -> float:
        return notional * (self.maker if maker else self.taker)


@dataclass(frozen=True)
class TieredFee:
    """(volume from, maker rate, taker rate) tiers, ascending; the highest tier reached applies."""

    tiers: tuple[tuple[float, float, float], ...]

    def fee(self, notional: float, *, maker: bool, volume: float) -> float:
        reached = [t for t in self.tiers if volume >= t[0]] or [self.tiers[0]]
        _, maker_rate, taker_rate = reached[-1]
        return notional * (maker_rate if maker else taker_rate)


@dataclass(frozen=True)
class NoSlippage:
    def fill_price(self, price: float, side: OrderSide, notional: float) -> float:
        return price


def _against(price: float, side: OrderSide, bps: float) -> float:
    shift = price * bps / 10_000
    return price + shift if side is OrderSide.BUY else price - shift


@dataclass(frozen=True)
class FixedSlippage:
    bps: float

    def fill_price(self, price: float, side: OrderSide, notional: float) -> float:
        return _against(price, side, self.bps)


@dataclass(frozen=True)
class SizeSlippage:
    """base_bps plus bps_per_10k for every 10,000 of notional, at most max_bps."""

    base_bps: float = 1.0
    bps_per_10k: float = 1.0
    max_bps: float = 50.0

    def fill_price(self, price: float, side: OrderSide, notional: float) -> float:
        bps = min(self.max_bps, self.base_bps + self.bps_per_10k * notional / 10_000)
        return _against(price, side, bps)


class CostSettings(BaseModel):
    """How the paper exchange charges: chosen in settings, built into models by `fee_model`/`slippage_model`."""

    fee: Literal["zero", "fixed", "percentage", "tiered"] = "percentage"
    fixed_fee: float = Field(default=1.0, ge=0)
    maker_rate: float = Field(default=0.0002, ge=0, le=0.01)
    taker_rate: float = Field(default=0.0004, ge=0, le=0.01)
    tiers: list[tuple[float, float, float]] = Field(
        default_factory=lambda: [(0.0, 0.0002, 0.0004), (1_000_000.0, 0.00016, 0.0004),
                                 (5_000_000.0, 0.00014, 0.00035)])
    slippage: Literal["none", "fixed", "size"] = "fixed"
    slippage_bps: float = Field(default=2.0, ge=0, le=500)
    slippage_per_10k_bps: float = Field(default=1.0, ge=0, le=500)
    slippage_max_bps: float = Field(default=50.0, ge=0, le=1000)


def fee_model(settings: CostSettings) -> FeeModel:
    if settings.fee == "zero":
        return ZeroFee()
    if settings.fee == "fixed":
        return FixedFee(settings.fixed_fee)
    if settings.fee == "tiered":
        return TieredFee(tuple(sorted(tuple(t) for t in settings.tiers)))  # type: ignore[misc]
    return PercentageFee(settings.maker_rate, settings.taker_rate)


def slippage_model(settings: CostSettings) -> SlippageModel:
    if settings.slippage == "none":
        return NoSlippage()
    if settings.slippage == "size":
        return SizeSlippage(settings.slippage_bps, settings.slippage_per_10k_bps, settings.slippage_max_bps)
    return FixedSlippage(settings.slippage_bps)


@dataclass(frozen=True)
class Costs:
    fees: FeeModel = field(default_factory=PercentageFee)
    slippage: SlippageModel = field(default_factory=NoSlippage)

    @classmethod
    def from_settings(cls, settings: CostSettings) -> Costs:
        return cls(fee_model(settings), slippage_model(settings))
