from __future__ import annotations

from core.domain import MarketRules
from core.market.rules import amount_to_step, minimum_problem, paper_rules, price_to_tick

BTC = MarketRules(amount_step=0.00001, price_tick=0.01, min_amount=0.00001, min_notional=5.0)


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
