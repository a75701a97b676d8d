"""Fee and slippage models (pure)."""

from __future__ import annotations

import pytest

from core.domain import OrderSide
from core.execution.costs import (
    CostSettings,
    FixedFee,
    FixedSlippage,
    PercentageFee,
    SizeSlippage,
    TieredFee,
    ZeroFee,
    fee_model,
    slippage_model,
)


def test_fee_models() -> None:
    assert ZeroFee().fee(10_000, maker=False, volume=0) == 0
    assert FixedFee(1.5).fee(10_000, maker=True, volume=0) == 1.5
    pct = PercentageFee(maker=0.0002, taker=0.0004)
    assert pct.fee(10_000, maker=True, volume=0) == pytest.approx(2.0)
    assert pct.fee(10_000, maker=False, volume=0) == pytest.approx(4.0)
    tiered = TieredFee(((0, 0.001, 0.001), (1_000_000, 0.0005, 0.0008)))
    assert tiered.fee(10_000, maker=False, volume=999_999) == pytest.approx(10.0)
    assert tiered.fee(10_000, maker=False, volume=1_000_000) == pytest.approx(8.0)
    assert tiered.fee(10_000, maker=True, volume=2_000_000) == pytest.approx(5.0)


def test_slippage_goes_against_the_taker_and_grows_with_size() -> None:
    assert FixedSlippage(10).fill_price(100.0, OrderSide.BUY, 1_000) == pytest.approx(100.1)
    assert FixedSlippage(10).fill_price(100.0, OrderSide.SELL, 1_000) == pytest.approx(99.9)
    size = SizeSlippage(base_bps=1, bps_per_10k=2, max_bps=20)
    assert size.fill_price(100.0, OrderSide.BUY, 10_000) == pytest.approx(100.03)  # 1 + 2 bps
    assert size.fill_price(100.0, OrderSide.BUY, 1_000_000) == pytest.approx(100.2)  # capped at 20 bps


def test_models_from_settings() -> None:
    assert isinstance(fee_model(CostSettings(fee="zero")), ZeroFee)
    assert fee_model(CostSettings(fee="fixed", fixed_fee=2)).fee(1, maker=False, volume=0) == 2
    assert isinstance(fee_model(CostSettings(fee="tiered")), TieredFee)
    assert isinstance(slippage_model(CostSettings(slippage="size")), SizeSlippage)
    assert slippage_model(CostSettings(slippage="none")).fill_price(5.0, OrderSide.BUY, 1e9) == 5.0
