"""Stops that rest on Bybit (USDT perpetuals, through ccxt against the fake Bybit): the stop and the targets are
reduce-only conditional orders on the exchange, so the stop fires while Signalcord is down and the fill is read
on restart, dated when it traded; a moved stop is placed before the old one is cancelled."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import OrderStatus
from tests.e2e.test_restart import World, setup, step
from tests.e2e.test_venue_stops import CLEAN, _stop, back_up_after_the_stop_fired, in_at_market, moved_stop
from tests.fakes.bybit import FakeBybit


def bybit_world(new_world: Callable[..., World]) -> tuple[World, FakeBybit]:
    world = new_world(True, "bybit")
    assert isinstance(world.fake, FakeBybit)
    world.fake.reset({"BTCUSDT": 42_250.0})
    return world, world.fake


async def test_the_stop_rests_on_bybit_and_fires_while_signalcord_is_down(new_world: Callable[..., World]) -> None:
    world, fake = bybit_world(new_world)
    async with world.process(CLEAN) as services:
        await setup(services, "bybit")
        await step(services, world, 0)  # in at market, 0.08 BTC; stop 41,000 and two targets on the exchange
        stop = await _stop()
        held = fake.order(stop.client_order_id)
        assert not stop.emulated and stop.status is OrderStatus.OPEN
        assert held is not None and (held.status, held.trigger, held.direction, held.qty, held.reduce_only) == (
            "Untriggered", 41_000.0, 2, pytest.approx(0.08), True)  # fires when the price falls to 41,000
        targets = [o for o in fake.orders if o.trigger and o.direction == 1]
        assert sorted(o.trigger for o in targets) == [43_000.0, 44_000.0] and all(o.reduce_only for o in targets)
        fake.clock_ms += 5 * 60_000
        fired_at = fake.clock_ms
    # down (the database kept): the price falls through the stop and Bybit fires it by itself
    world.clock.advance(minutes=5)
    fake.set_price("BTCUSDT", 40_900.0)
    world.prices.prices["BTC/USDT"] = 40_900.0
    assert held.status == "Filled" and held.executed == pytest.approx(0.08)
    async with back_up_after_the_stop_fired(world, stop, 0.08, fired_at) as (_, exit_fill):
        assert exit_fill.fee == pytest.approx(0.08 * 40_900 * 0.00055)
        assert [cid for cid, state, _ in fake.order_book() if state == "open"] == []  # targets cancelled there
        assert fake.positions[(fake.api_key, "BTCUSDT")] == 0.0


async def test_a_moved_stop_is_placed_on_bybit_before_the_old_one_is_cancelled(
        new_world: Callable[..., World]) -> None:
    world, fake = bybit_world(new_world)
    async with in_at_market(world) as services:
        new = await moved_stop(services, fake)
        posts = [path for method, path in fake.calls if method == "POST"]
        assert posts.index("/v5/order/create") < posts.index("/v5/order/cancel")  # new first, then the old goes
        stops = [(o.link_id, o.trigger) for o in fake.orders if o.status == "Untriggered" and o.direction == 2]
        assert stops == [(new.client_order_id, 41_500.0)]
