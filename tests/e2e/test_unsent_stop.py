"""A replacement stop stored but never sent (the execution issue, defect 3): the process dies between storing the
new stop (PENDING) and sending it. It used to stay PENDING for ever and still count as protection: the
reconciler looked only at orders on the venue, sync took the PENDING one for live. Now the reconciler sends an
unsent venue order once its grace period has passed (nothing can be on the venue under its id: it is sent only
after it is marked submitted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.domain import ON_VENUE, NotificationKind, OrderSide, OrderStatus
from core.execution.gateway import ExecutionGateway, OrderRequest
from core.services.orders.desk import Leg
from models import ExchangeAccount, Notification, OrderIntent, PaperOrder, Position
from models.refs import ref
from tests.e2e.test_restart import Killed, KillPlan, World, setup, step


class DiesPreparingAStop:
    """The paper venue, in a process that dies as it prepares its first stop order."""

    def __init__(self, inner: ExecutionGateway) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        if request.order_type == "stop_market":
            raise Killed
        return await self._inner.prepare(request)


async def test_a_stop_stored_but_never_sent_is_sent_after_a_restart(new_world: Callable[..., World]) -> None:
    world = new_world(False)
    plan = KillPlan(at=None, after=False)
    async with world.process(plan) as services:
        await setup(services, "paper")
        await step(services, world, 0)  # in, with a stop at 41,000 and two targets resting on the paper book
    with pytest.raises(Killed):
        async with world.process(plan) as services:
            services.gateways.paper = DiesPreparingAStop(services.gateways.paper)  # type: ignore[assignment]
            await step(services, world, 1)  # target 1 fills: the stop is replaced for what is left, and dies
    async with world.process(plan) as services:
        [replacement] = await OrderIntent.find(OrderIntent.leg == "sl.2").to_list()
        assert replacement.status is OrderStatus.PENDING and not replacement.emulated
        world.clock.advance(minutes=1)  # past the reconciler's grace: nobody is sending it any more
        await services.start_up()
        [position] = await Position.find_all().to_list()
        assert position.status == "open"
        live = [i for i in await OrderIntent.find({"position_id": ref(position), "role": "sl"}).to_list()
                if i.status in ON_VENUE]
        assert [i.leg for i in live] == ["sl.2"] and live[0].amount == pytest.approx(position.amount)
        on_book = await PaperOrder.find_one(PaperOrder.client_order_id == live[0].client_order_id)
        assert on_book is not None and on_book.status is OrderStatus.OPEN
        await services.client.drop_database(world.settings.db_name)


async def test_a_stop_refused_again_for_the_same_reason_is_told_once(new_world: Callable[..., World]) -> None:
    """A replacement stop the venue refuses is planned again at the next sync under a new generation (sl.2,
    sl.3, ...): the user hears the reason once, not once a minute."""
    world = new_world(False)
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "paper")
        await step(services, world, 0)
        [position] = await Position.find_all().to_list()
        account = await ExchangeAccount.get(position.account_id)
        assert account is not None
        sender, desk = services.protection.sender, services.protection.desk
        for leg in ("sl.2", "sl.3"):
            stop = Leg(signal_id=position.signal_id, user_id=position.user_id, leg=leg, symbol="BTC/USDT",
                       side=OrderSide.SELL, amount=0.08, price=None, stop_price=41_500.0, cause="protect",
                       reduce_only=True, order_type="stop_market", role="sl", position_id=ref(position))
            await sender.refuse(await desk.claim(stop, account), "margin is insufficient")
        await sender.refuse(await desk.claim(Leg(
            signal_id=position.signal_id, user_id=position.user_id, leg="sl.4", symbol="BTC/USDT", side=OrderSide.SELL,
            amount=0.08, price=None, stop_price=41_500.0, cause="protect", reduce_only=True, order_type="stop_market",
            role="sl", position_id=ref(position)), account), "the exchange is in maintenance")

        told = [n.text for n in await Notification.find(Notification.kind == NotificationKind.ORDER_REJECTED).to_list()]
        assert len(told) == 2
        assert "(sl.2) was refused: margin is insufficient" in told[0] and "maintenance" in told[1]
        await services.client.drop_database(world.settings.db_name)
