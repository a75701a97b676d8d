"""Stops that do not depend on Signalcord being up (the execution issue): on Binance USDT-M the stop and the
targets rest on the exchange as reduce-only conditional orders (Binance's algo-order API, through ccxt), so a
stop fires while the bot is down and the fill is read on restart; a moved stop is placed before the old one is
cancelled, and a refused replacement leaves the old one working. The real ccxt client talks to the fake Binance,
which triggers conditional orders on the price the test drives."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from tenacity import wait_none

from core.api.views import Caller
from core.app import Services
from core.domain import NotificationKind, OrderStatus, RawMessage
from models import Fill, Notification, OrderIntent, Position
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.e2e.test_restart import KillPlan, World, setup, step, world_for
from tests.fakes.faults import FakeVenue

CLEAN = KillPlan(at=None, after=False)


@asynccontextmanager
async def in_at_market(world: World) -> AsyncIterator[Services]:
    """One user in at market on the venue: 0.08 BTC, the stop at 41,000 and two targets placed. The database is
    dropped at the end."""
    async with world.process(CLEAN) as services:
        await setup(services, world.venue)
        await step(services, world, 0)
        yield services
        await services.client.drop_database(world.settings.db_name)


@asynccontextmanager
async def back_up_after_the_stop_fired(world: World, stop: OrderIntent, amount: float, fired_at: int
                                       ) -> AsyncIterator[tuple[Services, Fill]]:
    """Signalcord starts again after the venue fired `stop` at 40,900 while it was down: the minute job reads it,
    the position is closed as stopped out, and the exit fill (of `amount`) is dated when it traded (`fired_at`,
    epoch ms). The database is dropped at the end."""
    async with world.process(CLEAN) as services:
        world.clock.advance(minutes=1)
        await services.start_up()
        await services.reconciler.run()
        [position] = await Position.find_all().to_list()
        assert (position.status, position.close_reason) == ("closed", "stop-loss hit")
        assert position.exit_price == pytest.approx(40_900.0)
        exit_fill = await Fill.find_one(Fill.client_order_id == stop.client_order_id)
        assert exit_fill is not None and exit_fill.amount == pytest.approx(amount)
        assert int(exit_fill.filled_at.timestamp() * 1000) == fired_at  # dated when it traded
        yield services, exit_fill
        await services.client.drop_database(world.settings.db_name)


async def moved_stop(services: Services, fake: FakeVenue) -> OrderIntent:
    """The user moves the stop to 41,500 (the venue's calls counted from here): the new generation works and the
    old one is cancelled. Returns the new stop."""
    old = await _stop()
    [position] = await Position.find_all().to_list()
    fake.calls.clear()
    await services.api.positions.move_stop(Caller(discord_id=1000), str(position.id), 41_500.0)
    new = await _stop()
    assert new.leg == "sl.2" and new.stop_price == 41_500.0 and new.status is OrderStatus.OPEN
    refreshed = await OrderIntent.get(old.id)
    assert refreshed is not None and refreshed.status is OrderStatus.CANCELLED
    return new


async def _stop(role: str = "sl") -> OrderIntent:
    found = await OrderIntent.find(OrderIntent.role == role).sort("-_id").first_or_none()
    assert found is not None
    return found


async def test_the_stop_rests_on_the_exchange_and_fires_while_signalcord_is_down(
        new_world: Callable[..., World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(CLEAN) as services:
        await setup(services, "ccxt")
        await step(services, world, 0)  # in at market, 0.08 BTC; stop 41,000 and two targets on the exchange
        stop = await _stop()
        held = fake.algo(stop.client_order_id)
        assert not stop.emulated and stop.status is OrderStatus.OPEN
        assert held is not None and (held.type, held.trigger, held.qty, held.reduce_only) == (
            "STOP_MARKET", 41_000.0, pytest.approx(0.08), True)
        assert sorted(a.type for a in fake.algos.values()) == ["STOP_MARKET", "TAKE_PROFIT_MARKET",
                                                               "TAKE_PROFIT_MARKET"]

    world.clock.advance(minutes=5)
    fake.clock_ms += 5 * 60_000
    fired_at = fake.clock_ms
    world.market(2)  # 40,900 while Signalcord is down: the exchange fires the stop by itself
    assert held.status == "FINISHED" and held.actual_order_id is not None

    async with back_up_after_the_stop_fired(world, stop, 0.08, fired_at):
        # the targets were cancelled on the exchange: nothing is left resting
        assert [a.type for a in fake.algos.values() if a.status == "NEW"] == []


async def test_a_moved_stop_is_placed_before_the_old_one_is_cancelled(new_world: Callable[..., World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with in_at_market(world) as services:
        new = await moved_stop(services, fake)
        algo_calls = [method for method, path in fake.calls if path.endswith("/algoOrder")]
        assert algo_calls.index("POST") < algo_calls.index("DELETE")  # the new stop first, then the old one goes
        assert [(a.client_id, a.trigger) for a in fake.algos.values() if a.status == "NEW" and a.type == "STOP_MARKET"
                ] == [(new.client_order_id, 41_500.0)]


async def test_a_refused_replacement_leaves_the_old_stop_working(new_world: Callable[..., World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with in_at_market(world) as services:
        old = await _stop()
        [position] = await Position.find_all().to_list()
        fake.inject("/algoOrder", "insufficient")  # the exchange refuses the replacement

        await services.api.positions.move_stop(Caller(discord_id=1000), str(position.id), 41_500.0)

        new = await _stop()
        assert new.leg == "sl.2" and new.status is OrderStatus.REJECTED
        still = fake.algo(old.client_order_id)
        assert still is not None and still.status == "NEW" and still.trigger == 41_000.0
        refreshed = await OrderIntent.get(old.id)
        assert refreshed is not None and refreshed.status is OrderStatus.OPEN
        [told] = await Notification.find(Notification.kind == NotificationKind.ORDER_REJECTED).to_list()
        assert "Your earlier stop at 41000 stays in place" in told.text


@pytest.mark.parametrize(("venue", "held"), [("ccxt", "on the exchange"), ("paper", "on the exchange"),
                                             ("bybit", "on the exchange")])
async def test_positions_say_who_holds_their_stop(new_world: Callable[..., World], venue: str, held: str) -> None:
    async with in_at_market(world_for(new_world, venue)) as services:
        [shown] = await services.api.positions.open(Caller(discord_id=1000))
        assert shown.protection == held
        stop = await _stop()
        await stop.set({OrderIntent.emulated: True, OrderIntent.status: OrderStatus.PENDING})  # armed here instead
        [armed] = await services.api.positions.open(Caller(discord_id=1000))
        assert armed.protection == "while Signalcord runs"
        await stop.set({OrderIntent.status: OrderStatus.CANCELLED})
        [bare] = await services.api.positions.open(Caller(discord_id=1000))
        assert bare.protection == "no working stop"


@pytest.mark.parametrize("fault", ["rate_limit", "unavailable"])
async def test_a_provider_close_goes_on_when_cancelling_the_stop_fails(new_world: Callable[..., World],
                                                                      fault: str) -> None:
    """Found by the fault campaign: a 429 while cancelling the stop during a provider's close escaped the cancel,
    ended the whole update (the message stayed unprocessed) and left the position open. A rate-limited cancel is
    retried like a send; one that still fails is left to the reconciler, and the close goes on (its exit is
    reduce-only, so a stop that fires too can only close what is open)."""
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with in_at_market(world) as services:
        services.protection.desk.backoff = wait_none()  # a rate limit is waited out at once here
        stop = await _stop()
        for _ in range(services.protection.desk.attempts if fault == "rate_limit" else 1):
            fake.inject("/algoOrder", fault)

        result = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=2, author="provider",
                                                           text="Close #BTCUSDT", created_at=POSTED))

        assert result.status == "processed"
        [position] = await Position.find_all().to_list()
        assert (position.status, position.amount) == ("closed", 0.0)
        world.clock.advance(minutes=1)
        await services.reconciler.run()  # the stop that could not be cancelled then is cancelled now
        assert fake.algo(stop.client_order_id) is not None and fake.algo(stop.client_order_id).status == "CANCELED"
        refreshed = await OrderIntent.get(stop.id)
        assert refreshed is not None and refreshed.status is OrderStatus.CANCELLED


async def test_a_replacement_refused_again_and_again_is_retried_less_and_less_often(
        new_world: Callable[..., World]) -> None:
    """A moved stop the exchange keeps refusing (here: margin) is planned again at each sync. It used to be sent
    again every minute, each a new order id and a refusal; now each retry waits twice as long as the one before
    (1, 2, 4 ... minutes, at most an hour), the old stop working all along, and it goes once the exchange takes it."""
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with in_at_market(world) as services:
        [position] = await Position.find_all().to_list()
        old = await _stop()
        refusing = {"on": True}
        fake.chaos = lambda method, path: "insufficient" if (
            refusing["on"] and method == "POST" and path.endswith("/algoOrder")) else None
        await services.api.positions.move_stop(Caller(discord_id=1000), str(position.id), 41_500.0)
        tried_at: dict[str, int] = {}
        for minute in range(1, 11):
            world.clock.advance(minutes=1)
            await services.monitor.tick()
            await services.reconciler.run()
            for intent in await OrderIntent.find(OrderIntent.role == "sl").to_list():
                tried_at.setdefault(intent.leg, minute)
        assert tried_at == {"sl": 1, "sl.2": 1, "sl.3": 1, "sl.4": 3, "sl.5": 7}  # 1, 2, then 4 minutes apart
        still = fake.algo(old.client_order_id)
        assert still is not None and still.status == "NEW"  # the old stop works all along

        refusing["on"] = False  # the exchange takes it at the next try, 8 minutes after the last
        for _ in range(6):
            world.clock.advance(minutes=1)
            await services.monitor.tick()
            await services.reconciler.run()
        placed = await _stop()
        assert (placed.leg, placed.status, placed.stop_price) == ("sl.6", OrderStatus.OPEN, 41_500.0)
        assert fake.algo(old.client_order_id) is not None and fake.algo(old.client_order_id).status == "CANCELED"
