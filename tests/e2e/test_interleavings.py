"""Jobs that meet on one position, started with controlled interleavings (events, not sleeps): the monitor and
the reconciler reading the same triggered stop at once, and a user's stop move meeting a reconcile's sync. Each
must leave one fill, one exit and one live stop — never two sends or two stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.api.views import Caller
from core.domain import LIVE, OrderStatus
from core.execution.gateway import ExecutionGateway
from models import Fill, OrderIntent, Position, RealizedPnl, User
from models.refs import ref
from tests.e2e.test_monitor_isolation import wrap_gateway
from tests.e2e.test_overlapping_syncs import WatchedLock, hold_first_claim
from tests.e2e.test_restart import KillPlan, World, setup, step, world_for
from tests.fakes.wrapped import GatewayWrapper

CLEAN = KillPlan(at=None, after=False)


class Barrier:
    """Holds the first `parties` look-ups of one client id until all of them have asked the venue."""

    def __init__(self, parties: int) -> None:
        self.parties, self.arrived, self.all_in = parties, 0, asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.all_in.set()
        await self.all_in.wait()


class SharedLookups(GatewayWrapper):
    """The account's gateway, whose look-ups of the stop answer every caller the same report at once."""

    def __init__(self, inner: ExecutionGateway, cid: str, barrier: Barrier) -> None:
        super().__init__(inner)
        self._cid, self._barrier = cid, barrier

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        found = await self._inner.fetch_order(client_order_id, symbol, order_type)
        if client_order_id == self._cid and self._barrier.arrived < self._barrier.parties:
            await self._barrier.wait()  # both jobs hold the same "filled" answer before either applies it
        return found


async def test_the_monitor_and_the_reconciler_apply_one_triggered_stop_once(
        new_world: Callable[..., World]) -> None:
    world = new_world(True)
    assert world.fake is not None
    async with world.process(CLEAN) as services:
        await setup(services, "ccxt")
        await step(services, world, 0)  # in at market; the stop rests on the exchange
        stop = await OrderIntent.find_one(OrderIntent.role == "sl")
        user = await User.find_one(User.discord_id == 1000)
        assert stop is not None and user is not None
        barrier = Barrier(2)
        await services.gateways.close()
        await wrap_gateway(services, user, lambda g: SharedLookups(g, stop.client_order_id, barrier))
        world.market(2)  # the exchange fires the stop
        world.clock.advance(minutes=1)

        await asyncio.gather(services.monitor.tick(), services.reconciler.run())

        assert barrier.arrived == 2  # both really read the filled stop before either applied it
        [position] = await Position.find_all().to_list()
        assert (position.status, position.close_reason) == ("closed", "stop-loss hit")
        exits = await Fill.find(Fill.client_order_id == stop.client_order_id).to_list()
        assert len(exits) == 1 and exits[0].amount == pytest.approx(0.08)
        assert len(await RealizedPnl.find_all().to_list()) == 1
        assert position.realized_pnl == pytest.approx(sum(r.pnl for r in await RealizedPnl.find_all().to_list()))
        assert [a.type for a in world.fake.algos.values() if a.status == "NEW"] == []  # the targets went too
        await services.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_a_stop_move_meeting_a_reconcile_leaves_one_stop_at_the_new_price(
        new_world: Callable[..., World], venue: str) -> None:
    world = world_for(new_world, venue)
    async with world.process(CLEAN) as services:
        await setup(services, venue)
        await step(services, world, 0)
        [position] = await Position.find_all().to_list()
        protection = services.protection
        reached, go_on = hold_first_claim(protection)  # the first sync to claim a replacement waits there
        contended = asyncio.Event()
        protection.desk._position_locks[ref(position)] = WatchedLock(contended)
        moving = asyncio.create_task(services.api.positions.move_stop(Caller(discord_id=1000), ref(position),
                                                                      41_500.0))
        await reached.wait()  # the move's sync holds the position's protection lock, mid-claim
        reconciling = asyncio.create_task(services.reconciler.run())  # its sync of the position waits
        waiting = asyncio.create_task(contended.wait())
        await asyncio.wait([reconciling, waiting], return_when=asyncio.FIRST_COMPLETED)
        assert contended.is_set()  # the reconcile reached the lock the move holds
        go_on.set()
        await asyncio.gather(moving, reconciling)

        stops = await OrderIntent.find(OrderIntent.role == "sl").to_list()
        live = [s for s in stops if s.status in LIVE]
        assert len(live) == 1 and live[0].stop_price == pytest.approx(41_500.0) and live[0].leg == "sl.2"
        assert [s.status for s in stops if s is not live[0]] == [OrderStatus.CANCELLED]
        if world.fake is not None:
            ours = {s.client_order_id for s in stops}
            held = [cid for cid, state, _ in world.fake.order_book() if cid in ours and state == "open"]
            assert held == [live[0].client_order_id]
        await services.client.drop_database(world.settings.db_name)
