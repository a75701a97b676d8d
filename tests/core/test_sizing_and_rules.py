from __future__ import annotations

import pytest

from core.domain import Block, EntryType, MarketRules, NewSignal, RiskProfile, Side, SizedOrder
from core.market.rules import amount_to_step, minimum_problem, paper_rules, price_to_tick
from core.risk.sizing import entry_problem, size_fixed_percentage

BTC = MarketRules(amount_step=0.00001, price_tick=0.01, min_amount=0.00001, min_notional=5.0)


def long_call(**overrides: object) -> NewSignal:
    fields: dict[str, object] = dict(symbol="BTC/USDT", side=Side.LONG, entry_type=EntryType.RANGE,
                                     entries=(42_000.0, 42_500.0), take_profits=(43_000.0,), stop_loss=41_000.0,
                                     leverage=10.0)
    fields.update(overrides)
    return NewSignal(**fields)  # type: ignore[arg-type]


def test_rounding_is_exact_and_never_rounds_an_amount_up() -> None:
    assert amount_to_step(0.0473372, BTC) == 0.04733
    assert amount_to_step(0.3, MarketRules(amount_step=0.1, price_tick=0.01)) == 0.3  # 0.1*3 float trap
    assert price_to_tick(42_250.005, BTC) == 42_250.0  # half-even
    assert price_to_tick(0.123456, MarketRules(amount_step=1, price_tick=0.0001)) == 0.1235


def test_minimums_explain_themselves() -> None:
    assert minimum_problem(0.0001, 42_000, BTC) == "order value 4.20 is below the exchange minimum 5"
    assert minimum_problem(0.0, 42_000, BTC) == "amount 0 is below the exchange minimum 1e-05"
    assert minimum_problem(0.001, 42_000, BTC) is None


def test_paper_rules_come_from_the_table_with_a_default() -> None:
    assert paper_rules("BTC/USDT") == BTC
    assert paper_rules("NEW/USDT").min_notional == 5.0


def test_fixed_percentage_sizing() -> None:
    sized = size_fixed_percentage(equity=10_000, price=42_250, signal=long_call(), profile=RiskProfile(), rules=BTC)
    assert isinstance(sized, SizedOrder)
    assert sized.amount == 0.04733 and sized.leverage == 10
    assert sized.notional == pytest.approx(1_999.69, abs=0.01) and sized.margin == pytest.approx(199.97, abs=0.01)
    assert sized.reason == "2% of equity 10,000.00 as margin at 10x"


def test_leverage_is_capped_by_the_user_and_said_so() -> None:
    profile = RiskProfile(max_leverage=3)
    sized = size_fixed_percentage(equity=10_000, price=42_250, signal=long_call(leverage=50.0),
                                  profile=profile, rules=BTC)
    assert isinstance(sized, SizedOrder) and sized.leverage == 3 and "leverage capped at 3x" in sized.reason


def test_too_small_positions_are_blocked_with_the_exchange_minimum() -> None:
    blocked = size_fixed_percentage(equity=10, price=42_250, signal=long_call(leverage=1.0),
                                    profile=RiskProfile(), rules=BTC)
    assert blocked == Block("exchange_minimum", "position too small: amount 0 is below the exchange minimum 1e-05")


@pytest.mark.parametrize(
    ("signal", "price", "problem"),
    [
        (long_call(), 42_100, None),
        (long_call(), 42_700, None),  # within 0.5% above the zone
        (long_call(), 43_000, "more than 0.5% above the entry zone 42000-42500; not chasing it"),
        (long_call(), 40_900, "the price 40900 is already past the stop-loss 41000"),
        (long_call(side=Side.SHORT, stop_loss=43_000.0, take_profits=(41_000.0,)), 41_500,
         "more than 0.5% below the entry zone 42000-42500; not chasing it"),
        (long_call(entry_type=EntryType.MARKET, entries=()), 50_000, None),
    ],
)
def test_entry_zone_check(signal: NewSignal, price: float, problem: str | None) -> None:
    found = entry_problem(signal, price, 0.5)
    assert (found is None) if problem is None else (found is not None and found.endswith(problem))
