"""Two processes working on one position at once (the execution issue, concurrency): two app instances on one
database, their steps interleaved with events. A position's locks live in one process, so they do not keep out
another; what keeps the other out is in the database (a stored client id, a conditional write, a unique id).

- Two syncs: one read the live stops before the other claimed its replacement and counted the stop's generations
  after, so it claimed one more (sl.3 next to sl.2) and both rested on the exchange. The next generation is now
  named from the same reading as the live stops.
- A user's stop move and a provider's update: both name sl.2, the first stored wins; the other syncs again.
- Two folds of fills: one computed from an older position stored over a newer one (closed, set back to half
  open). The fold's write is now conditional on the fills applied when it was read.
- A fold's break-even stop stored over a tighter stop the user set in another process meanwhile: the fold's write
  is also conditional on the stop it read.
- A fold between a target's fill being booked and its order being marked filled: the target was not counted
  as hit. It is now counted from the fills.
- A cancel from a stale reading of an unsent order, and two bookings of one order filling in parts: status
  changes are written only from the status read, and a fill is named by where it starts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.api.views import Caller
from core.domain import LIVE, OrderSide, OrderStatus, RawMessage
from core.execution.gateway import OrderResult
from core.services.decide import risk_settings
from core.services.orders import positions
from core.services.orders.desk import Leg
from models import ExchangeAccount, Fill, OrderIntent, Position, User
from models.refs import ref
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.e2e.test_overlapping_syncs import hold_first_claim
from tests.e2e.test_restart import KillPlan, World, setup, step, world_for

CLEAN = KillPlan(at=None, after=False)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_two_processes_syncing_one_position_leave_one_live_stop(
        new_world: Callable[..., World], venue: str) -> None:
    world = world_for(new_world, venue)
    async with world.process(CLEAN) as first:
        await setup(first, venue)
        await step(first, world, 0)  # in, the stop at 41,000 resting on the venue
        [position] = await Position.find_all().to_list()
        await position.set({Position.stop_loss: 41_500.0})  # the stop is moved: each process wants a replacement

        async with world.process(CLEAN) as second:  # another process on the same database and account
            read, first_done = hold_first_claim(second.protection)  # it has read the live stops; the first runs
            behind = asyncio.create_task(second.protection.sync(position))
            await read.wait()
            await first.protection.sync(position)
            first_done.set()
            await behind

            stops = await OrderIntent.find({"position_id": ref(position), "role": "sl"}).to_list()
            live = [s for s in stops if s.status in LIVE]
            assert [(s.leg, s.stop_price) for s in live] == [("sl.2", pytest.approx(41_500.0))]
            if world.fake is not None:
                ours = {s.client_order_id for s in stops}  # the fake exchange outlives one test
                resting = [cid for cid, state, _ in world.fake.order_book() if cid in ours and state == "open"]
                assert resting == [live[0].client_order_id]
        await first.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_a_stop_move_here_and_a_provider_update_there_leave_the_last_stop_working(
        new_world: Callable[..., World], venue: str) -> None:
    """The user moves the stop to 41,500 in one process while the provider's "move SL to entry" arrives in
    another; both syncs read before either claimed, so both name the replacement sl.2 and the first stored wins.
    The process whose price lost syncs again: the stop working on the venue is the position's stop (42,250)."""
    world = world_for(new_world, venue)
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
                resting = [cid for cid, state, _ in world.fake.order_book() if cid in ours and state == "open"]
                assert resting == [live[0].client_order_id]
        await here.client.drop_database(world.settings.db_name)


async def target_1_folded_not_stored(here: Any, world: World, monkeypatch: pytest.MonkeyPatch
                                     ) -> tuple[asyncio.Task[None], asyncio.Event]:
    """The price goes through target 1 and `here`'s monitor folds its fill in, then waits before it stores the
    position: the tick (running), and the event that lets it go on."""
    computed, go_on = asyncio.Event(), asyncio.Event()
    real_insert = positions.insert_new

    async def insert_new(*args: Any) -> Any:  # the first fold to realise P&L waits before it stores
        if not computed.is_set():
            computed.set()
            await go_on.wait()
        return await real_insert(*args)

    monkeypatch.setattr(positions, "insert_new", insert_new)
    world.market(1)
    world.clock.advance(minutes=1)
    folding = asyncio.create_task(here.monitor.tick())
    await computed.wait()
    return folding, go_on


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_two_processes_folding_fills_into_one_position_keep_every_fill(
        new_world: Callable[..., World], venue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Target 1 fills and one process folds it in; before it stores the position, the stop fills and another
    process folds both fills and stores the position closed. The first one's write is of a position that no
    longer exists (open, after target 1 only): it must not land over the closed one."""
    world = world_for(new_world, venue)
    async with world.process(CLEAN) as here:
        await setup(here, venue)
        await step(here, world, 0)  # in at 42,250: 0.08 open, the stop and two targets resting on the venue
        async with world.process(CLEAN) as there:
            folding, go_on = await target_1_folded_not_stored(here, world, monkeypatch)
            world.market(2)  # then through the stop
            world.clock.advance(minutes=1)
            await there.monitor.tick()
            go_on.set()
            await folding

            [position] = await Position.find_all().to_list()
            fills = await Fill.find_all().to_list()
            assert (position.status, position.amount, position.close_reason) == ("closed", 0.0, "stop-loss hit")
            assert sorted(position.applied) == sorted(f.trade_id for f in fills)
        await here.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit"])
async def test_a_fold_by_another_process_before_the_target_is_marked_filled_counts_the_target_hit(
        new_world: Callable[..., World], venue: str) -> None:
    """Target 1 fills: one process records the fill and, before it marks the order filled, another process folds
    the fill in (its reconcile pass). The position must count target 1 as hit (from the fills, not from the
    order's status as read then): else the stop is re-planned with a target 1 that already filled, and it is
    placed again and sold twice."""
    world = world_for(new_world, venue)
    async with world.process(CLEAN) as here:
        await setup(here, venue)
        await step(here, world, 0)  # in at 42,250: 0.08 open, the stop and two targets resting on the venue
        [position] = await Position.find_all().to_list()
        async with world.process(CLEAN) as there:
            recorded, go_on = asyncio.Event(), asyncio.Event()
            desk = here.protection.desk
            real_transition = desk.transition

            async def transition(intent: OrderIntent, *args: Any, **kwargs: Any) -> Any:
                if intent.leg == "tp1" and not recorded.is_set():  # its fill is recorded; the order not yet moved
                    recorded.set()
                    await go_on.wait()
                return await real_transition(intent, *args, **kwargs)

            desk.transition = transition  # type: ignore[method-assign]
            world.market(1)  # through target 1
            world.clock.advance(minutes=1)
            ticking = asyncio.create_task(here.monitor.tick())
            await recorded.wait()
            await there.protection.sender.catch_up(position)
            go_on.set()
            await ticking
            await there.reconciler.run()

            [position] = await Position.find_all().to_list()
            assert (position.status, position.amount, position.targets_hit) == ("open", pytest.approx(0.04), 1)
            intents = await OrderIntent.find({"position_id": ref(position)}).to_list()
            live = sorted((i.leg, i.amount) for i in intents if i.status in LIVE)
            assert live == [("sl.2", pytest.approx(0.04)), ("tp2", pytest.approx(0.04))]
            assert [i.leg for i in intents if i.leg.startswith("tp1")] == ["tp1"]
        await here.client.drop_database(world.settings.db_name)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit"])
async def test_a_cancel_from_a_stale_reading_of_an_unsent_order_cancels_it_on_the_venue(
        new_world: Callable[..., World], venue: str) -> None:
    """One process reads a stored, unsent target (pending) and decides to cancel it (its position closed); the
    other claims and sends it first. A cancel of a pending order only marks it cancelled (nothing was sent):
    written over the send, the record said cancelled while the order rested on the exchange. The mark is
    conditional on the order still being unsent; it was sent, so it is cancelled on the venue."""
    world = world_for(new_world, venue)
    async with world.process(CLEAN) as here:
        await setup(here, venue)
        await step(here, world, 0)
        [position] = await Position.find_all().to_list()
        account = await ExchangeAccount.get(position.account_id)
        assert account is not None
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="tp9", symbol="BTC/USDT",
                  side=OrderSide.SELL, amount=0.01, price=None, stop_price=44_500.0, cause="protect",
                  reduce_only=True, order_type="take_profit", role="tp", position_id=ref(position))
        stored = await here.protection.desk.claim(leg, account)
        async with world.process(CLEAN) as there:
            stale = await OrderIntent.get(stored.id)  # the other process's reading: pending
            assert stale is not None and stale.status is OrderStatus.PENDING
            await here.protection.sender.send(stored, position)  # sent first: resting on the venue
            await there.protection.sender.cancel(stale, "no longer needed: position closed")

            final = await OrderIntent.get(stored.id)
            assert final is not None and final.status is OrderStatus.CANCELLED
            assert [t.status for t in final.history][:3] == [OrderStatus.PENDING, OrderStatus.SUBMITTED,
                                                            OrderStatus.OPEN]
            gateway = await here.gateways.route(account)
            venue_orders = await gateway.open_orders(ref(account), "BTC/USDT")
            assert stored.client_order_id not in [o.client_order_id for o in venue_orders]
        await here.client.drop_database(world.settings.db_name)


async def test_two_reports_of_an_order_filling_in_parts_book_what_it_filled_once(
        new_world: Callable[..., World]) -> None:
    """An exit fills in parts; one process reads the venue at 0.05 filled and books it, the other read it earlier
    at 0.03 and books after. Each booked its report against the order as it had read it (nothing filled), so
    0.08 was booked for an order that filled 0.05, and the position closed. A part is now booked from what the
    order's recorded fills already add up to, and two bookings from the same point are one."""
    world = new_world(False)
    async with world.process(CLEAN) as here:
        await setup(here, "paper")
        await step(here, world, 0)  # 0.08 open
        [position] = await Position.find_all().to_list()
        account = await ExchangeAccount.get(position.account_id)
        assert account is not None
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="exit-parts", symbol="BTC/USDT",
                  side=OrderSide.SELL, amount=0.08, price=42_300.0, cause="closed by the user", reduce_only=True,
                  order_type="limit", role="exit", position_id=ref(position))
        desk = here.protection.desk
        stored = await desk.claim(leg, account)
        await desk.transition(stored, OrderStatus.SUBMITTED, "sent to paper")
        async with world.process(CLEAN) as there:
            one, other = await OrderIntent.get(stored.id), await OrderIntent.get(stored.id)
            assert one is not None and other is not None

            def report(filled: float) -> OrderResult:
                return OrderResult(client_order_id=stored.client_order_id, exchange_order_id="77",
                                   status=OrderStatus.PARTIALLY_FILLED, filled=filled, average_price=42_300.0,
                                   fee=filled * 42_300.0 * 0.0004, fee_currency="USDT", at=world.clock())

            await here.protection.sender.apply(one, report(0.05), position)
            await there.protection.sender.apply(other, report(0.03), position)  # read before, booked after

            fills = await Fill.find(Fill.client_order_id == stored.client_order_id).to_list()
            assert sum(f.amount for f in fills) == pytest.approx(0.05)
            [position] = await Position.find_all().to_list()
            assert (position.status, position.amount) == ("open", pytest.approx(0.03))
            final = await OrderIntent.get(stored.id)
            assert final is not None and final.filled == pytest.approx(0.05)
        await here.client.drop_database(world.settings.db_name)


async def test_a_break_even_fold_never_loosens_a_stop_moved_in_another_process(
        new_world: Callable[..., World], monkeypatch: pytest.MonkeyPatch) -> None:
    """Target 1 fills and one process folds it in, which moves the stop to the entry (break-even after target
    1); before it stores that, the user moves the stop tighter in another process. The fold must not store its
    break-even stop over the user's: it reads the position again and keeps the tighter stop."""
    world = new_world(False)
    async with world.process(CLEAN) as here:
        await setup(here, "paper")
        [user] = await User.find_all().to_list()
        await risk_settings.update_profile(user, {"break_even": {"after_target": 1}})
        await step(here, world, 0)  # in at 42,250: the stop at 41,000 and two targets resting
        [position] = await Position.find_all().to_list()
        async with world.process(CLEAN) as there:
            folding, go_on = await target_1_folded_not_stored(here, world, monkeypatch)
            await there.protection.keeper.move_stop(position, 42_600.0)  # the user's move, in the other process
            go_on.set()
            await folding

            [position] = await Position.find_all().to_list()
            assert (position.targets_hit, position.stop_loss) == (1, 42_600.0)
        await here.client.drop_database(world.settings.db_name)
