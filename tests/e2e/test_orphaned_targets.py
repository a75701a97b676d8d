"""Found by the fault campaign (seed 7, 40 signals x 8 users, 20 % faults): a stop filled, the position closed,
and cancelling one of its targets failed (the venue did not answer). The target kept resting; before the next
reconcile the price reached it and it sold coins of the user's next position on the same symbol (the venue nets
them), which was then left with nothing to reduce and no stop. A protective order whose position has ended is
now cancelled at the next bar, before the bar can fill it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.domain import RawMessage
from core.execution.gateway import OrderOutcomeUnknown
from models import OrderIntent, Position
from tests.e2e.test_order_lifecycle import CHANNEL
from tests.e2e.test_restart import SIGNAL, KillPlan, World, setup, step
from tests.fakes.wrapped import GatewayWrapper


class CancelFailsOnce(GatewayWrapper):
    def __init__(self, inner: Any, leg_cid: str) -> None:
        super().__init__(inner)
        self.leg_cid, self.failed = leg_cid, False

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        if client_order_id == self.leg_cid and not self.failed:
            self.failed = True
            raise OrderOutcomeUnknown("cancel order: ExchangeNotAvailable (503)")
        return await self._inner.cancel_order(client_order_id, symbol, order_type)


async def test_a_target_left_resting_after_its_position_closed_is_cancelled_before_it_can_fill(
        new_world: Callable[..., World]) -> None:
    world = new_world(False)
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "paper")
        await step(services, world, 0)  # in at market: stop 41,000, targets 43,000 and 44,000 resting
        tp1 = await OrderIntent.find_one(OrderIntent.leg == "tp1")
        assert tp1 is not None
        wrapper = CancelFailsOnce(services.gateways.paper, tp1.client_order_id)
        services.gateways.paper = wrapper  # type: ignore[assignment]

        await step(services, world, 2)  # 40,900: the stop fills; cancelling target 1 fails
        assert wrapper.failed
        [position] = await Position.find_all().to_list()
        assert position.status == "closed"

        await step(services, world, 1)  # 43,100: through target 1 — swept before the bar could fill it

        fresh = await OrderIntent.get(tp1.id)
        assert fresh is not None and fresh.status.value == "cancelled" and fresh.filled == 0
        assert [h.cause for h in fresh.history][-1] == "its position has ended"
        await services.client.drop_database(world.settings.db_name)


class CancelFails(GatewayWrapper):
    def __init__(self, inner: Any, leg_cid: str) -> None:
        super().__init__(inner)
        self.leg_cid, self.failing = leg_cid, True

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        if client_order_id == self.leg_cid and self.failing:
            raise OrderOutcomeUnknown("cancel order: ExchangeNotAvailable (503)")
        return await self._inner.cancel_order(client_order_id, symbol, order_type)


async def test_no_new_position_opens_on_a_symbol_while_an_old_order_on_it_cannot_be_cancelled(
        new_world: Callable[..., World]) -> None:
    world = new_world(False)
    async with world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "paper")
        await step(services, world, 0)
        tp1 = await OrderIntent.find_one(OrderIntent.leg == "tp1")
        assert tp1 is not None
        wrapper = CancelFails(services.gateways.paper, tp1.client_order_id)
        services.gateways.paper = wrapper  # type: ignore[assignment]
        await step(services, world, 2)  # the stop fills; target 1 cannot be cancelled
        world.market(0)
        world.clock.advance(minutes=1)

        blocked = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=2, author="provider",
                                                            text=SIGNAL, created_at=world.clock()))

        [outcome] = blocked.outcomes
        assert outcome.outcome.value == "block" and outcome.rule == "leftover_order"
        assert "an order left from your previous BTC/USDT position (tp1) could not be cancelled" in outcome.reason
        assert await Position.find(Position.status == "open").count() == 0
        wrapper.failing = False
        world.clock.advance(minutes=1)
        await services.monitor.tick()  # the next bar cancels it
        opened = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=3, author="provider",
                                                           text=SIGNAL, created_at=world.clock()))
        assert [o.outcome.value for o in opened.outcomes] == ["trade"]
        await services.client.drop_database(world.settings.db_name)
