"""Two syncs of one position at once (the execution issue, defect 4): reconcile, the monitor and provider updates
all sync, so overlap is normal. The replacement used to be claimed after the lock was released, so both syncs
replaced the stop and two stops were left live. Now what a sync sends is claimed under the lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.domain import LIVE
from models import OrderIntent, PaperOrder, Position
from models.refs import ref
from tests.e2e.test_restart import KillPlan, World, setup, step


class WatchedLock(asyncio.Lock):
    """The position's lock, telling when a sync has to wait for it."""

    def __init__(self, contended: asyncio.Event) -> None:
        super().__init__()
        self.contended = contended

    async def acquire(self) -> bool:
        if self.locked():
            self.contended.set()
        return await super().acquire()


def hold_first_claim(protection: Any) -> tuple[asyncio.Event, asyncio.Event]:
    """The first sync of `protection` to claim a replacement stops there, having read the live legs: the event
    set when it got there, and the one that lets it go on."""
    reached, go_on = asyncio.Event(), asyncio.Event()
    real_claim = protection._claim

    async def claim(*args: Any) -> Any:
        if not reached.is_set():
            reached.set()
            await go_on.wait()
        return await real_claim(*args)

    protection._claim = claim
    return reached, go_on


async def test_two_syncs_at_once_leave_one_live_stop(new_world: Callable[..., World]) -> None:
    world = new_world(False)
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "paper")
        await step(services, world, 0)  # in, the stop at 41,000 resting on the paper book
        [position] = await Position.find_all().to_list()
        await position.set({Position.stop_loss: 41_500.0})  # the stop is moved: each sync wants a replacement

        protection = services.protection
        contended = asyncio.Event()
        protection.desk._position_locks[ref(position)] = WatchedLock(contended)
        first_at_claim, go_on = hold_first_claim(protection)  # the first sync stops as it is about to claim
        first = asyncio.create_task(protection.sync(position))
        await first_at_claim.wait()
        second = asyncio.create_task(protection.sync(position))
        waiting = asyncio.create_task(contended.wait())
        await asyncio.wait([second, waiting], return_when=asyncio.FIRST_COMPLETED)  # it ran, or waits for the lock
        go_on.set()
        await asyncio.gather(first, second)
        waiting.cancel()

        stops = await OrderIntent.find({"position_id": ref(position), "role": "sl"}).to_list()
        live = [s for s in stops if s.status in LIVE]
        assert len(live) == 1 and live[0].stop_price == pytest.approx(41_500.0)
        on_book = await PaperOrder.find({"client_order_id": {"$in": [s.client_order_id for s in stops]},
                                         "status": "open"}).to_list()
        assert [o.client_order_id for o in on_book] == [live[0].client_order_id]
        await services.client.drop_database(world.settings.db_name)
