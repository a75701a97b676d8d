"""A rate limit on a new call's entry (the execution issue, defect 5): the bulk path sends each account's
entries once; a 429 used to refuse the entry outright. Now the entry goes on through the one-order path: looked
up by its client id first (a 429 never placed it, but that is checked, not assumed), then sent again."""

from __future__ import annotations

from collections.abc import Callable

from core.domain import OrderStatus
from models import OrderIntent, Position
from tests.e2e.test_restart import KillPlan, World, setup, step


async def test_a_rate_limited_entry_is_looked_up_then_sent_again(new_world: Callable[..., World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "ccxt")
        fake.inject("/order", "rate_limit")  # the first order call of the run: the entry's create
        await step(services, world, 0)

        [position] = await Position.find_all().to_list()
        assert position.status == "open"
        entry = await OrderIntent.find_one(OrderIntent.role == "entry")
        assert entry is not None and entry.status is OrderStatus.FILLED
        order_calls = [method for method, path in fake.calls if path.endswith("/order")]
        assert order_calls[:3] == ["POST", "GET", "POST"]  # refused with 429, looked up (absent), sent once more
        assert [o.client_id for o in fake.orders.values()].count(entry.client_order_id) == 1
        await services.client.drop_database(world.settings.db_name)
