"""Two processes syncing one position at once (the execution issue, concurrency). The position's lock lives in
one process, so it does not keep out another: a second process that read the live stops before the first
claimed its replacement, and counted the stop's generations after, claimed one more generation (sl.3 next to
sl.2) and both rested on the exchange. The next generation is now named from the same reading as the live
stops, so both processes name the same replacement and the stored client id makes it one order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.domain import LIVE
from models import OrderIntent, Position
from models.refs import ref
from tests.e2e.test_restart import KillPlan, World, setup, step

CLEAN = KillPlan(at=None, after=False)


@pytest.mark.parametrize("venue", ["paper", "ccxt"])
async def test_two_processes_syncing_one_position_leave_one_live_stop(
        new_world: Callable[[bool], World], venue: str) -> None:
    world = new_world(venue == "ccxt")
    async with world.process(CLEAN) as first:
        await setup(first, venue)
        await step(first, world, 0)  # in, the stop at 41,000 resting on the venue
        [position] = await Position.find_all().to_list()
        await position.set({Position.stop_loss: 41_500.0})  # the stop is moved: each process wants a replacement

        async with world.process(CLEAN) as second:  # another process on the same database and account
            read, first_done = asyncio.Event(), asyncio.Event()
            late = second.protection
            real_claim = late._claim

            async def claim(*args: Any) -> Any:  # the second has read the live stops; the first runs now
                read.set()
                await first_done.wait()
                return await real_claim(*args)

            late._claim = claim  # type: ignore[method-assign]
            behind = asyncio.create_task(late.sync(position))
            await read.wait()
            await first.protection.sync(position)
            first_done.set()
            await behind

            stops = await OrderIntent.find({"position_id": ref(position), "role": "sl"}).to_list()
            live = [s for s in stops if s.status in LIVE]
            assert [(s.leg, s.stop_price) for s in live] == [("sl.2", pytest.approx(41_500.0))]
            if world.fake is not None:
                ours = {s.client_order_id for s in stops}  # the fake exchange outlives one test
                resting = [a.client_id for a in world.fake.algos.values() if a.client_id in ours and a.status == "NEW"]
                assert resting == [live[0].client_order_id]
        await first.client.drop_database(world.settings.db_name)
