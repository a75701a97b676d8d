"""A venue failure while an order is being prepared (the execution issue's defect 6): right after a restart the
first market load fails while a stop fires. Nothing was sent, so the stop stays armed, the failure is told in
the log, and the next tick exits the position; the tick itself goes on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from core.domain import OrderStatus, RawMessage
from core.execution.gateway import OrderOutcomeUnknown, OrderRequest
from models import Notification, OrderIntent, Position, User
from models.refs import ref
from tests.e2e.test_monitor_isolation import ccxt_user, wrap_gateway
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.e2e.test_restart import SIGNAL, KillPlan, World, setup, step
from tests.fakes.wrapped import GatewayWrapper


async def test_a_market_load_failing_as_a_stop_fires_leaves_it_armed_and_it_fires_next_tick(
        new_world: Callable[..., World], caplog: pytest.LogCaptureFixture) -> None:
    world = new_world(True)
    assert world.fake is not None
    plan = KillPlan(at=None, after=False)
    async with world.process(plan) as services:
        await setup(services, "ccxt")
        await _holding_no_stops(services)
        await step(services, world, 0)  # in at market; the stop at 41,000 armed here
    async with world.process(plan) as services:  # a restart: the new connection has no markets loaded yet
        await _holding_no_stops(services)
        world.fake.inject("exchangeInfo", "unavailable")
        with caplog.at_level(logging.WARNING):
            await step(services, world, 2)  # 40,900: through the stop
        stop = await OrderIntent.find_one(OrderIntent.role == "sl")
        assert stop is not None and stop.status is OrderStatus.PENDING and stop.emulated
        assert [p.status async for p in Position.find_all()] == ["open"]
        assert any("nothing was sent" in r.getMessage() for r in caplog.records)
        assert not any("IllegalTransition" in (r.exc_text or "") + r.getMessage() for r in caplog.records)

        await step(services, world, 2)  # still through the stop: it fires now
        [position] = await Position.find_all().to_list()
        assert position.status == "closed" and position.exit_price == pytest.approx(40_900.0)
        await services.client.drop_database(world.settings.db_name)


class PlainOnly(GatewayWrapper):
    """A venue that holds market and limit orders only (as Binance spot does for Signalcord today): stops and
    targets are armed here and fired by the monitor."""

    def supports(self, order_type: str) -> bool:
        return order_type in ("market", "limit")


async def _holding_no_stops(services: Any) -> None:
    user = await User.find_one(User.discord_id == 1000)
    assert user is not None
    await wrap_gateway(services, user, PlainOnly)


class MarketsDown(GatewayWrapper):
    """One account's gateway whose market list cannot be loaded (the exchange answers 503 to it)."""

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        raise OrderOutcomeUnknown("load markets: ExchangeNotAvailable (503 Service Unavailable)")


async def test_one_account_failing_to_load_markets_never_stops_the_others_entries(
        new_world: Callable[..., World]) -> None:
    world = new_world(True)
    async with world.process(KillPlan(at=None, after=False)) as services:
        provider = await services.accounts.register_provider("Alpha", CHANNEL)
        alice = await ccxt_user(services, 1000, CHANNEL, provider)
        bob = await ccxt_user(services, 1001, CHANNEL, provider)
        await wrap_gateway(services, alice, MarketsDown)
        world.market(0)
        result = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider",
                                                           text=SIGNAL, created_at=POSTED))

        assert len(result.outcomes) == 2
        statuses = {p.user_id: p.status async for p in Position.find_all()}
        assert statuses[ref(bob)] == "open"
        assert statuses[ref(alice)] == "cancelled"  # her entry was refused, so nothing is held
        [refused] = await OrderIntent.find(OrderIntent.user_id == ref(alice)).to_list()
        assert refused.status is OrderStatus.REJECTED and "nothing was sent" in (refused.error or "")
        told = await Notification.find(Notification.user_id == ref(alice)).to_list()
        assert any("nothing was sent" in n.text for n in told)
        await services.client.drop_database(world.settings.db_name)
