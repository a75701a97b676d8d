"""The walking skeleton end to end on the real embedded server: message -> positions -> notifications."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.app import Services
from core.domain import DecisionOutcome, OrderStatus, RawMessage, Side
from core.execution.ids import client_order_id
from core.market.prices import StaticPriceSource
from core.services.notify.notifier import NotificationEvent
from models import (
    Decision,
    ExchangeAccount,
    Fill,
    Message,
    Notification,
    OrderIntent,
    PaperHoldingDoc,
    PaperOrder,
    Position,
    Signal,
    User,
)
from models.refs import ref
from tests.conftest import FakeClock

CHANNEL = 555_000_111
CALL = "BTC/USDT LONG entry 42000-42500, TP1 43000, TP2 44000, SL 41000, 10x"


def raw(text: str = CALL, message_id: int = 1) -> RawMessage:
    return RawMessage(channel_id=CHANNEL, message_id=message_id, author="provider#1", text=text,
                      created_at=datetime(2026, 4, 1, 11, 59, tzinfo=UTC), guild_id=7)


class RecordingSink:
    name = "recording"

    def __init__(self) -> None:
        self.events: list[NotificationEvent] = []

    async def deliver(self, event: NotificationEvent) -> None:
        self.events.append(event)


async def subscribed_users(services: Services, count: int) -> list[User]:
    provider = await services.accounts.register_provider("Alpha Calls", CHANNEL, guild_id=7)
    users = []
    for n in range(count):
        user = await services.accounts.ensure_user(1000 + n, f"trader{n}")
        await services.accounts.subscribe(user, provider)
        users.append(user)
    return users


async def test_one_message_two_users_two_positions_then_replay_is_noop(services: Services) -> None:
    users = await subscribed_users(services, 2)
    sink = RecordingSink()
    services.notifier.add_sink(sink)

    result = await services.pipeline.ingest(raw())

    assert sink.events == []  # the trade never waits for Discord: the delivery job sends
    assert (await services.delivery.run()).delivered == 2
    assert result.status == "processed" and result.kind == "signal"
    assert [o.outcome for o in result.outcomes] == [DecisionOutcome.TRADE, DecisionOutcome.TRADE]
    positions = await Position.find_all().to_list()
    assert sorted(p.user_id for p in positions) == sorted(ref(u) for u in users)
    for position in positions:
        # balanced profile: risk 1% of 10,000 = 100 over the 1,250 to the stop (42,250 -> 41,000) = 0.08 BTC
        assert position.side is Side.LONG and position.symbol == "BTC/USDT"
        assert position.amount == pytest.approx(0.08)
        assert position.entry_price == 42_250.0 and position.leverage == 10 and position.stop_loss == 41_000
        assert position.take_profits == [43_000.0, 44_000.0]
    intents = await OrderIntent.find(OrderIntent.role == "entry").to_list()
    signal = await Signal.find_one()
    assert signal is not None
    assert {i.client_order_id for i in intents} == {client_order_id(ref(signal), ref(u), "entry") for u in users}
    assert all(i.status is OrderStatus.FILLED for i in intents)
    assert [h.status for h in intents[0].history] == [OrderStatus.PENDING, OrderStatus.SUBMITTED, OrderStatus.FILLED]
    # after the fill: a reduce-only stop for all of it and the targets split evenly, resting on the paper exchange
    protective = {(i.leg, i.order_type, i.amount, i.stop_price, i.status) async for i in OrderIntent.find(
        OrderIntent.user_id == ref(users[0]), OrderIntent.role != "entry")}
    assert protective == {("sl", "stop_market", 0.08, 41_000.0, OrderStatus.OPEN),
                          ("tp1", "take_profit", 0.04, 43_000.0, OrderStatus.OPEN),
                          ("tp2", "take_profit", 0.04, 44_000.0, OrderStatus.OPEN)}
    assert await Fill.count() == 2 and await PaperOrder.count() == 8 and await Decision.count() == 2
    notes = await Notification.find_all().to_list()
    assert len(notes) == 2 and {n.kind for n in notes} == {"trade_opened"}
    assert sorted(e.discord_id for e in sink.events) == [1000, 1001]
    assert "Opened LONG 0.08 BTC/USDT @ 42250" in sink.events[0].text
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(users[0]))
    assert account is not None
    assert account.paper_balances["USDT"] == pytest.approx(10_000 - 0.08 * 42_250 * 0.0004)

    again = await services.pipeline.ingest(raw())
    await services.delivery.run()

    assert again.status == "duplicate"
    assert await Message.count() == 1 and await Signal.count() == 1 and await OrderIntent.count() == 8
    assert await Position.count() == 2 and await Notification.count() == 2 and len(sink.events) == 2


async def test_blocked_trade_is_recorded_with_its_reason_and_told_to_the_user(services: Services) -> None:
    [user] = await subscribed_users(services, 1)
    # price 42,250 is far above this entry zone: the user is told why nothing was bought
    result = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1500-1550 TP 1700 SL 1400"))

    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "chase_guard"
    decision = await Decision.find_one(Decision.user_id == user.id)
    assert decision is not None and "not chasing it" in decision.reason
    note = await Notification.find_one(Notification.user_id == user.id)
    assert note is not None and note.kind == "trade_blocked"
    assert note.text.startswith("Did not trade LONG ETH/USDT: The price 2000 is 29.03% above the entry 1500-1550, "
                                 "past your chase limit")
    assert await OrderIntent.count() == 0 and await Position.count() == 0


async def test_noise_and_invalid_calls_are_stored_with_a_reason_and_never_trade(services: Services) -> None:
    [user] = await subscribed_users(services, 1)
    chat = await services.pipeline.ingest(raw("gm traders, big week ahead", message_id=2))
    wrong = await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000 TP1 43000 SL 43500", message_id=3))

    assert chat.kind == "noise" and chat.reason == "no trading pair found"
    assert wrong.kind == "rejected" and [o.rule for o in wrong.outcomes] == ["signal_invalid"]
    assert wrong.reason == "a long's stop-loss (43500) must be below the entry (42000)"
    stored = await Message.find_one(Message.message_id == 3)
    assert stored is not None and stored.status == "processed" and stored.reason == wrong.reason
    signal = await Signal.find_one(Signal.status == "rejected")
    assert signal is not None and signal.reason == wrong.reason
    note = await Notification.find_one(Notification.user_id == ref(user))
    assert note is not None and note.kind == "signal_rejected"
    assert note.text == ("Did not trade LONG BTC/USDT: A long's stop-loss (43500) must be below the entry (42000).")
    assert await OrderIntent.count() == 0


async def test_updates_apply_to_the_replied_signal_or_the_latest_open_one(
        services: Services, prices: StaticPriceSource) -> None:
    [user] = await subscribed_users(services, 1)
    await services.pipeline.ingest(raw())
    earlier = RecordingSink()  # the opening DM goes first, through another sink
    services.notifier.add_sink(earlier)
    await services.delivery.run()
    services.notifier.remove_sink(earlier)
    prices.prices["BTC/USDT"] = 42_600.0
    sink = RecordingSink()
    services.notifier.add_sink(sink)
    reply = RawMessage(channel_id=CHANNEL, message_id=5, author="provider#1", text="Move SL to entry",
                       created_at=datetime(2026, 4, 1, 12, 30, tzinfo=UTC), reply_to=1)
    moved = await services.pipeline.ingest(reply)
    closed = await services.pipeline.ingest(raw("Close #BTCUSDT", message_id=6))
    stray = await services.pipeline.ingest(raw("Close #ETHUSDT", message_id=7))
    await services.delivery.run()

    assert (moved.kind, moved.reason) == ("update", "BTC/USDT stop moved to 42250")
    assert closed.reason == "BTC/USDT signal marked closed (close)"
    assert stray.reason == "update (close) matched no open signal for ETH/USDT"
    signal = await Signal.find_one(Signal.kind == "signal")
    assert signal is not None and signal.status == "closed" and signal.stop_loss == 42_250
    assert [e.text for e in sink.events] == [
        "Provider update on your BTC/USDT position (move_sl): stop moved to 42250 (your entry price).",
        "Closed: 0.08 BTC/USDT @ 42600 (paper). Position closed, P&L +25.28.",
        "Provider update on your BTC/USDT position (close): closed BTC/USDT @ 42600, P&L +25.28."]
    legs = {i.leg: (i.status, i.stop_price) async for i in OrderIntent.find(OrderIntent.user_id == ref(user))}
    assert legs["sl"] == (OrderStatus.CANCELLED, 41_000.0)  # replaced by the moved stop
    assert legs["sl.2"] == (OrderStatus.CANCELLED, 42_250.0)  # then cancelled by the close
    assert [status for leg, (status, _) in legs.items() if leg.startswith("exit-")] == [OrderStatus.FILLED]
    assert all(e.discord_id == user.discord_id for e in sink.events)


async def test_messages_from_unknown_channels_are_ignored(services: Services) -> None:
    result = await services.pipeline.ingest(raw())
    assert result.status == "ignored" and await Message.count() == 0


async def test_an_interrupted_message_resumes_without_a_second_order(services: Services, clock: FakeClock) -> None:
    await subscribed_users(services, 2)
    await services.pipeline.ingest(raw())
    # simulate a crash after the first user's order: the message is unfinished, one decision is gone
    await Message.find_one().update({"$set": {"status": "received"}})
    second = await Decision.find_one(Decision.user_id != (await Position.find_one()).user_id)  # type: ignore[union-attr]
    assert second is not None
    await Position.find_one(Position.user_id == second.user_id).delete()
    await Notification.find_one(Notification.user_id == second.user_id).delete()

    assert await services.pipeline.resume_unfinished() == 0  # still inside its grace period: maybe a live ingest
    clock.advance(seconds=61)
    assert await services.pipeline.resume_unfinished() == 1

    assert await PaperOrder.count() == 8 and await OrderIntent.count() == 8 and await Fill.count() == 2
    assert await Position.count() == 2 and await Notification.count() == 2
    rebuilt = await Position.find_one(Position.user_id == second.user_id)  # rebuilt from its recorded fill
    assert rebuilt is not None and rebuilt.status == "open" and rebuilt.amount == pytest.approx(0.08)
    assert (await Message.find_one()).status == "processed"  # type: ignore[union-attr]


async def test_a_batch_with_a_refused_order_and_a_paused_user_keeps_each_users_outcome(services: Services) -> None:
    """One call, three subscribers handled in one batch: the paper exchange refuses one user's entry (their
    margin is in use), one user is paused, one trades. Each outcome and message stays that user's own."""
    trades, refused, paused = await subscribed_users(services, 3)
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(refused))
    assert account is not None
    await PaperHoldingDoc(account_id=ref(account), symbol="ETH/USDT", amount=5.0, entry_price=2_000.0,
                          leverage=1.0).insert()  # 10,000 of margin in use: nothing is free
    await paused.set({User.trading_paused: True, User.paused_reason: "you paused it"})

    result = await services.pipeline.ingest(raw())

    by_user = {o.user_id: o for o in result.outcomes}
    assert by_user[ref(trades)].outcome is DecisionOutcome.TRADE
    assert by_user[ref(refused)].outcome is DecisionOutcome.BLOCK and by_user[ref(refused)].rule == "exchange"
    assert by_user[ref(refused)].reason.startswith("order refused: insufficient funds: the order needs 338.00 USDT")
    assert by_user[ref(paused)].rule == "paused"
    positions = {p.user_id: p async for p in Position.find_all()}
    assert positions[ref(trades)].status == "open" and positions[ref(trades)].amount == pytest.approx(0.08)
    assert positions[ref(refused)].status == "cancelled" and ref(paused) not in positions
    kinds = {(n.user_id, n.kind) async for n in Notification.find_all()}
    assert kinds == {(ref(trades), "trade_opened"), (ref(refused), "order_rejected"),
                     (ref(paused), "trade_blocked")}
    assert await OrderIntent.find(OrderIntent.user_id == ref(refused)).count() == 1  # the entry only, REJECTED
    assert await PaperOrder.count() == 4  # the trader's entry, stop and two targets


async def test_a_large_audience_runs_in_parts_and_keeps_each_users_outcome_in_order(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.services.trade.trading.PART", 2)  # five subscribers: parts of 2, 2 and 1
    users = await subscribed_users(services, 5)
    await users[3].set({User.trading_paused: True, User.paused_reason: "you paused it"})

    result = await services.pipeline.ingest(raw())

    assert [o.user_id for o in result.outcomes] == [ref(u) for u in users]
    assert [o.outcome for o in result.outcomes] == [DecisionOutcome.TRADE] * 3 + [DecisionOutcome.BLOCK,
                                                                                  DecisionOutcome.TRADE]
    assert {p.user_id async for p in Position.find(Position.status == "open")} == {
        ref(u) for n, u in enumerate(users) if n != 3}
    assert await PaperOrder.count() == 16  # each trader's entry, stop and two targets
    again = await services.pipeline.ingest(raw())
    assert again.status == "duplicate" and await PaperOrder.count() == 16


async def test_a_position_stored_before_its_entry_intent_moved_counts_the_fill_once(services: Services) -> None:
    """The batch stores an entry's intent and its position together after the fill: a crash can leave the
    position open (fill folded in) with the intent still SUBMITTED. The reconciler moves the intent; the fill
    is neither recorded nor folded twice, and no second stop or target is placed."""
    [user] = await subscribed_users(services, 1)
    await services.pipeline.ingest(raw())
    entry = await OrderIntent.find_one(OrderIntent.user_id == ref(user), OrderIntent.role == "entry")
    assert entry is not None and entry.status is OrderStatus.FILLED
    submitted = [h.model_dump(mode="json") for h in entry.history if h.status is not OrderStatus.FILLED]
    await entry.set({OrderIntent.status: OrderStatus.SUBMITTED, OrderIntent.filled: 0.0,
                     OrderIntent.average_price: None, OrderIntent.fee: 0.0, "history": submitted})

    await services.reconciler.run()

    moved = await OrderIntent.get(entry.id)
    assert moved is not None and moved.status is OrderStatus.FILLED and moved.filled == pytest.approx(0.08)
    [position] = await Position.find_all().to_list()
    assert position.status == "open" and position.amount == pytest.approx(0.08) and len(position.applied) == 1
    assert await Fill.count() == 1
    assert await OrderIntent.count() == 4 and await PaperOrder.count() == 4  # entry, stop, two targets: once
