"""Two processes syncing one position at once (the execution issue, concurrency). The position's lock lives in
one process, so it does not keep out another: a second process that read the live stops before the first
claimed its replacement, and counted the stop's generations after, claimed one more generation (sl.3 next to
sl.2) and both rested on the exchange. The next generation is now named from the same reading as the live
stops, so both processes name the same replacement and the stored client id makes it one order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.api.views import Caller
from core.domain import LIVE, RawMessage
from models import OrderIntent, Position
from models.refs import ref
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
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


@pytest.mark.parametrize("venue", ["paper", "ccxt"])
async def test_a_stop_move_here_and_a_provider_update_there_leave_the_last_stop_working(
        new_world: Callable[[bool], World], venue: str) -> None:
    """The user moves the stop to 41,500 in one process while the provider's "move SL to entry" arrives in
    another; both syncs read before either claimed, so both name the replacement sl.2 and the first stored wins.
    The process whose price lost syncs again: the stop working on the venue is the position's stop (42,250)."""
    world = new_world(venue == "ccxt")
    async with world.process(CLEAN) as here:
        await setup(here, venue)
        await step(here, world, 0)  # in at 42,250, the stop at 41,000 resting on the venue
        [position] = await Position.find_all().to_list()
        world.prices.prices["BTC/USDT"] = 42_600.0  # above the entry, so a stop there rests
        if world.fake is not None:
            world.fake.set_price("BTCUSDT", 42_600.0)
        async with world.process(CLEAN) as there:
            here_read, there_read, here_claimed = asyncio.Event(), asyncio.Event(), asyncio.Event()
            claim_here, claim_there = here.protection._claim, there.protection._claim

            async def first(*args: Any) -> Any:  # the user's sync has read; it claims once the provider's has read
                here_read.set()
                await there_read.wait()
                claimed = await claim_here(*args)
                here_claimed.set()
                return claimed

            async def second(*args: Any) -> Any:  # the provider's sync has read; it claims after the user's
                there_read.set()
                await here_claimed.wait()
                return await claim_there(*args)

            here.protection._claim = first  # type: ignore[method-assign]
            there.protection._claim = second  # type: ignore[method-assign]
            moving = asyncio.create_task(here.api.positions.move_stop(Caller(discord_id=1000), ref(position), 41_500.0))
            await here_read.wait()  # the user's move has read the position and its stops
            update = RawMessage(channel_id=CHANNEL, message_id=2, author="provider", text="Move SL to entry",
                                created_at=POSTED + timedelta(minutes=3), reply_to=1)
            told = await there.pipeline.ingest(update)
            await moving

            assert told.reason == "BTC/USDT stop moved to 42250"
            fresh = await Position.get(position.id)
            assert fresh is not None and fresh.stop_loss == 42_250.0
            stops = await OrderIntent.find({"position_id": ref(position), "role": "sl"}).to_list()
            live = [s for s in stops if s.status in LIVE]
            assert [s.stop_price for s in live] == [42_250.0]
            if world.fake is not None:
                ours = {s.client_order_id for s in stops}
                resting = [a.client_id for a in world.fake.algos.values() if a.client_id in ours and a.status == "NEW"]
                assert resting == [live[0].client_order_id]
        await here.client.drop_database(world.settings.db_name)
