"""Orders after the entry, end to end on the embedded database and the paper exchange: targets, stops,
break-even, trailing, limit ladders with partial fills, expiry and cancel-if-missed, driven by the monitor."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.api.views import Caller
from core.app import Services
from core.domain import LIVE, Bar, OrderStatus, RawMessage
from core.market.prices import StaticPriceSource
from core.services.decide import risk_settings
from core.services.jobs.monitor import Monitor
from models import Notification, OrderIntent, Position, User
from models.refs import ref
from tests.conftest import FakeClock

CHANNEL = 555_000_111
POSTED = datetime(2026, 4, 1, 11, 59, tzinfo=UTC)


def raw(text: str, message_id: int = 1) -> RawMessage:
    return RawMessage(channel_id=CHANNEL, message_id=message_id, author="provider", text=text, created_at=POSTED)


async def trader(services: Services, **profile: object) -> User:
    provider = await services.accounts.register_provider("Alpha", CHANNEL)
    user = await services.accounts.ensure_user(1000, "trader")
    await services.accounts.subscribe(user, provider)
    if profile:
        await risk_settings.update_profile(user, profile)
    return user


async def call(services: Services, text: str) -> None:
    """A provider posts `text`; the monitor then sees the market at the entry (its first bar)."""
    await services.pipeline.ingest(raw(text))
    await services.monitor.tick()


async def move(services: Services, prices: StaticPriceSource, clock: FakeClock, price: float) -> None:
    prices.prices["BTC/USDT"] = price
    clock.advance(minutes=1)
    await services.monitor.tick()


async def legs(user: User) -> dict[str, tuple[OrderStatus, float, float | None]]:
    return {i.leg: (i.status, i.amount, i.stop_price or i.price)
            async for i in OrderIntent.find(OrderIntent.user_id == ref(user))}


async def only_position() -> Position:
    [position] = await Position.find_all().to_list()
    return position


async def test_target_then_break_even_stop_closes_and_cancels_the_other_target(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    user = await trader(services, break_even={"after_target": 1})
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x")

    await move(services, prices, clock, 43_100.0)  # TP1 trades
    position = await only_position()
    assert (position.amount, position.targets_hit, position.stop_loss) == (pytest.approx(0.04), 1, 42_250.0)
    book = await legs(user)
    assert book["tp1"] == (OrderStatus.FILLED, 0.04, 43_000.0)
    assert book["sl"][0] is OrderStatus.CANCELLED  # replaced by a stop for what is left, at the entry price
    assert book["sl.2"] == (OrderStatus.OPEN, 0.04, 42_250.0)

    await move(services, prices, clock, 42_200.0)  # back to the entry: the break-even stop fills
    position = await only_position()
    assert position.status == "closed" and position.close_reason == "stop-loss hit"
    book = await legs(user)
    assert book["sl.2"][0] is OrderStatus.FILLED and book["tp2"][0] is OrderStatus.CANCELLED
    fees = 0.08 * 42_250 * 0.0004 + 0.04 * 43_000 * 0.0004 + 0.04 * 42_250 * 0.0004
    assert position.realized_pnl == pytest.approx(0.04 * 750 - fees)


async def test_trailing_stop_follows_the_best_price(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    user = await trader(services, trailing_stop={"activation_pct": 1, "distance_pct": 0.5})
    await call(services, "BTC/USDT LONG entry 42000-42500 SL 41000 10x")
    await move(services, prices, clock, 42_500.0)  # +0.6 %: not active yet
    assert (await only_position()).stop_loss == 41_000.0
    await move(services, prices, clock, 43_000.0)  # +1.8 %: trail 0.5 % behind 43,000
    assert (await only_position()).stop_loss == 42_785.0
    await move(services, prices, clock, 42_900.0)  # lower high: the stop stays
    assert (await only_position()).stop_loss == 42_785.0
    await move(services, prices, clock, 42_700.0)
    position = await only_position()
    assert position.status == "closed" and position.exit_price == 42_785.0
    assert (await legs(user))["sl.2"][0] is OrderStatus.FILLED


async def test_limit_ladder_fills_in_part_then_the_rest_expires(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_600.0
    user = await trader(services, entry_style="limit", ladder_steps=3, entry_expiry_h=2)
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 44000 SL 41000 10x")
    position = await only_position()
    assert position.status == "pending" and position.planned_amount == pytest.approx(0.08)
    book = await legs(user)
    assert {k: v[2] for k, v in book.items()} == {"entry1": 42_500.0, "entry2": 42_250.0, "entry3": 42_000.0}
    assert [v[1] for v in book.values()] == [0.02666, 0.02666, 0.02668]

    await move(services, prices, clock, 42_200.0)  # two of the three fill
    position = await only_position()
    assert position.status == "open" and position.amount == pytest.approx(0.05332)
    assert position.entry_price == pytest.approx(42_375.0)
    live = {k.split(".")[0]: v[1:] for k, v in (await legs(user)).items() if v[0] is OrderStatus.OPEN}
    assert live == {"entry3": (0.02668, 42_000.0), "sl": (0.05332, 41_000.0), "tp1": (0.05332, 44_000.0)}

    clock.advance(hours=3)
    await move(services, prices, clock, 42_300.0)
    book = await legs(user)
    assert book["entry3"][0] is OrderStatus.EXPIRED
    assert (await only_position()).status == "open"  # what filled stays open and protected


async def test_unfilled_entries_are_cancelled_when_the_target_trades_first(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_600.0
    user = await trader(services, entry_style="limit", ladder_steps=1)
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    await move(services, prices, clock, 43_050.0)
    position = await only_position()
    assert position.status == "cancelled" and position.close_reason == "target 1 (43000) traded before the entry filled"
    assert (await legs(user))["entry1"][0] is OrderStatus.CANCELLED


async def test_a_stop_loss_fill_pauses_the_user_at_the_daily_limit(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    user = await trader(services, daily_loss_amount=50)
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    await move(services, prices, clock, 40_900.0)  # the stop fills: 0.08 x 1,250 = 100 lost
    assert (await only_position()).close_reason == "stop-loss hit"
    fresh = await User.get(user.id)
    assert fresh is not None and fresh.trading_paused
    assert fresh.paused_reason is not None and "reached your daily limit 50.00" in fresh.paused_reason



async def test_a_stop_the_price_already_passed_exits_at_market(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_600.0
    user = await trader(services, entry_style="limit", ladder_steps=1)
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x")
    await move(services, prices, clock, 40_900.0)  # one bar fills the entry and falls through the stop
    position = await only_position()
    assert (position.status, position.exit_price, position.amount) == ("closed", 40_900.0, 0.0)
    [stop] = await OrderIntent.find(OrderIntent.user_id == ref(user), OrderIntent.role == "sl").to_list()
    assert stop.status is OrderStatus.FILLED and stop.emulated and stop.order_type == "stop_market"
    assert stop.history[-1].cause == ("filled: 0.08 @ 40900 (the price already passed the stop: exit at market "
                                      "(the trigger 41000 would fire immediately (price is 40900)))")


async def test_provider_updates_act_on_the_orders(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    user = await trader(services, break_even={"after_target": 1})
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 TP3 45000 SL 41000 10x")
    assert (await only_position()).amount == pytest.approx(0.08)

    prices.prices["BTC/USDT"] = 42_900.0  # the provider's feed saw 43,000; ours did not
    await services.pipeline.ingest(raw("TP1 hit #BTCUSDT", message_id=2))
    position = await only_position()
    book = await legs(user)
    assert book["tp1"][0] is OrderStatus.CANCELLED and book["tp1.m"][:2] == (OrderStatus.FILLED, 0.02666)
    assert position.targets_hit == 1 and position.amount == pytest.approx(0.05334)
    assert position.stop_loss == 42_250.0  # break-even after target 1, as the profile says
    assert book["sl.2"] == (OrderStatus.OPEN, 0.05334, 42_250.0)

    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=3))
    position = await only_position()
    assert position.status == "open" and position.amount == pytest.approx(0.02667)
    live = {k: v[1:] for k, v in (await legs(user)).items() if v[0] is OrderStatus.OPEN}
    # targets keep their planned share in order: target 2 takes 0.02666; target 3's 0.00001 is below the minimum
    assert live == {"sl.3": (0.02667, 42_250.0), "tp2.2": (0.02666, 44_000.0)}

    await services.pipeline.ingest(raw("#BTCUSDT move SL to 42500", message_id=4))
    assert (await only_position()).stop_loss == 42_500.0
    assert (await legs(user))["sl.4"] == (OrderStatus.OPEN, 0.02667, 42_500.0)

    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=3))  # the same message again: no order
    await services.pipeline.ingest(raw("BTC/USDT stop loss hit", message_id=5))
    position = await only_position()
    assert position.status == "closed" and position.exit_price == 42_900.0
    assert [i for i in (await legs(user)).values() if i[0] in (OrderStatus.OPEN, OrderStatus.PENDING)] == []
    notes = [n.text async for n in Notification.find(Notification.kind == "provider_close")]
    assert notes == ["Provider update on your BTC/USDT position (close): closed 0.02667 of BTC/USDT; "
                     "0.02667 left open."]


async def test_a_provider_cancel_removes_unfilled_entries(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    prices.prices["BTC/USDT"] = 42_600.0
    user = await trader(services, entry_style="limit", ladder_steps=2)
    await call(services, "BTC/USDT LONG entry 42000-42500 TP1 44000 SL 41000 10x")
    await move(services, prices, clock, 42_400.0)  # the first of two entries fills
    await services.pipeline.ingest(raw("Cancel #BTCUSDT", message_id=2))
    position = await only_position()
    assert position.status == "open" and position.amount == pytest.approx(0.04)
    book = await legs(user)
    assert (book["entry1"][0], book["entry2"][0]) == (OrderStatus.FILLED, OrderStatus.CANCELLED)
    [note] = await Notification.find(Notification.kind == "provider_cancel").to_list()
    assert note.text == ("Provider update on your BTC/USDT position (cancel): unfilled entries cancelled; "
                         "the 0.04 that filled stays open with its stop and targets.")


class MinuteBars:
    """A feed with one flat bar per minute: every bar after `since_ms` up to now (the latest one without it)."""

    def __init__(self, price: float) -> None:
        self.price = price
        self.asked: list[int | None] = []

    async def bars(self, symbol: str, since_ms: int | None, now: datetime) -> list[Bar]:
        self.asked.append(since_ms)
        last = int(now.timestamp() * 1000) // 60_000 * 60_000
        first = last if since_ms is None else since_ms + 60_000
        return [Bar(symbol, ts, self.price, self.price, self.price, self.price, 1e9)
                for ts in range(first, last + 1, 60_000)]


async def test_after_a_restart_the_monitor_continues_from_the_last_bar_it_ran(
        services: Services, clock: FakeClock) -> None:
    """A new monitor (a restarted process: nothing in memory) neither runs the last bar again nor skips the
    bars that opened while it was down."""
    await trader(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x"))
    feed = MinuteBars(42_250.0)

    def started() -> Monitor:
        old = services.monitor
        return Monitor(old.protection, feed, old.paper, clock, on_closed=old.on_closed)

    first = await started().tick()
    assert first.bars == 1 and feed.asked == [None]

    clock.advance(minutes=3)
    again = await started().tick()

    assert again.bars == 3  # the three minutes it missed; the bar it ran before is not run again
    assert feed.asked[1] == int(clock.now.timestamp() * 1000) // 60_000 * 60_000 - 3 * 60_000


async def test_a_trailing_update_never_loosens_a_stop_the_user_tightened_meanwhile(
        services: Services, prices: StaticPriceSource, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The monitor computes a trailing stop from the position it read; the user moves the stop tighter before
    the monitor stores it. The monitor's looser stop must not land over the user's (stops only tighten)."""
    user = await trader(services, trailing_stop={"activation_pct": 1, "distance_pct": 0.5})
    await call(services, "BTC/USDT LONG entry 42000-42500 SL 41000 10x")
    position = await only_position()
    keeper = services.monitor.keeper
    real_track, computed, go_on = keeper.track, asyncio.Event(), asyncio.Event()

    async def track(*args: object) -> None:  # the monitor has its trailing stop (42,785) and waits to store it
        computed.set()
        await go_on.wait()
        await real_track(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(keeper, "track", track)
    prices.prices["BTC/USDT"] = 43_000.0  # +1.8 %: the trail starts 0.5 % behind 43,000
    clock.advance(minutes=1)
    ticking = asyncio.create_task(services.monitor.tick())
    await computed.wait()
    await services.api.positions.move_stop(Caller(discord_id=1000), ref(position), 42_900.0)
    go_on.set()
    await ticking

    position = await only_position()
    assert (position.stop_loss, position.best_price) == (42_900.0, 43_000.0)
    live = [(leg, price) for leg, (status, _, price) in (await legs(user)).items() if status in LIVE and "sl" in leg]
    assert live == [("sl.2", 42_900.0)]
