"""Each risk rule on its own, and the engine combining them (first block decides, adjustments carry on)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.domain import EntryType, Side
from core.risk.engine import evaluate
from core.risk.inputs import Exposure
from tests.core.risk.builders import NOW, call, request

OPEN_BTC = Exposure("BTC/USDT", Side.LONG, "binance", 300.0)


@pytest.mark.parametrize(
    ("kwargs", "rule", "reason"),
    [
        ({"profile": {"blocked_symbols": ["BTC/USDT"]}}, "symbol_filter",
         "BTC/USDT is on your blocked symbol list"),
        ({"profile": {"allowed_symbols": ["ETH/USDT"]}}, "symbol_filter",
         "BTC/USDT is not on your allowed symbol list"),
        ({"profile": {"blocked_exchanges": ["Binance"]}}, "exchange_filter",
         "binance is on your blocked exchange list"),
        ({"profile": {"allowed_exchanges": ["bybit"]}}, "exchange_filter",
         "binance is not on your allowed exchange list"),
        ({"posted_at": NOW - timedelta(minutes=15)}, "signal_age", "the call is 15 min old, older than your limit "
                                                                   "of 10 min: stale"),
        ({"signal": call(extras={"confidence": "55"}), "profile": {"min_confidence": 70}}, "min_confidence",
         "the provider's confidence 55% is below your minimum 70%"),
        ({"signal": call(leverage=50.0), "profile": {"over_max_leverage": "skip"}}, "max_leverage",
         "the call uses 50x, above your maximum of 10x"),
        ({"signal": call(stop_loss=None), "profile": {"missing_stop": "skip"}}, "stop_loss",
         "the call has no stop-loss and you skip calls without one"),
        ({"price": 43_200.0}, "chase_guard", "the price 43200 is 1.65% above the entry 42000-42500, past your "
                                             "chase limit of 1.5%; not chasing it"),
        ({"price": 40_900.0}, "chase_guard", "the price 40900 is already past the stop-loss 41000"),
        ({"profile": {"min_reward_risk": 1.0}}, "min_reward_risk", "reward:risk to the first target is 0.60, "
                                                                   "below your minimum 1"),
        ({"signal": call(take_profits=()), "profile": {"min_reward_risk": 1.0}}, "min_reward_risk",
         "the call has no target to measure reward:risk"),
        ({"open_positions": (OPEN_BTC,) * 3, "profile": {"max_open_positions": 3}}, "max_open_positions",
         "you have 3 open positions, your maximum is 3"),
        ({"open_positions": (OPEN_BTC,) * 2, "profile": {"max_open_per_exchange": 2}}, "max_open_per_exchange",
         "you have 2 open positions on binance, your maximum per exchange is 2"),
        ({"day_loss": 500.0}, "daily_loss", "daily loss limit reached: 500.00 lost today, limit 500.00"),
        ({"day_loss": 80.0, "profile": {"daily_loss_amount": 75}}, "daily_loss", "limit 75.00"),
        ({"day_loss_by_exchange": {"binance": 200.0}, "profile": {"exchange_daily_loss": {"Binance": 150}}},
         "exchange_daily_loss", "daily loss limit on binance reached: 200.00 lost today, limit 150.00"),
        ({"open_positions": (OPEN_BTC,) * 2}, "portfolio_heat", "open positions already risk 600.00 to their "
                                                                "stops, your limit is 6% of equity (600.00)"),
        ({"equity": 0.0}, "equity", "the account has no equity to trade with"),
        ({"spot": True, "signal": call(side=Side.SHORT, stop_loss=43_000.0, take_profits=(41_000.0,))},
         "spot_account", "your binance account trades spot, where a short cannot be opened"),
    ],
)
def test_each_rule_blocks_with_its_reason(kwargs: dict[str, Any], rule: str, reason: str) -> None:
    decision = evaluate(request(**kwargs))
    assert decision.outcome == "block" and decision.rule == rule
    assert reason in decision.reason
    assert decision.checks[-1].verdict == "block" and decision.sizing is None


def test_a_clean_call_trades_and_every_check_is_kept() -> None:
    decision = evaluate(request())
    assert decision.outcome == "trade" and decision.rule == "risk_pct"
    assert [c.rule for c in decision.checks][:3] == ["equity", "symbol_filter", "exchange_filter"]
    assert all(c.verdict == "allow" for c in decision.checks)
    assert decision.sizing is not None and decision.sizing.quantity == 0.08  # 100 at risk / 1,250 to the stop
    assert decision.reason.startswith("0.08 (notional 3,380.00, margin 338.00 at 10x, 100.00 at risk to the stop")


def test_leverage_above_the_maximum_is_clamped_and_said() -> None:
    decision = evaluate(request(call(leverage=50.0)))
    assert decision.outcome == "trade" and decision.plan is not None and decision.plan.leverage == 10
    leverage = next(c for c in decision.checks if c.rule == "max_leverage")
    assert leverage.verdict == "adjust" and leverage.reason == "leverage clamped from 50x to 10x"
    assert "leverage clamped from 50x to 10x" in decision.reason


def test_a_spot_account_trades_a_long_call_without_leverage_and_says_so() -> None:
    decision = evaluate(request(spot=True))
    assert decision.outcome == "trade" and decision.plan is not None and decision.plan.leverage == 1
    spot = next(c for c in decision.checks if c.rule == "spot_account")
    assert spot.verdict == "adjust" and "the call's 10x leverage is not used" in spot.reason
    assert decision.sizing is not None and decision.sizing.quantity == 0.08  # the same risk to the stop
    assert decision.sizing.margin == pytest.approx(3_380.0)  # the whole notional is paid for


@pytest.mark.parametrize(
    ("signal", "profile", "stop", "why"),
    [
        (call(stop_loss=None), {}, 42_250 * 0.95, "your default 5%"),
        (call(stop_loss=None), {"stop_pct_per_leverage": True}, 42_038.75, "your default 5% / 10x leverage"),
        (call(stop_loss="3%"), {}, 42_250 * 0.97, "the call's 3%"),
        (call(side=Side.SHORT, stop_loss=None, take_profits=(41_000.0,), entries=(42_250.0,),
              entry_type=EntryType.LIMIT), {}, 42_250 * 1.05, "your default 5%"),
    ],
)
def test_a_missing_or_percentage_stop_becomes_a_price(signal: Any, profile: dict[str, Any], stop: float,
                                                      why: str) -> None:
    decision = evaluate(request(signal, profile))
    assert decision.outcome == "trade" and decision.plan is not None
    assert decision.plan.stop == pytest.approx(stop)
    assert why in next(c.reason for c in decision.checks if c.rule == "stop_loss")


def test_chasing_between_the_two_limits_scales_the_size_down() -> None:
    # 1.0% past the 42,500 top of the zone: halfway between 0.5% (full size) and 1.5% (skip)
    full = evaluate(request(profile={"sizing_mode": "percentage"}))
    chased = evaluate(request(price=42_925.0, profile={"sizing_mode": "percentage"}))
    assert chased.outcome == "trade" and chased.plan is not None and chased.plan.scale == pytest.approx(0.5)
    assert full.sizing is not None and chased.sizing is not None
    assert chased.sizing.notional == pytest.approx(full.sizing.notional * 0.5, rel=1e-3)
    assert "size scaled to 50%" in chased.reason


def test_a_stated_confidence_above_the_minimum_passes_and_a_missing_one_is_not_held_against_the_call() -> None:
    assert evaluate(request(call(extras={"confidence": "80"}), {"min_confidence": 70})).outcome == "trade"
    assert evaluate(request(call(), {"min_confidence": 70})).outcome == "trade"


def test_targets_already_behind_the_price_are_dropped_from_the_plan() -> None:
    decision = evaluate(request(call(take_profits=(42_100.0, 43_000.0)), price=42_250.0))
    assert decision.plan is not None and decision.plan.targets == (43_000.0,)
