"""A Binance spot account (through ccxt against the fake Binance, which applies spot's rules: resting sells hold
their coins, a buy's commission is taken from the coin bought): long calls only; the stop rests on Binance as a
stop-loss-limit and fires while Signalcord is down; targets are watched here, and an exit first frees the coins
the stop holds; a moved stop replaces the old one in one cancel-replace request; a market that runs past the
stop's limit is left at market."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.api.views import Caller
from core.domain import OrderStatus, RawMessage
from models import Decision, OrderIntent, Position
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.e2e.test_restart import Killed, KillPlan, World, setup, step
from tests.e2e.test_venue_stops import CLEAN, _stop, back_up_after_the_stop_fired, in_at_market, moved_stop
from tests.fakes.binance import FEE_RATE, FakeBinance

HELD = round(0.08 * (1 - FEE_RATE), 8)  # 0.08 BTC bought leaves 0.07992: the commission is taken in BTC


def spot_world(new_world: Callable[..., World]) -> tuple[World, FakeBinance]:
    world = new_world(True, "binance", True)
    assert isinstance(world.fake, FakeBinance)
    world.fake.reset({"BTCUSDT": 42_250.0})
    return world, world.fake


async def test_the_stop_rests_on_binance_spot_and_fires_while_signalcord_is_down(
        new_world: Callable[..., World]) -> None:
    world, fake = spot_world(new_world)
    async with world.process(CLEAN) as services:
        await setup(services, "spot")
        await step(services, world, 0)  # in at market: 0.08 BTC bought, 0.07992 held; the stop rests on Binance
        [position] = await Position.find_all().to_list()
        assert position.amount == pytest.approx(HELD) and position.leverage == 1
        assert position.fees == pytest.approx(0.08 * FEE_RATE * 42_250)  # the BTC commission, valued in USDT
        stop = await _stop()
        held = fake.order(stop.client_order_id)
        assert not stop.emulated and stop.status is OrderStatus.OPEN
        assert held is not None and (held.type, held.stop, held.price, held.qty) == (
            "STOP_LOSS_LIMIT", 41_000.0, pytest.approx(40_180.0), pytest.approx(HELD))
        targets = await OrderIntent.find(OrderIntent.role == "tp").to_list()
        assert targets and all(t.emulated and t.status is OrderStatus.PENDING for t in targets)  # watched here
        [shown] = await services.api.positions.open(Caller(discord_id=1000))
        assert shown.protection == "on the exchange"
        fake.clock_ms += 5 * 60_000
        fired_at = fake.clock_ms
    world.clock.advance(minutes=5)
    fake.set_price("BTCUSDT", 40_900.0)  # down: the stop triggers on Binance and sells at the market
    world.prices.prices["BTC/USDT"] = 40_900.0
    assert held.status == "FILLED" and fake.balances["BTC"] == pytest.approx(0.0)
    async with back_up_after_the_stop_fired(world, stop, HELD, fired_at):
        [position] = await Position.find_all().to_list()
        expected = (40_900 - 42_250) * HELD - 0.08 * FEE_RATE * 42_250 - HELD * 40_900 * FEE_RATE
        assert position.realized_pnl == pytest.approx(expected)
        assert await OrderIntent.live() == []  # the watched targets are disarmed


async def test_a_target_sells_the_coins_the_stop_held_then_the_stop_goes_back_on(
        new_world: Callable[..., World]) -> None:
    """The target's sale replaces the stop holding its coins in one cancel-replace request; the next request puts
    the stop back for what is left."""
    world, fake = spot_world(new_world)
    async with in_at_market(world) as services:
        first = await _stop()
        fake.calls.clear()
        await step(services, world, 1)  # 43,100: target 1 trades
        assert [path for method, path in fake.calls if method != "GET"][:2] == ["/api/v3/order/cancelReplace"] * 2
        [position] = await Position.find_all().to_list()
        tp1 = await OrderIntent.find_one(OrderIntent.leg == "tp1")
        assert tp1 is not None and tp1.status is OrderStatus.FILLED
        assert position.status == "open" and position.amount == pytest.approx(HELD - tp1.filled)
        again = await _stop()
        refreshed = await OrderIntent.get(first.id)
        assert refreshed is not None and refreshed.status is OrderStatus.CANCELLED
        assert again.leg == "sl.2" and again.status is OrderStatus.OPEN and again.amount == pytest.approx(
            position.amount)
        resting = fake.order(again.client_order_id)
        assert resting is not None and resting.type == "STOP_LOSS_LIMIT"
        assert fake.held(fake.api_key, "BTC") == pytest.approx(position.amount)  # all that is left is protected

        await step(services, world, 2)  # 40,900: the stop on Binance sells the rest
        [position] = await Position.find_all().to_list()
        assert (position.status, position.close_reason) == ("closed", "stop-loss hit")
        assert fake.balances["BTC"] == pytest.approx(0.0, abs=1e-9)


async def test_a_target_the_exchange_refuses_puts_the_stop_back_at_once(new_world: Callable[..., World]) -> None:
    world, fake = spot_world(new_world)
    async with in_at_market(world) as services:
        first = await _stop()
        fake.inject("/order/cancelReplace", "insufficient")  # the stop is cancelled, the target's sell refused
        await step(services, world, 1)  # 43,100: target 1 trades; its sell frees the coins, then is refused
        tp1 = await OrderIntent.find_one(OrderIntent.leg == "tp1")
        assert tp1 is not None and tp1.status is OrderStatus.REJECTED
        refreshed = await OrderIntent.get(first.id)
        assert refreshed is not None and refreshed.status is OrderStatus.CANCELLED
        again = await _stop()
        assert again.leg == "sl.2" and again.status is OrderStatus.OPEN and again.amount == pytest.approx(HELD)
        resting = fake.order(again.client_order_id)
        assert resting is not None and resting.status == "NEW" and resting.qty == pytest.approx(HELD)


async def test_a_moved_stop_replaces_the_old_one_in_one_request(new_world: Callable[..., World]) -> None:
    """Spot: the old stop holds the coins the new one sells, so the new one cannot be placed first; Binance's
    cancel-replace cancels the old one and places the new one in one request (the coins pass between them inside
    the exchange)."""
    world, fake = spot_world(new_world)
    async with in_at_market(world) as services:
        new = await moved_stop(services, fake)
        sent = [(method, path) for method, path in fake.calls if method != "GET"]
        assert sent[0] == ("POST", "/api/v3/order/cancelReplace") and ("POST", "/api/v3/order") not in sent
        assert [(o.client_id, o.stop) for o in fake.orders.values() if o.status == "NEW"] == [
            (new.client_order_id, 41_500.0)]


async def test_a_market_that_runs_past_the_stops_limit_is_left_at_market(new_world: Callable[..., World]) -> None:
    """A stop-limit triggers but cannot fill when the market gaps past its limit; the monitor sees it and exits
    at market (the stop is cancelled first: it holds the coins)."""
    world, fake = spot_world(new_world)
    async with in_at_market(world) as services:
        stop = await _stop()
        world.prices.prices["BTC/USDT"] = 40_000.0
        fake.set_price("BTCUSDT", 40_000.0)  # below the limit 40,180: triggered, resting unfilled
        world.clock.advance(minutes=1)
        await services.monitor.tick()
        [position] = await Position.find_all().to_list()
        assert (position.status, position.close_reason) == ("closed", "stop-loss hit")
        assert position.exit_price == pytest.approx(40_000.0)
        refreshed = await OrderIntent.get(stop.id)
        assert refreshed is not None and refreshed.status is OrderStatus.CANCELLED
        at_market = await OrderIntent.find_one(OrderIntent.leg == "sl.m")
        assert at_market is not None and at_market.status is OrderStatus.FILLED
        assert at_market.filled == pytest.approx(HELD) and "ran past the stop's limit" in at_market.history[0].cause
        assert fake.balances["BTC"] == pytest.approx(0.0, abs=1e-9)


async def test_a_short_call_is_not_traded_on_a_spot_account_and_the_user_is_told_why(
        new_world: Callable[..., World]) -> None:
    world, fake = spot_world(new_world)
    async with world.process(CLEAN) as services:
        await setup(services, "spot")
        world.clock.advance(minutes=1)
        short = "BTC/USDT SHORT entry 42000-42500 TP1 41000 SL 43000 10x"
        await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider", text=short,
                                                  created_at=POSTED))
        [decision] = await Decision.find_all().to_list()
        assert decision.outcome.value == "block" and decision.rule == "spot_account"
        assert "spot, where a short cannot be opened" in decision.reason
        assert fake.orders == {} and await Position.find_all().to_list() == []
        await services.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
async def test_a_kill_at_the_cancel_replace_leaves_one_stop_on_the_coins_then_the_move_goes_through(
        new_world: Callable[..., World], after: bool) -> None:
    """Killed before the cancel-replace reached Binance (the old stop works; the move's resend is refused for the
    coins the old one holds, and the next sync replaces it), or after it landed with its answer lost (the
    reconciler finds the new stop and the old one cancelled). Either way one stop holds the coins, and the move is
    done; no order is placed twice."""
    world, fake = spot_world(new_world)
    plan = KillPlan(at=2, after=after)  # order calls: 0 the entry, 1 the stop, 2 the move's cancel-replace
    with pytest.raises(Killed):
        async with world.process(plan) as services:
            await setup(services, "spot")
            await step(services, world, 0)
            [position] = await Position.find_all().to_list()
            await services.api.positions.move_stop(Caller(discord_id=1000), str(position.id), 41_500.0)
    async with world.process(CLEAN) as services:
        for _ in range(3):  # start-up, then the minute job twice (a refused replacement waits a minute)
            world.clock.advance(minutes=2)
            await (services.start_up() if _ == 0 else services.reconciler.run())
        stops = await OrderIntent.find(OrderIntent.role == "sl").to_list()
        live = [s for s in stops if s.status in (OrderStatus.OPEN, OrderStatus.SUBMITTED)]
        resting = [o for o in fake.orders.values() if o.status == "NEW"]
        assert [s.stop_price for s in live] == [41_500.0]
        assert [o.client_id for o in resting] == [live[0].client_order_id]
        assert fake.held(fake.api_key, "BTC") == pytest.approx(HELD)
        ids = [o.client_id for o in fake.orders.values()]
        assert len(ids) == len(set(ids)) and set(ids) <= {s.client_order_id for s in stops} | {
            i.client_order_id for i in await OrderIntent.find_all().to_list()}
        await services.client.drop_database(world.settings.db_name)
