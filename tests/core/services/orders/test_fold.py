"""Folding fills into a position: a target counts as hit only once its order filled in full (the execution
issue, defect 9, second item). A volume-limited partial fill used to count as the hit, and the protective sync
then cancelled the rest of that target."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain import OrderSide, OrderStatus, Side, TradeMode
from core.market.rules import paper_rules
from core.services.orders.fold import fold
from models import Fill, OrderIntent, Position
from models.orders import Transition

ID = "a" * 24
RULES = paper_rules("BTC/USDT")
AT = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _fill(amount: float, cumulative: float) -> Fill:
    return Fill(client_order_id="sc" + "1" * 30, user_id=ID, account_id=ID, symbol="BTC/USDT", side=OrderSide.SELL,
                amount=amount, price=43_000.0, fee=0.0, fee_currency="USDT", trade_id=f"9:{cumulative:g}",
                filled_at=AT)


async def test_a_target_is_hit_when_its_order_filled_in_full_not_at_its_first_part(db: str) -> None:
    position = Position(user_id=ID, account_id=ID, signal_id=ID, provider_id=ID, mode=TradeMode.PAPER,
                        symbol="BTC/USDT", side=Side.LONG, amount=1.0, entered=1.0, entry_price=42_000.0,
                        leverage=1.0, status="open", take_profits=[43_000.0, 44_000.0], stop_loss=41_000.0)
    tp1 = OrderIntent(client_order_id="sc" + "1" * 30, signal_id=ID, user_id=ID, account_id=ID, leg="tp1", role="tp",
                      position_id=ID, mode=TradeMode.PAPER, symbol="BTC/USDT", side=OrderSide.SELL,
                      order_type="take_profit", amount=0.5, stop_price=43_000.0, reduce_only=True,
                      status=OrderStatus.PARTIALLY_FILLED, filled=0.2)

    fold(position, tp1, _fill(0.2, 0.2), RULES)  # the bar's volume let 0.2 of 0.5 fill
    assert position.targets_hit == 0 and position.amount == pytest.approx(0.8)

    tp1.status, tp1.filled = OrderStatus.FILLED, 0.5
    fold(position, tp1, _fill(0.3, 0.5), RULES)
    assert position.targets_hit == 1 and position.amount == pytest.approx(0.5)


def _leg(leg: str, role: str, side: OrderSide) -> OrderIntent:
    return OrderIntent(client_order_id="sc" + leg.ljust(30, "0"), signal_id=ID, user_id=ID, account_id=ID, leg=leg,
                       role=role, position_id=ID, mode=TradeMode.PAPER, symbol="BTC/USDT", side=side,
                       order_type="market", amount=1.0, status=OrderStatus.FILLED, filled=1.0,
                       history=[Transition(status=OrderStatus.PENDING, at_ms=0, cause="closed by the user")])


def _at(amount: float, fee: float, n: int) -> Fill:
    return Fill(client_order_id="sc", user_id=ID, account_id=ID, symbol="BTC/USDT", side=OrderSide.BUY,
                amount=amount, price=100.0, fee=fee, fee_currency="USDT", trade_id=f"t{n}", filled_at=AT)


async def test_entry_fees_are_all_booked_when_entries_fill_after_a_partial_exit(db: str) -> None:
    position = Position(user_id=ID, account_id=ID, signal_id=ID, provider_id=ID, mode=TradeMode.PAPER,
                        symbol="BTC/USDT", side=Side.LONG, leverage=1.0)
    entry1, entry2 = _leg("entry1", "entry", OrderSide.BUY), _leg("entry2", "entry", OrderSide.BUY)
    exit_ = _leg("exit", "exit", OrderSide.SELL)
    realised = [fold(position, entry1, _at(1.0, 10.0, 1), RULES),
                fold(position, exit_, _at(0.5, 0.0, 2), RULES),  # half out before the second entry fills
                fold(position, entry2, _at(1.0, 20.0, 3), RULES),
                fold(position, exit_, _at(1.5, 0.0, 4), RULES)]  # all out, at the entry price: only fees lost
    booked = sum(r for r in realised if r is not None)
    assert position.status == "closed" and booked == pytest.approx(-30.0)  # every entry fee, once
    assert position.realized_pnl == pytest.approx(-30.0)


async def test_what_is_left_below_half_a_lot_step_after_the_exits_closes_the_position(db: str) -> None:
    """Exits that add up to the position in lot steps can leave a float remainder (1e-5 of a 0.001 step in a
    fault campaign): no venue holds it and no order can trade it, so it is not an open position to protect
    (a stop for it was refused, planned again and refused at every sync)."""
    position = Position(user_id=ID, account_id=ID, signal_id=ID, provider_id=ID, mode=TradeMode.PAPER,
                        symbol="BTC/USDT", side=Side.LONG, amount=0.08, entered=0.08, entry_price=42_000.0,
                        leverage=1.0, status="open", take_profits=[43_000.0], stop_loss=41_000.0)
    tp1 = OrderIntent(client_order_id="sc" + "1" * 30, signal_id=ID, user_id=ID, account_id=ID, leg="tp1", role="tp",
                      position_id=ID, mode=TradeMode.PAPER, symbol="BTC/USDT", side=OrderSide.SELL,
                      order_type="take_profit", amount=0.08, stop_price=43_000.0, reduce_only=True,
                      status=OrderStatus.FILLED, filled=0.08,
                      history=[Transition(status=OrderStatus.PENDING, at_ms=0, cause="protect")])
    left = RULES.amount_step * 0.4
    fold(position, tp1, _fill(0.08 - left, 0.08 - left), RULES)
    assert (position.status, position.amount, position.close_reason) == ("closed", 0.0, "last target hit")

    position.status, position.amount = "open", 0.08  # a whole step left is a position still
    fold(position, tp1, _fill(0.08 - RULES.amount_step, 0.08 - RULES.amount_step), RULES)
    assert position.status == "open" and position.amount == pytest.approx(RULES.amount_step)


def _coin_fee(amount: float, price: float, fee: float, currency: str, n: int) -> Fill:
    return Fill(client_order_id="sc", user_id=ID, account_id=ID, symbol="BTC/USDT", side=OrderSide.BUY,
                amount=amount, price=price, fee=fee, fee_currency=currency, trade_id=f"c{n}", filled_at=AT)


async def test_a_commission_taken_from_the_coin_bought_leaves_the_rest_to_the_lot_step_and_counts_in_usdt(
        db: str) -> None:
    """Binance spot takes a buy's commission from the coins bought: the position holds what is left (what its stop
    and targets sell), to the lot step, and the fee is counted in the quote at the fill's price."""
    position = Position(user_id=ID, account_id=ID, signal_id=ID, provider_id=ID, mode=TradeMode.TESTNET,
                        symbol="BTC/USDT", side=Side.LONG, leverage=1.0)
    entry1, entry2 = _leg("entry1", "entry", OrderSide.BUY), _leg("entry2", "entry", OrderSide.BUY)
    fold(position, entry1, _coin_fee(0.0123, 42_000.0, 0.0000123, "BTC", 1), RULES)
    assert position.amount == pytest.approx(0.01228)  # 0.0122877 held, to the 0.00001 step
    assert position.fees == pytest.approx(0.0000123 * 42_000.0) and position.entry_price == 42_000.0
    fold(position, entry2, _coin_fee(0.01, 41_000.0, 0.4, "USDT", 2), RULES)  # a fee in the quote is as it was
    assert position.amount == pytest.approx(0.02228) and position.fees == pytest.approx(0.5166 + 0.4)
    exit_ = _leg("exit", "exit", OrderSide.SELL)
    realised = fold(position, exit_, Fill(client_order_id="sc", user_id=ID, account_id=ID, symbol="BTC/USDT",
                                          side=OrderSide.SELL, amount=0.02228, price=43_000.0, fee=0.0,
                                          fee_currency="USDT", trade_id="c3", filled_at=AT), RULES)
    cost = 0.01228 * 42_000.0 + 0.01 * 41_000.0
    assert position.status == "closed" and realised == pytest.approx(0.02228 * 43_000.0 - cost - 0.5166 - 0.4)
