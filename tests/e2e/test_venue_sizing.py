"""A testnet (or live) account is sized on its exchange's balance, read when the call is decided, not on the
paper balance stored with the account; an exchange that does not answer blocks the trade with the reason.
The real ccxt client talks to the local fake Binance (USDT-M futures)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.app import Services, build_services
from core.domain import DecisionOutcome, RawMessage, TradeMode
from core.market.prices import StaticPriceSource
from models import ExchangeAccount, OrderIntent, Position, User
from models.refs import ref
from tests.conftest import FakeClock, make_settings
from tests.fakes.accounts import add_testnet_account
from tests.fakes.binance import MARKETS, FakeBinance

CHANNEL = 777_000_001
POSTED = datetime(2026, 4, 1, 11, 59, tzinfo=UTC)
SIGNAL = "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"


@pytest.fixture
async def venue_services(mongo_url: str, tmp_path: Path, fake_binance: tuple[FakeBinance, str]
                         ) -> AsyncIterator[tuple[Services, FakeBinance]]:
    fake, url = fake_binance
    fake.set_price("BTCUSDT", 42_250.0)
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name,
                             SIGNALCORD_EXCHANGE_BASE_URL=url, SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1")
    async with build_services(settings, prices=StaticPriceSource({"BTC/USDT": 42_250.0}),
                              clock=FakeClock(POSTED)) as built:
        yield built, fake
        await built.client.drop_database(name)


async def subscribe_testnet_user(services: Services) -> User:
    provider = await services.accounts.register_provider("Alpha", CHANNEL)
    user = await services.accounts.ensure_user(2000, "trader")
    await services.accounts.subscribe(user, provider)
    await add_testnet_account(services, user)
    return user


def call(message_id: int = 1) -> RawMessage:
    return RawMessage(channel_id=CHANNEL, message_id=message_id, author="provider", text=SIGNAL, created_at=POSTED)


async def test_a_testnet_account_is_sized_on_the_exchange_balance(
        venue_services: tuple[Services, FakeBinance]) -> None:
    services, fake = venue_services
    await subscribe_testnet_user(services)
    fake.balances["USDT"] = 5_000.0  # the stored paper balance says 10,000: it must not be used

    result = await services.pipeline.ingest(call())

    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.TRADE
    entry = await OrderIntent.find_one(OrderIntent.leg == "entry")
    # 1% of 5,000 over the 1,250 to the stop is 0.04 BTC (10,000 would have made it 0.08)
    assert entry is not None and entry.amount == pytest.approx(0.04)
    assert fake.order_posts() >= 1


async def test_an_exchange_that_refuses_the_balance_read_blocks_the_trade_with_the_reason(
        venue_services: tuple[Services, FakeBinance]) -> None:
    services, fake = venue_services
    await subscribe_testnet_user(services)
    fake.inject("/account", "auth")

    result = await services.pipeline.ingest(call())

    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.BLOCK and outcome.rule == "account"
    assert outcome.reason.startswith("your binance balance could not be read, so nothing is sized: the exchange "
                                     "refused the API key (binance {\"code\": -2015")
    assert await OrderIntent.count() == 0 and fake.order_posts() == 0


async def test_a_live_account_without_opt_in_is_blocked_before_any_exchange_call(
        venue_services: tuple[Services, FakeBinance]) -> None:
    services, fake = venue_services
    user = await subscribe_testnet_user(services)
    await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(user), ExchangeAccount.is_default == True  # noqa: E712
                                   ).update({"$set": {"mode": TradeMode.LIVE.value}})

    result = await services.pipeline.ingest(call())

    [outcome] = result.outcomes
    assert (outcome.outcome, outcome.rule) == (DecisionOutcome.BLOCK, "account")
    assert outcome.reason == ("your binance balance could not be read, so nothing is sized: live trading is not "
                              "switched on for this account (opt in on the dashboard first)")
    assert fake.calls == [] and await OrderIntent.count() == 0


async def test_a_testnet_account_is_sized_with_the_exchange_s_own_lot_step(
        venue_services: tuple[Services, FakeBinance], monkeypatch: pytest.MonkeyPatch) -> None:
    """The venue's rules, not the paper table's: this venue trades BTC in steps of 0.01 (the paper table's step
    is 0.00001), so 1% of 6,000 over the 1,250 to the stop (0.048 BTC) is sized 0.04, which the venue takes."""
    services, fake = venue_services
    monkeypatch.setitem(MARKETS, "BTCUSDT", ("BTC", "USDT", "0.01", "0.01", "5"))
    user = await subscribe_testnet_user(services)
    fake.balances["USDT"] = 6_000.0
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(user), ExchangeAccount.is_default == True)  # noqa: E712
    assert account is not None

    rules = await services.gateways.venue_rules(ref(account), "BTC/USDT")
    result = await services.pipeline.ingest(call())

    assert (rules.amount_step, rules.price_tick, rules.min_notional) == (0.01, 0.01, 5.0)
    [outcome] = result.outcomes
    assert outcome.outcome is DecisionOutcome.TRADE
    entry = await OrderIntent.find_one(OrderIntent.leg == "entry")
    assert entry is not None and entry.amount == pytest.approx(0.04)
    [position] = await Position.find_all().to_list()
    assert position.planned_amount == pytest.approx(0.04)  # sized at the venue's step, not rounded later
