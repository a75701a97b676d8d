"""Two runners of one stored order never both send it (the execution issue, defect 10). Binance refuses a
repeated client id only among open orders, so a market order that filled can be placed a second time under the
same id: the claim to send (pending -> submitted) is a conditional write in the database, which one runner
wins, in one process or two."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.domain import NotificationKind, OrderSide, OrderStatus
from core.execution.gateway import ExecutionGateway
from core.services.jobs.reconcile import Reconciler
from core.services.orders.desk import Leg
from models import ExchangeAccount, Notification, OrderIntent, Position, User
from models.refs import ref
from tests.e2e.test_monitor_isolation import wrap_gateway
from tests.e2e.test_restart import KillPlan, World, setup, step, world_for
from tests.fakes.wrapped import GatewayWrapper


async def _stored_exit(services: Any, world: World) -> tuple[Position, OrderIntent]:
    """A trader in at market on the fake Binance, and the exit of that position stored (pending), not sent."""
    await setup(services, "ccxt")
    await step(services, world, 0)
    [position] = await Position.find_all().to_list()
    account = await ExchangeAccount.get(position.account_id)
    assert account is not None
    leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="exit", symbol="BTC/USDT",
              side=OrderSide.SELL, amount=position.amount, price=42_250.0, cause="closed by the user",
              reduce_only=True, role="exit", position_id=ref(position))
    return position, await services.protection.desk.claim(leg, account)


async def test_two_runners_of_one_pending_order_send_it_once(new_world: Callable[..., World]) -> None:
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        position, stored = await _stored_exit(services, world)
        one, other = await OrderIntent.get(stored.id), await OrderIntent.get(stored.id)  # two runners' copies
        assert one is not None and other is not None and one.status is OrderStatus.PENDING

        sender = services.protection.sender
        await asyncio.gather(sender.send(one, position), sender.send(other, position))

        assert [o.client_id for o in fake.orders.values()].count(stored.client_order_id) == 1
        final = await OrderIntent.get(stored.id)
        assert final is not None and final.status is OrderStatus.FILLED
        await services.client.drop_database(world.settings.db_name)


class Crossing:
    """Two look-ups that cross: the first two both answer once both have asked."""

    def __init__(self) -> None:
        self.asked = 0
        self.both = asyncio.Event()


class LookBothFirst(GatewayWrapper):
    """The exchange as two processes see it when their look-ups cross (both hear 'no such order')."""

    def __init__(self, inner: ExecutionGateway, crossing: Crossing) -> None:
        super().__init__(inner)
        self.crossing = crossing

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        crossing = self.crossing
        crossing.asked += 1
        if crossing.asked <= 2:
            if crossing.asked == 2:
                crossing.both.set()
            await crossing.both.wait()
        return await self._inner.fetch_order(client_order_id, symbol, order_type)


async def test_two_reconcilers_resend_an_order_that_never_landed_once(new_world: Callable[..., World]) -> None:
    """An order marked submitted whose sender died before it reached the exchange is resent by reconciliation;
    two processes reconciling at once resend it once: the resend is claimed by a conditional write (its
    timestamp moves on, so the other finds it taken, and a claimer that dies leaves it for the next pass)."""
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        position, intent = await _stored_exit(services, world)
        desk = services.protection.desk
        await desk.transition(intent, OrderStatus.SUBMITTED, "sent to testnet")  # then the process died
        world.clock.advance(minutes=1)  # past the grace: it never landed
        other = Reconciler(services.protection, services.notifier, services.clock)
        user = await User.get(position.user_id)
        assert user is not None
        await services.gateways.close()
        crossing = Crossing()
        await wrap_gateway(services, user, lambda gateway: LookBothFirst(gateway, crossing))  # both look first

        await asyncio.gather(services.reconciler.run(), other.run())

        assert [o.client_id for o in fake.orders.values()].count(intent.client_order_id) == 1
        await services.client.drop_database(world.settings.db_name)


async def test_a_passed_stop_exited_at_market_whose_answer_was_lost_is_looked_up_among_plain_orders(
        new_world: Callable[..., World]) -> None:
    """A stop the exchange refuses because the price already passed it (-2021) exits at market under the stop's
    client id; that market order landed but its answer was lost. The look-up before any resend asked Binance's
    conditional orders (the stop's type), found nothing, and the reconciler sent the market order again: a second
    sell, refused by reduce-only here, while the first one's fill was never booked (found by the fault campaign
    with two instances). The look-up now asks where the order was sent: the plain orders."""
    world = new_world(True)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "ccxt")
        await step(services, world, 0)  # 0.08 in at 42,250
        [position] = await Position.find_all().to_list()
        account = await ExchangeAccount.get(position.account_id)
        assert account is not None
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="sl.9", symbol="BTC/USDT",
                  side=OrderSide.SELL, amount=0.08, price=None, stop_price=42_400.0, cause="protect",
                  reduce_only=True, order_type="stop_market", role="sl", position_id=ref(position))
        stop = await services.protection.desk.claim(leg, account)  # above the price: passed already
        fake.inject("/fapi/v1/order", "drop_after")  # the exit at market lands; its answer is lost
        await services.protection.sender.send(stop, position)
        world.clock.advance(minutes=1)  # past the grace: the reconciler looks it up
        await services.reconciler.run()

        assert [o.client_id for o in fake.orders.values()].count(stop.client_order_id) == 1
        final = await OrderIntent.get(stop.id)
        assert final is not None and final.status is OrderStatus.FILLED and final.filled == pytest.approx(0.08)
        await services.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("venue", ["ccxt", "bybit"])
async def test_a_failed_look_up_before_a_resend_refuses_nothing(new_world: Callable[..., World], venue: str) -> None:
    """Found by the Bybit two-instance campaign (seed 13): an order seen before is looked up by its client id before
    any resend; when that look-up failed (a rate limit), the order was refused — an open stop hit the lifecycle
    ("an order that is open cannot become rejected"), which ended the whole call for every user, and an order whose
    answer was lost (on the venue) would have been recorded as rejected. A failed look-up sends nothing and changes
    nothing: the monitor and the reconciler look again."""
    world = world_for(new_world, venue)
    fake = world.fake
    assert fake is not None
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, venue)
        await step(services, world, 0)  # in at market, the stop resting on the venue
        [stop] = await OrderIntent.find(OrderIntent.leg == "sl").to_list()
        assert stop.status is OrderStatus.OPEN
        look_up = "/fapi/v1/algoOrder" if venue == "ccxt" else "/v5/order/realtime"
        for _ in range(services.protection.desk.attempts + 1):
            fake.inject(look_up, "rate_limit")

        assert await services.protection.sender.send(stop) is None

        again = await OrderIntent.get(stop.id)
        assert again is not None and again.status is OrderStatus.OPEN and again.error is None
        assert await Notification.find(Notification.kind == NotificationKind.ORDER_REJECTED).count() == 0

        await stop.set({OrderIntent.status: OrderStatus.UNKNOWN})  # as after a lost answer: on the venue all along
        for _ in range(services.protection.desk.attempts + 1):
            fake.inject(look_up, "rate_limit")
        assert await services.protection.sender.send(stop) is None
        unknown = await OrderIntent.get(stop.id)
        assert unknown is not None and unknown.status is OrderStatus.UNKNOWN  # not "rejected"

        fake.faults.clear()
        world.clock.advance(minutes=1)
        await services.reconciler.run()  # the next look-up finds it resting
        assert (await OrderIntent.get(stop.id)).status is OrderStatus.OPEN  # type: ignore[union-attr]
        assert await Notification.find(Notification.kind == NotificationKind.ORDER_REJECTED).count() == 0
        await services.client.drop_database(world.settings.db_name)
