"""The venues' market list: ccxt load_markets against the fake Binance, cached in MongoDB, refreshed daily,
one failing venue keeping its cached list, and the parser reading it through the pipeline (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestServer

from core.domain import NewSignal, RejectedSignal
from core.market.live import CcxtMarketData
from core.parsing import parse
from core.services.intake.market_list import MarketList
from core.services.intake.pipeline import reading_context
from models.market import VenueMarkets
from models.providers import Provider
from models.signals import Message
from tests.conftest import FakeClock
from tests.fakes.binance import FakeBinance


@pytest.fixture
async def venue(db: str) -> AsyncIterator[tuple[FakeBinance, CcxtMarketData]]:
    fake = FakeBinance()
    server = TestServer(fake.app())
    await server.start_server()
    source = CcxtMarketData.build("binance", base_url=str(server.make_url("")).rstrip("/"), rate_limit_ms=1)
    yield fake, source
    await source.close()
    await server.close()


def _info_calls(fake: FakeBinance) -> int:
    return sum(1 for _, path in fake.calls if path.endswith("/exchangeInfo"))


async def test_the_list_is_fetched_cached_and_refreshed_daily(venue: tuple[FakeBinance, CcxtMarketData],
                                                              clock: FakeClock) -> None:
    fake, source = venue
    first = MarketList([source], clock)
    assert first.current() is None  # nothing known yet: the parser's snapshot
    await first.load()
    assert first.current() == frozenset({"BTC", "ETH"})
    stored = await VenueMarkets.find_one(VenueMarkets.exchange == "binance")
    assert stored is not None and stored.bases == ["BTC", "ETH"]
    calls = _info_calls(fake)
    again = MarketList([source], clock)  # a restart the same day: the cache, no request
    await again.load()
    assert again.current() == frozenset({"BTC", "ETH"}) and _info_calls(fake) == calls
    clock.advance(hours=25)
    stale = MarketList([source], clock)
    await stale.load()
    assert _info_calls(fake) > calls


async def test_a_failing_venue_keeps_its_cached_list(venue: tuple[FakeBinance, CcxtMarketData],
                                                     clock: FakeClock) -> None:
    fake, source = venue
    await VenueMarkets(exchange="binance", bases=["BTC", "SOL"], fetched_at_ms=0).insert()
    fake.inject("/exchangeInfo", "unavailable")
    fake.inject("/exchangeInfo", "unavailable")
    markets = MarketList([source], clock)
    await markets.load()  # a day old: refresh tried, the venue answers 503
    assert _info_calls(fake) >= 1 and markets.current() == frozenset({"BTC", "SOL"})


async def test_the_pipeline_hands_the_list_to_the_parser(db: str) -> None:
    provider = await Provider(name="p", channel_id=7).insert()
    message = Message(provider_id=str(provider.id), channel_id=7, message_id=1, author="a", text="",
                      posted_at=datetime(2026, 12, 1, tzinfo=UTC))
    text = "ZZZ long entry 1.5 stop 1.4 target 1.7"
    assert isinstance(parse(text, reading_context(provider, message.reply_to)), RejectedSignal)  # not in the snapshot
    listed = parse(text, reading_context(provider, message.reply_to, frozenset({"ZZZ"})))
    assert isinstance(listed, NewSignal) and listed.symbol == "ZZZ/USDT"
