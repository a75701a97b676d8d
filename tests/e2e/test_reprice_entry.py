"""Changing a resting entry's price (the dashboard's "pending-order modify"): the old order is cancelled, then the
replacement sent for what it left, never with more risk to the stop or more value; the position stays pending in
between; a process killed at any venue call of the change is finished by the reconciler after a restart, with one
live entry on the venue and no client id sent twice - on paper and on ccxt against the fake Binance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.app import Services
from core.domain import OrderStatus, RawMessage
from core.market.prices import StaticPriceSource
from core.services.decide import risk_settings
from core.services.orders.repricing import EntryRepricer, RepriceRefused
from models import OrderIntent, PaperOrder, Position, User
from tests.conftest import FakeClock
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED, move, only_position, trader
from tests.e2e.test_restart import Killed, KillPlan, World, setup

CALL = "BTC/USDT LONG entry 41800 TP1 44000 SL 41000 10x"  # the market is at 42,250: the entry rests


async def _resting(services: Services) -> OrderIntent:
    await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider", text=CALL,
                                              created_at=POSTED))
    await services.monitor.tick()
    [entry] = await OrderIntent.find(OrderIntent.role == "entry").to_list()
    assert entry.status is OrderStatus.OPEN and entry.price == 41_800.0
    return entry


async def test_a_resting_entry_moves_without_more_risk_and_then_fills_at_its_new_price(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_250.0
    await trader(services, entry_style="limit", ladder_steps=1)
    entry = await _resting(services)
    before = await only_position()
    risk_before = before.planned_amount * (before.entry_price - 41_000)
    said = await EntryRepricer(services.protection).reprice(entry, 41_900.0, "re-priced by you")

    old = await OrderIntent.get(entry.id)
    [new] = await OrderIntent.find(OrderIntent.replaces == entry.client_order_id).to_list()
    assert old is not None and old.status is OrderStatus.CANCELLED
    assert (new.leg, new.status, new.price) == ("entry1.2", OrderStatus.OPEN, 41_900.0)
    assert new.amount == pytest.approx(entry.amount * 800 / 900, abs=1e-5) and new.amount <= entry.amount * 800 / 900
    assert said == f"BTC/USDT: entry moved from 41800 to 41900 for {new.amount:g} (open)"
    position = await only_position()
    assert position.status == "pending"  # never cancelled in between
    assert (position.planned_amount, position.entry_price) == (new.amount, 41_900.0)
    assert position.planned_amount * (position.entry_price - 41_000) <= risk_before

    lower = await EntryRepricer(services.protection).reprice(new, 41_700.0, "re-priced by you")
    [newest] = await OrderIntent.find(OrderIntent.replaces == new.client_order_id).to_list()
    assert (newest.leg, newest.amount) == ("entry1.3", new.amount)  # further from the stop: the same amount
    assert lower.endswith(f"for {new.amount:g} (open)")

    await move(services, prices, clock, 41_650.0)
    position = await only_position()
    assert (position.status, position.amount, position.entry_price) == ("open", newest.amount, 41_700.0)
    [stop] = await OrderIntent.find(OrderIntent.role == "sl", OrderIntent.status == OrderStatus.OPEN).to_list()
    assert stop.amount == newest.amount


@pytest.mark.parametrize(("price", "why"), [
    (41_000.0, "an entry at 41000 is not above the stop 41000 (move the stop first)"),
    (44_100.0, "an entry at 44100 is not below the next target 44000"),
    (90_000.0, "90000 is far from the entry's 41800 (a typo?)"),
    (41_800.004, "the entry is already at 41800"),
])
async def test_a_price_that_is_no_sensible_entry_is_refused_and_nothing_changes(
        services: Services, prices: StaticPriceSource, price: float, why: str) -> None:
    prices.prices["BTC/USDT"] = 42_250.0
    await trader(services, entry_style="limit", ladder_steps=1)
    entry = await _resting(services)
    with pytest.raises(RepriceRefused) as refused:
        await EntryRepricer(services.protection).reprice(entry, price, "re-priced by you")
    assert str(refused.value) == why
    [still] = await OrderIntent.find_all().to_list()
    assert still.status is OrderStatus.OPEN and (await only_position()).status == "pending"


async def test_an_entry_that_filled_before_its_cancel_is_not_bought_again(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_250.0
    await trader(services, entry_style="limit", ladder_steps=1)
    entry = await _resting(services)
    await move(services, prices, clock, 41_750.0)  # it fills after the page was read, before the change arrives
    said = await EntryRepricer(services.protection).reprice(entry, 41_900.0, "re-priced by you")
    assert said == "BTC/USDT: the new price was not sent: the old entry filled first"
    position = await only_position()
    assert (position.status, position.amount) == ("open", entry.amount)
    assert {i.leg: i.status for i in await OrderIntent.find(OrderIntent.role == "entry").to_list()} == {
        "entry1": OrderStatus.FILLED, "entry1.2": OrderStatus.CANCELLED}
    [stop] = await OrderIntent.find(OrderIntent.role == "sl", OrderIntent.status == OrderStatus.OPEN).to_list()
    assert stop.amount == entry.amount


async def test_a_change_cut_short_is_dropped_when_the_stop_moved_past_its_price_and_the_old_entry_stays(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_250.0
    await trader(services, entry_style="limit", ladder_steps=1)
    entry = await _resting(services)
    repricer = EntryRepricer(services.protection)
    finish = repricer.finish

    async def cut(*_: object) -> str:  # the process stops right after the replacement is stored
        return "cut"

    repricer.finish = cut  # type: ignore[method-assign]
    await repricer.reprice(entry, 41_500.0, "re-priced by you")
    position = await only_position()
    await position.set({Position.stop_loss: 41_600.0})  # meanwhile the stop moved above the new price
    [replacement] = await OrderIntent.find(OrderIntent.replaces == entry.client_order_id).to_list()
    said = await finish(replacement, "re-priced by you")
    assert said == ("BTC/USDT: the new price was not sent: an entry at 41500 is not above the stop 41600 "
                    "(move the stop first)")
    assert {i.leg: i.status for i in await OrderIntent.find(OrderIntent.role == "entry").to_list()} == {
        "entry1": OrderStatus.OPEN, "entry1.2": OrderStatus.CANCELLED}
    assert (await only_position()).status == "pending"


@pytest.mark.parametrize("venue", ["paper", "ccxt"])
@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("call", [1, 2], ids=["cancel", "send"])  # venue call 0 placed the entry
async def test_a_change_cut_at_any_venue_call_is_finished_after_a_restart_with_one_live_entry(
        new_world: Callable[..., World], venue: str, call: int, after: bool) -> None:
    world, plan = new_world(venue == "ccxt"), KillPlan(at=call, after=after)
    if world.fake is not None:  # one server for all runs: each run starts from an empty order book
        world.fake.orders.clear()
        world.fake.algos.clear()
        world.fake.prices["BTCUSDT"] = 42_250.0
    world.prices.prices["BTC/USDT"] = 42_250.0
    with pytest.raises(Killed):
        async with world.process(plan) as services:
            await setup(services, venue)
            await trader_profile(services)
            entry = await _resting(services)
            await EntryRepricer(services.protection).reprice(entry, 41_900.0, "re-priced by you")
    async with world.process(KillPlan(at=None, after=False)) as services:
        world.clock.advance(minutes=2)  # past the reconciler's grace
        await services.start_up()
        got = await _book(world)
        await services.client.drop_database(world.settings.db_name)
    assert got["entries"] == {"entry1": "cancelled", "entry1.2": "open"}
    assert got["venue_open"] == [got["cid"]] and got["duplicates"] == 0
    assert got["position"] == "pending"


async def trader_profile(services: Services) -> None:
    user = await User.find_one(User.discord_id == 1000)
    assert user is not None
    await risk_settings.update_profile(user, {"entry_style": "limit", "ladder_steps": 1})


async def _book(world: World) -> dict[str, Any]:
    intents = await OrderIntent.find(OrderIntent.role == "entry").to_list()
    new = next(i for i in intents if i.leg == "entry1.2")
    if world.fake is not None:
        sent = [o.client_id for o in world.fake.orders.values()]
        venue_open = [o.client_id for o in world.fake.orders.values() if o.status in ("NEW", "PARTIALLY_FILLED")]
    else:
        paper = await PaperOrder.find_all().to_list()
        sent = [o.client_order_id for o in paper]
        venue_open = [o.client_order_id for o in paper if o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)]
    return {"entries": {i.leg: i.status.value for i in intents}, "venue_open": venue_open, "cid": new.client_order_id,
            "duplicates": len(sent) - len(set(sent)), "position": (await only_position()).status}

