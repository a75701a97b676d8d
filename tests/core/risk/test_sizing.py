"""Sizing modes, the caps that bind, the exchange minimum, Kelly, and the take-profit split."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain import MarketRules, RiskProfile, Side
from core.risk.engine import evaluate
from core.risk.inputs import Exposure, ProviderRecord
from core.risk.sizing import KELLY_MIN_TRADES
from core.risk.targets import split
from tests.core.risk.builders import call, request


def sized(**kwargs: Any) -> tuple[str, float, str]:
    decision = evaluate(request(**kwargs))
    assert decision.sizing is not None, decision.reason
    return decision.rule, decision.sizing.quantity, decision.sizing.reason


@pytest.mark.parametrize(
    ("profile", "rule", "quantity"),
    [
        # risk: 1% of 10,000 = 100 over 1,250 to the stop
        ({}, "risk_pct", 0.08),
        # percentage: 2% = 200 margin x 10 = 2,000 notional / 42,250
        ({"sizing_mode": "percentage"}, "position_pct", 0.04733),
        # fixed: 100 margin x 10 / 42,250
        ({"sizing_mode": "fixed", "fixed_amount": 100}, "fixed_amount", 0.02366),
        # max position size 1,000 notional binds under risk sizing
        ({"max_position_size": 1_000}, "max_position_size", 0.02366),
        # max risk 0.5% binds when risk_pct is 0.5 too: the mode is listed first on a tie
        ({"risk_pct": 0.5, "max_risk_pct": 0.5}, "risk_pct", 0.04),
        # heat: 6% = 600 budget -> 0.48 BTC; risk 8% (0.64) with the daily limit off makes heat bind
        ({"risk_pct": 8, "max_risk_pct": 10, "daily_loss_pct": None}, "portfolio_heat", 0.48),
        # daily loss 5% = 500: with risk 8% and heat off, the daily limit binds at 0.4 BTC
        ({"risk_pct": 8, "max_risk_pct": 10, "max_portfolio_heat_pct": None}, "daily_loss", 0.4),
    ],
)
def test_sizing_modes_and_caps(profile: dict[str, Any], rule: str, quantity: float) -> None:
    found_rule, found, _ = sized(profile=profile)
    assert (found_rule, found) == (rule, pytest.approx(quantity))


def test_available_margin_binds_a_big_risk_on_a_tight_stop() -> None:
    # stop 42,200 is 50 away: risk 100 would need 2 BTC = 84,500 notional; 10,000 at 1x buys 0.23668
    rule, quantity, reason = sized(signal=call(stop_loss=42_200.0, leverage=1.0))
    assert rule == "available_margin" and quantity == pytest.approx(0.23668)
    assert reason == "capped by the equity available as margin (10,000.00 at 1x)"


def test_the_room_left_today_and_in_the_heat_budget_shrinks_the_size() -> None:
    rule, quantity, _ = sized(day_loss=450.0)  # 50 left of 500 -> 0.04 BTC
    assert (rule, quantity) == ("daily_loss", pytest.approx(0.04))
    open_risk = Exposure("ETH/USDT", Side.LONG, "binance", 560.0)  # 40 left of 600 -> 0.032 BTC
    rule, quantity, _ = sized(open_positions=(open_risk,))
    assert (rule, quantity) == ("portfolio_heat", pytest.approx(0.032))


def test_a_size_below_the_exchange_minimum_is_blocked_not_rounded_up() -> None:
    decision = evaluate(request(equity=20.0, profile={"sizing_mode": "percentage"}))
    assert decision.outcome == "block" and decision.rule == "exchange_minimum"
    assert decision.reason == ("position too small (2% of equity (0.40) as margin at 10x): order value 3.80 is "
                               "below the exchange minimum 5")


def test_kelly_falls_back_to_percentage_below_twenty_closed_trades() -> None:
    few = ProviderRecord(closed_trades=KELLY_MIN_TRADES - 1, wins=15, avg_win_pct=4, avg_loss_pct=2)
    rule, _, reason = sized(profile={"sizing_mode": "kelly"}, provider=few)
    assert rule == "position_pct" and "kelly needs 20 closed trades of this provider, it has 19" in reason


def test_kelly_sizes_from_the_record_and_is_capped_by_max_risk() -> None:
    # W = 0.6, R = 2 -> full Kelly 0.4; a quarter = 10% of equity, capped by max_risk 2% = 200 -> 0.16 BTC
    record = ProviderRecord(closed_trades=40, wins=24, avg_win_pct=4, avg_loss_pct=2)
    assert record.kelly() == pytest.approx(0.4)
    rule, quantity, _ = sized(profile={"sizing_mode": "kelly"}, provider=record)
    assert (rule, quantity) == ("max_risk_pct", pytest.approx(0.16))
    # a 0.02 fraction: 0.8% at risk = 80 -> 0.064 BTC, below every cap
    rule, quantity, reason = sized(profile={"sizing_mode": "kelly", "kelly_fraction": 0.02}, provider=record)
    assert (rule, quantity) == ("kelly", pytest.approx(0.064))
    assert reason.startswith("0.02 Kelly = 0.80% of equity at risk")


def test_kelly_blocks_a_provider_without_an_edge() -> None:
    record = ProviderRecord(closed_trades=30, wins=9, avg_win_pct=2, avg_loss_pct=2)
    decision = evaluate(request(profile={"sizing_mode": "kelly"}, provider=record))
    assert decision.outcome == "block" and decision.rule == "kelly" and "shows no edge" in decision.reason


STEP = MarketRules(amount_step=0.001, price_tick=0.01, min_amount=0.001, min_notional=5.0)


@pytest.mark.parametrize(
    ("profile", "prices", "amounts"),
    [
        ({}, (110.0, 120.0, 130.0), (0.333, 0.333, 0.334)),
        ({"tp_split": "front"}, (110.0, 120.0, 130.0), (0.5, 0.333, 0.167)),
        ({"tp_split": "custom", "tp_custom": [50, 30]}, (110.0, 120.0, 130.0), (0.5, 0.3, 0.2)),
        ({"tp_split": "custom", "tp_custom": [50, 30], "tp_remainder": "keep_open"}, (110.0, 120.0, 130.0),
         (0.5, 0.3, 0.0)),
        ({"tp_split": "custom", "tp_custom": [60, 20, 20]}, (110.0,), (1.0,)),
    ],
)
def test_take_profit_split(profile: dict[str, Any], prices: tuple[float, ...], amounts: tuple[float, ...]) -> None:
    assert split(1.0, prices, RiskProfile(**profile), STEP) == pytest.approx(amounts)


def test_a_target_leg_below_the_exchange_minimum_is_folded_into_the_next() -> None:
    # 0.06 over three targets at ~100: 0.02 each = 2.00 notional, under the 5.00 minimum
    assert split(0.06, (100.0, 101.0, 102.0), RiskProfile(), STEP) == pytest.approx((0.0, 0.0, 0.06))
