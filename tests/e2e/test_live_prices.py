"""The app on live market data: SIGNALCORD_PRICE_FEEDS names ccxt exchanges (here the fake Binance), decisions
and paper fills use their tickers, and a halted symbol is told to the users holding it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.app import Services, build_services
from core.clock import epoch_ms
from core.domain import RawMessage
from core.market.failover import MarketData
from models import AuditEvent, Notification, Position
from tests.conftest import FakeClock, make_settings
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.fakes.binance import FakeBinance


@pytest.fixture
async def live(mongo_url: str, tmp_path: Path, clock: FakeClock, fake_binance: tuple[FakeBinance, str]
               ) -> AsyncIterator[tuple[Services, FakeBinance]]:
    fake, url = fake_binance
    fake.prices["BTCUSDT"] = 42_400.0
    fake.clock_ms = epoch_ms(clock())
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name,
                             SIGNALCORD_PRICE_FEEDS="binance", SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1",
                             SIGNALCORD_EXCHANGE_BASE_URL=url)
    async with build_services(settings, clock=clock) as services:
        yield services, fake
        await services.client.drop_database(name)


async def test_trades_use_the_exchange_ticker_and_halts_are_told(live: tuple[Services, FakeBinance]) -> None:
    services, _ = live
    provider = await services.accounts.register_provider("Alpha", CHANNEL)
    user = await services.accounts.ensure_user(1000, "trader")
    await services.accounts.subscribe(user, provider)
    await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider", created_at=POSTED,
                                              text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"))
    [position] = await Position.find_all().to_list()
    assert position.status == "open" and position.entry_price == 42_400.0  # the fake exchange's last price

    market = services.pipeline.trader.decider.prices
    assert isinstance(market, MarketData) and market.on_alert is not None
    await market.on_alert("BTC/USDT", "Trading on BTC/USDT is halted: the exchanges disagree (test).", True)
    [event] = await AuditEvent.find(AuditEvent.action == "market_halted").to_list()
    assert event.subject == "BTC/USDT"
    [note] = await Notification.find(Notification.kind == "market_halted").to_list()
    assert note.text.startswith("Trading on BTC/USDT is halted") and "wait until prices agree" in note.text
