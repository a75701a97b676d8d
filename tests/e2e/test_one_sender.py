"""Two runners of one stored order never both send it (the execution issue, defect 10). Binance refuses a
repeated client id only among open orders, so a market order that filled can be placed a second time under the
same id: the claim to send (pending -> submitted) is a conditional write in the database, which one runner
wins, in one process or two."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.domain import OrderSide, OrderStatus
from core.services.orders.desk import Leg
from models import ExchangeAccount, OrderIntent, Position
from models.refs import ref
from tests.e2e.test_restart import KillPlan, World, setup, step


async def test_two_runners_of_one_pending_order_send_it_once(new_world: Callable[[bool], World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "ccxt")
        await step(services, world, 0)
        [position] = await Position.find_all().to_list()
        account = await ExchangeAccount.get(position.account_id)
        assert account is not None
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="exit", symbol="BTC/USDT",
                  side=OrderSide.SELL, amount=position.amount, price=42_250.0, cause="closed by the user",
                  reduce_only=True, role="exit", position_id=ref(position))
        stored = await services.executor.desk.claim(leg, account)
        one, other = await OrderIntent.get(stored.id), await OrderIntent.get(stored.id)  # two runners' copies
        assert one is not None and other is not None and one.status is OrderStatus.PENDING

        await asyncio.gather(services.executor.send(one, position), services.executor.send(other, position))

        assert [o.client_id for o in fake.orders.values()].count(stored.client_order_id) == 1
        final = await OrderIntent.get(stored.id)
        assert final is not None and final.status is OrderStatus.FILLED
        await services.client.drop_database(world.settings.db_name)
