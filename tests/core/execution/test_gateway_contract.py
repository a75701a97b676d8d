"""One contract, every venue: the paper exchange, ccxt (spot, USDT-M futures) against the fake Binance, and ccxt
(USDT perpetuals) against the fake Bybit."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.gateway import OrderRejected, OrderRequest
from tests.core.execution.conftest import Venue

_ids = itertools.count(1)


def order(venue: Venue, order_type: str = "market", side: OrderSide = OrderSide.BUY, amount: float = 0.01,
          price: float | None = None, **extra: object) -> OrderRequest:
    cid = f"sc{next(_ids):030d}"
    fields: dict[str, object] = {"ref_price": 42_250.0, "leverage": 5, **extra}
    return OrderRequest(client_order_id=cid, account_id=venue.account_id, symbol="BTC/USDT", side=side,
                        order_type=order_type, amount=amount, price=price, **fields)  # type: ignore[arg-type]


async def test_market_order_fills_once_and_is_found_by_its_client_id(venue: Venue) -> None:
    request = await venue.gateway.prepare(order(venue))
    first = await venue.gateway.create_order(request)
    assert first.status is OrderStatus.FILLED and first.filled == pytest.approx(0.01)
    assert first.average_price == pytest.approx(42_250.0)
    fetched = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert fetched is not None and fetched.status is OrderStatus.FILLED and fetched.filled == pytest.approx(0.01)
    assert fetched.exchange_order_id == first.exchange_order_id


async def test_a_repeated_id_of_an_open_order_returns_that_order(venue: Venue) -> None:
    """Binance refuses a repeated client id among open orders (a filled one's id it accepts again, so the engine
    looks an order up before it ever sends it again); the gateway adopts the open order it was refused for."""
    request = await venue.gateway.prepare(order(venue, "limit", price=41_000.0))
    first = await venue.gateway.create_order(request)
    again = await venue.gateway.create_order(request)
    assert (again.exchange_order_id, again.status) == (first.exchange_order_id, OrderStatus.OPEN)
    if venue.fake is not None:
        assert len(venue.fake.orders) == 1  # the exchange holds one order, the repeat was adopted


async def test_unknown_client_id_is_none(venue: Venue) -> None:
    assert await venue.gateway.fetch_order("sc" + "9" * 30, "BTC/USDT") is None
    assert await venue.gateway.cancel_order("sc" + "9" * 30, "BTC/USDT") is None


async def test_limit_rests_is_listed_and_fills_when_the_price_reaches_it(venue: Venue) -> None:
    request = await venue.gateway.prepare(order(venue, "limit", price=41_000.0))
    placed = await venue.gateway.create_order(request)
    assert placed.status is OrderStatus.OPEN and placed.filled == 0
    listed = await venue.gateway.open_orders(venue.account_id, "BTC/USDT")
    assert [o.client_order_id for o in listed] == [request.client_order_id]
    await venue.move("BTC/USDT", 40_900.0)
    done = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert done is not None and done.status is OrderStatus.FILLED
    assert done.average_price == pytest.approx(41_000.0)  # a resting limit fills at its own price
    assert await venue.gateway.open_orders(venue.account_id, "BTC/USDT") == []


async def test_a_fill_is_dated_when_it_filled_not_when_the_order_was_placed(venue: Venue) -> None:
    request = await venue.gateway.prepare(order(venue, "limit", price=41_000.0))
    placed = await venue.gateway.create_order(request)
    venue.later(days=1)  # a stop or entry placed yesterday, reached today: today's loss or profit
    await venue.move("BTC/USDT", 40_900.0)
    done = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert done is not None and done.status is OrderStatus.FILLED
    assert done.at - placed.at >= timedelta(days=1)


async def test_cancel_a_resting_order_twice(venue: Venue) -> None:
    request = await venue.gateway.prepare(order(venue, "limit", price=40_000.0))
    await venue.gateway.create_order(request)
    cancelled = await venue.gateway.cancel_order(request.client_order_id, "BTC/USDT")
    assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
    again = await venue.gateway.cancel_order(request.client_order_id, "BTC/USDT")
    assert again is not None and again.status is OrderStatus.CANCELLED
    await venue.move("BTC/USDT", 39_000.0)
    still = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert still is not None and still.status is OrderStatus.CANCELLED and still.filled == 0


async def test_prepare_rounds_to_the_market_and_refuses_doomed_orders(venue: Venue) -> None:
    prepared = await venue.gateway.prepare(order(venue, "limit", amount=0.0123456789, price=41_000.126))
    rules = await venue.gateway.rules("BTC/USDT")  # Binance: step 0.00001, tick 0.01; Bybit: 0.001 and 0.1
    expected = (0.01234, 41_000.13) if rules.amount_step < 1e-4 else (0.012, 41_000.1)
    assert (prepared.amount, prepared.price) == pytest.approx(expected)
    with pytest.raises(OrderRejected, match=r"exchange minimum|rounds to 0") as refused:  # under 5 notional, or
        await venue.gateway.prepare(order(venue, amount=0.0001))  # under the lot step
    assert refused.value.kind == "minimum"


async def test_a_reduce_only_order_below_the_minimum_notional_is_accepted(venue: Venue) -> None:
    """USDT-M futures exempt reduce-only orders from the minimum notional: the last part of a position that
    targets shrank can still be stopped out. (Spot has no reduce-only orders: its NOTIONAL filter applies to all.)"""
    if venue.name == "ccxt-spot":
        pytest.skip("spot has no reduce-only orders")
    rules = await venue.gateway.rules("BTC/USDT")
    if rules.min_amount * 41_000 >= rules.min_notional:
        pytest.skip(f"{venue.name}: its least amount is worth more than the minimum notional")
    small = order(venue, "stop_market" if venue.name == "paper" else "market", side=OrderSide.SELL,
                  amount=0.0001, reduce_only=True, stop_price=41_000.0)  # 0.0001 x 41,000 = 4.1 < 5 notional
    prepared = await venue.gateway.prepare(small)
    assert prepared.amount == pytest.approx(0.0001)
    with pytest.raises(OrderRejected) as refused:  # the minimum amount still holds
        await venue.gateway.prepare(replace(small, amount=0.000001))
    assert refused.value.kind == "minimum"


async def test_insufficient_funds_is_final(venue: Venue) -> None:
    request = await venue.gateway.prepare(order(venue, amount=5.0, leverage=1))
    with pytest.raises(OrderRejected) as refused:
        await venue.gateway.create_order(request)
    assert refused.value.kind == "funds"


async def test_balance_reports_the_quote_currency(venue: Venue) -> None:
    before = (await venue.gateway.balance(venue.account_id))["USDT"]
    await venue.gateway.create_order(await venue.gateway.prepare(order(venue)))
    after = (await venue.gateway.balance(venue.account_id))["USDT"]
    assert before == pytest.approx(10_000.0) and after < before


async def test_fills_report_their_fee_when_placed_and_when_fetched_later(venue: Venue) -> None:
    """Binance's futures order answers carry no fee, and a spot order fetched after it filled has no fills in
    it: the ccxt gateway reads the order's trades then (a market fill and a resting limit filled later)."""
    taker, maker = venue.fees
    market = await venue.gateway.create_order(await venue.gateway.prepare(order(venue)))
    if venue.spot:  # Binance spot takes a buy's commission from the coin bought
        assert market.fee == pytest.approx(0.01 * taker) and market.fee_currency == "BTC"
    else:
        assert market.fee == pytest.approx(0.01 * 42_250 * taker) and market.fee_currency == "USDT"
    again = await venue.gateway.fetch_order(market.client_order_id, "BTC/USDT")
    assert again is not None and again.fee == pytest.approx(market.fee)

    request = await venue.gateway.prepare(order(venue, "limit", price=41_000.0))
    assert (await venue.gateway.create_order(request)).fee == 0
    await venue.move("BTC/USDT", 40_900.0)
    done = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert done is not None and done.fee == pytest.approx(0.01 * (1 if venue.spot else 41_000) * maker)


def _holds_stops(venue: Venue, kind: str = "stop_market") -> None:
    if not venue.gateway.supports(kind):
        pytest.skip(f"{venue.name} does not hold {kind} orders: the engine emulates them there")


@pytest.mark.parametrize(("kind", "through"), [("stop_market", 40_900.0), ("take_profit", 43_100.0)])
async def test_a_held_stop_or_target_rests_then_fills_after_its_trigger_trades(venue: Venue, kind: str,
                                                                               through: float) -> None:
    _holds_stops(venue, kind)
    entry = await venue.gateway.create_order(await venue.gateway.prepare(order(venue)))
    assert entry.status is OrderStatus.FILLED
    trigger = 41_000.0 if kind == "stop_market" else 43_000.0
    request = await venue.gateway.prepare(order(venue, kind, side=OrderSide.SELL, stop_price=trigger,
                                                reduce_only=True, amount=venue.bought(0.01)))
    placed = await venue.gateway.create_order(request)
    assert placed.status is OrderStatus.OPEN and placed.filled == 0
    resting = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT", kind)
    assert resting is not None and resting.status is OrderStatus.OPEN
    listed = await venue.gateway.open_orders(venue.account_id, "BTC/USDT")
    assert request.client_order_id in [o.client_order_id for o in listed]

    venue.later(minutes=3)
    await venue.move("BTC/USDT", through)

    done = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT", kind)
    assert done is not None and done.status is OrderStatus.FILLED and done.filled == pytest.approx(venue.bought(0.01))
    assert done.client_order_id == request.client_order_id  # reported under our id, whoever placed the fill
    assert done.average_price is not None  # at the trigger (a bar that traded through it) or past it (a gap)
    assert min(trigger, through) - 1e-6 <= done.average_price <= max(trigger, through) + 1e-6
    assert request.client_order_id not in [o.client_order_id for o in
                                           await venue.gateway.open_orders(venue.account_id, "BTC/USDT")]


async def test_two_reduce_only_stops_for_a_moment_close_the_position_once(venue: Venue) -> None:
    """A moved stop is placed before the old one is cancelled, and the old one's cancel can fail: for a moment both
    rest. Reduce-only, they can only close what is open: the second to fire finds nothing and fills nothing."""
    _holds_stops(venue)
    if venue.spot:
        pytest.skip("spot: a resting stop holds its coins, so a second one is refused (the engine cancels first)")
    await venue.gateway.create_order(await venue.gateway.prepare(order(venue)))
    stops = [await venue.gateway.prepare(order(venue, "stop_market", side=OrderSide.SELL, stop_price=trigger,
                                               reduce_only=True)) for trigger in (41_000.0, 41_200.0)]
    for stop in stops:
        await venue.gateway.create_order(stop)
    venue.later(minutes=3)
    await venue.move("BTC/USDT", 40_900.0)
    done = [await venue.gateway.fetch_order(s.client_order_id, "BTC/USDT", "stop_market") for s in stops]
    assert sum(d.filled for d in done if d is not None) == pytest.approx(0.01)
    assert {d.status for d in done if d is not None} <= {OrderStatus.FILLED, OrderStatus.EXPIRED,
                                                         OrderStatus.CANCELLED, OrderStatus.OPEN}


async def test_a_held_stop_is_cancelled_by_its_client_id_and_a_passed_trigger_is_refused(venue: Venue) -> None:
    _holds_stops(venue)
    await venue.gateway.create_order(await venue.gateway.prepare(order(venue)))
    request = await venue.gateway.prepare(order(venue, "stop_market", side=OrderSide.SELL, stop_price=41_000.0,
                                                reduce_only=True, amount=venue.bought(0.01)))
    await venue.gateway.create_order(request)
    cancelled = await venue.gateway.cancel_order(request.client_order_id, "BTC/USDT", "stop_market")
    assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
    again = await venue.gateway.cancel_order(request.client_order_id, "BTC/USDT", "stop_market")
    assert again is not None and again.status is OrderStatus.CANCELLED
    if venue.name == "paper":
        return  # the paper exchange fires a passed stop at once (the engine's monitor did the same before)
    passed = await venue.gateway.prepare(order(venue, "stop_market", side=OrderSide.SELL, stop_price=42_500.0,
                                               reduce_only=True, amount=venue.bought(0.01)))
    with pytest.raises(OrderRejected) as refused:
        await venue.gateway.create_order(passed)
    assert refused.value.kind == "triggered"  # the engine exits at market instead
