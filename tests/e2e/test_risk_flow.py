"""Risk settings and conflicts through the pipeline on the real embedded server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.app import Services
from core.domain import DecisionOutcome, OrderStatus, RawMessage
from core.execution.ids import client_order_id
from core.market.prices import StaticPriceSource
from core.risk.profiles import ProfileError
from core.services.decide import risk_settings
from core.services.decide.provider_records import provider_records
from models import Decision, OrderIntent, Position, Provider, RealizedPnl, User
from models.refs import ref
from models.signals import DecisionDetails, PlanRecord
from tests.conftest import FakeClock

ALPHA, BETA = 555_000_111, 555_000_222
POSTED = datetime(2026, 4, 1, 11, 59, tzinfo=UTC)


def raw(text: str, channel: int = ALPHA, message_id: int = 1, posted: datetime = POSTED) -> RawMessage:
    return RawMessage(channel_id=channel, message_id=message_id, author="provider", text=text, created_at=posted)


async def setup(services: Services) -> tuple[User, Provider, Provider]:
    alpha = await services.accounts.register_provider("Alpha", ALPHA)
    beta = await services.accounts.register_provider("Beta", BETA)
    user = await services.accounts.ensure_user(1000, "trader")
    await services.accounts.subscribe(user, alpha)
    await services.accounts.subscribe(user, beta)
    return user, alpha, beta


async def reload(user: User) -> User:
    found = await User.get(user.id)
    assert found is not None
    return found


async def test_a_subscription_override_applies_to_that_provider_only(services: Services) -> None:
    user, alpha, _ = await setup(services)
    effective = await risk_settings.set_overrides(user, alpha, {"max_leverage": 3})
    assert effective.max_leverage == 3

    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900 10x", channel=BETA))

    leverages = {p.symbol: p.leverage async for p in Position.find_all()}
    assert leverages == {"BTC/USDT": 3, "ETH/USDT": 10}
    with pytest.raises(ProfileError, match="max_leverage: Input should be greater than or equal to 1"):
        await risk_settings.set_overrides(user, alpha, {"max_leverage": 0})


async def test_an_opposite_call_closes_the_open_position_when_the_user_says_so(
        services: Services, prices: StaticPriceSource) -> None:
    user, _, _ = await setup(services)
    await risk_settings.update_profile(user, {"conflicts": {"opposite": "close-position"}})
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    prices.prices["BTC/USDT"] = 42_400.0

    result = await services.pipeline.ingest(
        raw("BTC/USDT SHORT entry 42400-42600 TP1 41000 SL 43500 10x", channel=BETA, message_id=2))

    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "opposite:close-position"
    assert outcome.reason == ("you hold a LONG BTC/USDT from Alpha: it is closed and the opposite call from Beta "
                              "is not opened")
    [position] = await Position.find_all().to_list()
    assert position.status == "closed" and position.exit_price == 42_400.0
    fees = 0.08 * 42_250 * 0.0004 + 0.08 * 42_400 * 0.0004
    assert position.realized_pnl == pytest.approx(0.08 * 150 - fees)
    exit_id = client_order_id(position.signal_id, ref(user), "exit")
    intent = await OrderIntent.find_one(OrderIntent.client_order_id == exit_id)
    assert intent is not None and intent.reduce_only and intent.status is OrderStatus.FILLED

    legs = {i.leg: i.status async for i in OrderIntent.find_all()}  # the stop and target went with the close
    assert legs == {"entry": OrderStatus.FILLED, "sl": OrderStatus.CANCELLED, "tp1": OrderStatus.CANCELLED,
                    "exit": OrderStatus.FILLED}
    await services.pipeline.resume_unfinished()  # nothing left: no second exit, no new position
    assert await OrderIntent.count() == 4 and await Position.count() == 1


async def test_the_daily_loss_limit_pauses_trading_until_local_midnight(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    user, _, _ = await setup(services)
    await risk_settings.update_profile(user, {"daily_loss_amount": 100, "conflicts": {"opposite": "close-position"}})
    await risk_settings.set_timezone(user, "Europe/Berlin")
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    prices.prices["BTC/USDT"] = 41_000.0  # the long loses 0.08 x 1,250 = 100 when the short closes it
    await services.pipeline.ingest(raw("BTC/USDT SHORT entry 41000 TP1 40000 SL 41800 10x", channel=BETA,
                                       message_id=2))

    third = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=3))

    [outcome] = third.outcomes  # 100 price loss + 1.35 entry fee + 1.31 exit fee: paused as the close booked it
    assert outcome.rule == "paused"
    assert outcome.reason == "your trading is paused (today's loss 102.66 reached your daily limit 100.00)"
    user = await reload(user)
    midnight_berlin = datetime(2026, 4, 2, 0, 0, tzinfo=UTC) - timedelta(hours=2)  # CEST
    assert user.trading_paused and user.paused_until_ms == int(midnight_berlin.timestamp() * 1000)

    clock.advance(hours=10)  # 22:00 UTC = 00:00 in Berlin: a new day
    fourth = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=4,
                                                posted=clock.now))
    assert [o.outcome for o in fourth.outcomes] == [DecisionOutcome.TRADE]


async def test_a_partial_exit_at_a_loss_counts_towards_the_daily_limit(
        services: Services, prices: StaticPriceSource) -> None:
    user, _, _ = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))  # 0.08 at 42,250
    prices.prices["BTC/USDT"] = 41_250.0
    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=2))  # 0.04 sold 1,000 below the entry
    [position] = await Position.find_all().to_list()
    assert position.status == "open" and position.amount == pytest.approx(0.04)
    await risk_settings.update_profile(await reload(user), {"daily_loss_amount": 40})
    prices.prices["BTC/USDT"] = 42_250.0  # the open half is back at its entry price

    third = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=3))

    # 40 realised + 0.66 exit fee + 1.35 entry fees (both halves); counting only the open half gave 2.01
    [outcome] = third.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "daily_loss"
    assert outcome.reason.startswith("daily loss limit reached: 42.01 lost today")


async def test_only_what_a_position_realised_today_counts_towards_todays_loss(
        services: Services, prices: StaticPriceSource, clock: FakeClock) -> None:
    """A position opened yesterday: its exit yesterday belongs to yesterday; a partial exit today counts today
    while the position is still open, and so does the close today (not the whole position's result)."""
    user, _, _ = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))  # 0.08 at 42,250
    prices.prices["BTC/USDT"] = 41_250.0
    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=2))  # yesterday: 0.04, 1,000 below
    clock.advance(days=1)
    prices.prices["BTC/USDT"] = 41_750.0
    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=3, posted=clock.now))  # today: 0.02, 500 below
    [position] = await Position.find_all().to_list()
    assert position.status == "open" and position.amount == pytest.approx(0.02)
    await risk_settings.update_profile(await reload(user), {"daily_loss_amount": 10.5})

    partial = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=4,
                                                 posted=clock.now))

    # 10 below the entry + 0.33 exit fee + 0.34 of the entry fee (a quarter of 1.35); yesterday's 40 is not today's
    [outcome] = partial.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "daily_loss"
    assert outcome.reason.startswith("daily loss limit reached: 10.67 lost today")

    await (await reload(user)).set({User.trading_paused: False, User.paused_reason: None, User.paused_until_ms: None})
    await risk_settings.update_profile(await reload(user), {"daily_loss_amount": 21.3})
    await services.pipeline.ingest(raw("Close #BTCUSDT", message_id=5, posted=clock.now))  # the last 0.02, today
    closed = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=6,
                                                posted=clock.now))

    [outcome] = closed.outcomes  # twice the partial; the whole position lost 62.68
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.reason.startswith(
        "daily loss limit reached: 21.34 lost today")


async def test_a_crash_before_the_position_is_saved_folds_the_exit_again_and_the_ledger_keeps_one_row(
        services: Services, prices: StaticPriceSource) -> None:
    await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    [before] = await Position.find_all().to_list()
    prices.prices["BTC/USDT"] = 41_250.0
    await services.pipeline.ingest(raw("Close 50% #BTCUSDT", message_id=2))
    [row] = await RealizedPnl.find_all().to_list()
    await before.replace()  # the exit's fill and ledger row were stored, the moved position was not

    assert await services.protection.sender.catch_up(before)

    [again] = await RealizedPnl.find_all().to_list()
    [position] = await Position.find_all().to_list()
    assert again.id == row.id and again.pnl == pytest.approx(-41.34, abs=0.01)
    assert position.amount == pytest.approx(0.04) and position.realized_pnl == pytest.approx(row.pnl)


async def test_todays_closed_losses_count_from_each_users_midnight_and_per_exchange(
        services: Services, clock: FakeClock) -> None:
    alpha = await services.accounts.register_provider("Alpha", ALPHA)
    here = await services.accounts.ensure_user(1001, "utc")  # the day began at 00:00 UTC
    east = await services.accounts.ensure_user(1002, "kiritimati")  # UTC+14: the day began at 10:00 UTC
    await risk_settings.set_timezone(east, "Pacific/Kiritimati")
    for user in (here, east):
        await services.accounts.subscribe(user, alpha)
        await risk_settings.update_profile(await reload(user), {"daily_loss_amount": 100,
                                                                "exchange_daily_loss": {"Binance": 45}})
        account = await services.accounts.default_account(ref(user))
        assert account is not None
        closes = ((9, -60.0, "binance", ref(account)), (11, -30.0, "binance", ref(account)),
                  (11, -20.0, "bybit", "ab" * 12))
        for n, (hour, pnl, exchange, account_id) in enumerate(closes):
            closed_at = clock.now.replace(hour=hour)
            await RealizedPnl(trade_id=f"{ref(user)}:{n}", position_id=f"{n:02d}" * 12, user_id=ref(user),
                              account_id=account_id, exchange=exchange, symbol="ETH/USDT", pnl=pnl,
                              at_ms=int(closed_at.timestamp() * 1000)).insert()

    result = await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))

    by_user = {o.user_id: o for o in result.outcomes}
    assert by_user[ref(here)].rule == "daily_loss"  # 60 + 30 + 20 since its midnight
    assert by_user[ref(here)].reason.startswith("daily loss limit reached: 110.00 lost today")
    # in Kiritimati the 09:00 UTC loss was yesterday: 30 on binance (under 45) and 20 on bybit, 50 in all
    assert by_user[ref(east)].outcome is DecisionOutcome.TRADE


async def test_a_provider_reposting_a_call_the_user_holds_is_merged_not_traded_again(services: Services) -> None:
    await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))

    again = await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
                                               message_id=2))

    [outcome] = again.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "duplicate"
    assert outcome.reason.startswith("the same call as the same provider's at 12:00 UTC")
    assert await Position.count() == 1


async def test_a_paused_user_never_gets_an_order_and_resume_lifts_it(services: Services) -> None:
    user, _, _ = await setup(services)
    await risk_settings.pause(user)
    blocked = await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000"))
    assert blocked.outcomes[0].reason == "your trading is paused (you paused it)"
    assert await OrderIntent.count() == 0

    await risk_settings.resume(await reload(user))
    traded = await services.pipeline.ingest(raw("ETH/USDT LONG entry 1990-2010 TP1 2100 SL 1900", message_id=2))
    assert traded.outcomes[0].outcome is DecisionOutcome.TRADE


async def test_a_stale_call_is_skipped(services: Services) -> None:
    await setup(services)
    result = await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000",
                                                posted=POSTED - timedelta(minutes=30)))
    assert result.outcomes[0].rule == "signal_age" and "31 min old" in result.outcomes[0].reason


async def test_why_lists_every_check_and_presets_apply_per_subscription(services: Services) -> None:
    user, alpha, _ = await setup(services)
    await risk_settings.apply_preset(user, "conservative", alpha)  # conservative skips calls without a stop
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000"))

    answer = await risk_settings.why(user, ALPHA, 1)
    assert answer is not None and answer.outcome == "block" and answer.rule == "stop_loss"
    assert answer.signal == "LONG BTC/USDT from Alpha"
    assert answer.reason == "the call has no stop-loss and you skip calls without one"
    assert [c["verdict"] for c in answer.checks][-1] == "block"
    assert await risk_settings.why(user, ALPHA, 99) is None


async def test_refused_settings_change_nothing(services: Services) -> None:
    user, _, _ = await setup(services)
    with pytest.raises(ProfileError) as caught:
        await risk_settings.update_profile(user, {"risk_pct": 0, "max_leverage": 1000})
    assert len(caught.value.problems) == 2
    with pytest.raises(ProfileError, match="'Mars/Olympus' is not a known timezone"):
        await risk_settings.set_timezone(user, "Mars/Olympus")
    with pytest.raises(ProfileError, match="is a built-in preset"):
        await risk_settings.save_preset(user, "Balanced")
    stored = await reload(user)
    assert stored.settings.risk.risk_pct == 1.0 and stored.settings.timezone == "UTC"

    await risk_settings.update_profile(stored, {"risk_pct": 0.5})
    assert await risk_settings.save_preset(stored, "My-Plan") == "my-plan"
    assert (await reload(user)).presets["my-plan"].risk_pct == 0.5
    await risk_settings.update_profile(stored, {"risk_pct": 2})
    await risk_settings.apply_preset(stored, "my-plan")
    assert (await reload(user)).settings.risk.risk_pct == 0.5
    assert await Decision.count() == 0


async def test_the_calculator_uses_the_users_balance_positions_and_profile(services: Services) -> None:
    user, _, _ = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    account = await services.accounts.default_account(ref(user))
    assert account is not None
    decider = services.pipeline.trader.decider

    result = await decider.calculate_for(user, account, entry=2_000, stop=1_900, targets=(2_200.0,),
                                         symbol="ETH/USDT")

    # 1% of the balance (10,000 less the 1.35 entry fee) over 100 to the stop, rounded down to the 0.0001 step
    assert result.binding_rule == "risk_pct" and result.quantity == pytest.approx(0.9998)
    # today's loss room (5% = 499.93, less the 1.35 fee already lost today) fits 4 such 99.98 risks
    assert result.rr == [2.0] and result.positions_allowed == 4


async def test_provider_records_count_trades_that_closed_through_the_pipeline(
        services: Services, prices: StaticPriceSource) -> None:
    """A closed position holds no coins any more (amount 0): its return is measured on what entered."""
    _, alpha, beta = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    prices.prices["BTC/USDT"] = 42_400.0
    await services.pipeline.ingest(raw("Close #BTCUSDT", message_id=2))

    [position] = await Position.find_all().to_list()
    assert position.status == "closed" and position.amount == 0 and position.entered == pytest.approx(0.08)
    records = await provider_records({ref(alpha), ref(beta)})
    alpha_record = records[ref(alpha)]
    assert (alpha_record.closed_trades, alpha_record.wins) == (1, 1)
    assert alpha_record.avg_win_pct == pytest.approx(position.realized_pnl / (0.08 * position.entry_price) * 100)
    assert records[ref(beta)].closed_trades == 0


async def test_follow_best_performer_reads_the_providers_records_through_the_pipeline(
        services: Services, prices: StaticPriceSource) -> None:
    """Alpha closed a winning trade; the user holds Beta's long. Alpha's opposite call wins on record and
    replaces it. Without the policy the same call is skipped (and no record is needed)."""
    user, _, _ = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    prices.prices["BTC/USDT"] = 42_400.0
    await services.pipeline.ingest(raw("Close #BTCUSDT", message_id=2))
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42300-42500 TP1 43500 SL 41500 10x", channel=BETA,
                                       message_id=3))
    await risk_settings.update_profile(user, {"conflicts": {"opposite": "follow-best-performer"}})

    result = await services.pipeline.ingest(raw("BTC/USDT SHORT entry 42400 TP1 41000 SL 43000 10x", message_id=4))

    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.TRADE and outcome.rule != "opposite:skip"
    decision = (await Decision.find(Decision.user_id == ref(user)).sort("-_id").to_list())[0]
    conflict = decision.details.conflict
    assert conflict is not None
    assert conflict.rule == "opposite:follow-best-performer" and conflict.action == "replace"
    assert "Alpha: +" in conflict.reason and "Beta: no closed trades" in conflict.reason
    sides = sorted([(p.side.value, p.status) async for p in Position.find_all()])
    assert sides == [("long", "closed"), ("long", "closed"), ("short", "open")]


@pytest.mark.parametrize("how", ["provider close", "conflict close", "manual close"])
async def test_a_close_outside_the_monitor_reaches_the_daily_loss_pause_at_once(
        how: str, services: Services, prices: StaticPriceSource) -> None:
    """The after-close check runs wherever a position closes, not only in the monitor: the user is paused as
    the closing loss reaches the daily limit, before any next call arrives."""
    user, _, _ = await setup(services)
    await risk_settings.update_profile(user, {"daily_loss_amount": 100, "conflicts": {"opposite": "close-position"}})
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    prices.prices["BTC/USDT"] = 41_000.0  # closing now loses 0.08 x 1,250 = 100, plus fees
    if how == "provider close":
        await services.pipeline.ingest(raw("Close #BTCUSDT", message_id=2))
    elif how == "conflict close":
        await services.pipeline.ingest(raw("BTC/USDT SHORT entry 41000 TP1 40000 SL 41800 10x", channel=BETA,
                                           message_id=2))
    else:
        position = await Position.find_one(Position.user_id == ref(user))
        assert position is not None
        await services.pipeline.trader.closer.close(str(position.id), "closed by you")
    closed = await Position.find_one(Position.user_id == ref(user), Position.status == "closed")
    assert closed is not None and closed.realized_pnl < -100
    paused = await reload(user)
    assert paused.trading_paused and paused.paused_reason is not None
    assert paused.paused_reason.startswith("today's loss 102.66 reached your daily limit 100.00")


async def test_a_stored_decision_reads_back_typed_and_the_position_is_opened_from_it(services: Services) -> None:
    user, _, _ = await setup(services)
    await services.pipeline.ingest(raw("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))

    [decision] = await Decision.find(Decision.user_id == ref(user)).to_list()
    [position] = await Position.find_all().to_list()
    details = decision.details
    assert details.plan is not None and details.plan.stop == 41_000 and details.plan.targets == [43_000]
    assert details.conflict is not None and details.conflict.action == "open"
    assert [c.rule for c in details.checks][:2] == ["equity", "symbol_filter"]
    assert details.amount is not None and details.amount > 0
    assert (position.planned_amount, position.entry_price, position.leverage) == (
        details.amount, details.price, details.leverage)
    assert (position.stop_loss, position.take_profits) == (41_000, [43_000])



def test_a_decision_without_a_size_opens_nothing() -> None:
    with pytest.raises(ValueError, match="holds no size"):
        DecisionDetails(plan=PlanRecord(entry=42_000)).size()
