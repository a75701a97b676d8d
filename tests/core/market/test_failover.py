"""Market data through ccxt against two fake Binance servers: failover with a circuit breaker per exchange,
stale prices, the anomaly guard, and the MongoDB candle cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp.test_utils import TestServer

from core.clock import epoch_ms
from core.market.failover import CircuitBreaker, MarketData
from core.market.live import CcxtMarketData
from core.market.prices import CANDLE_DIR, PriceUnavailable, read_candles
from models import Candle
from tests.conftest import FakeClock
from tests.fakes.binance import FakeBinance


@dataclass
class Exchanges:
    fakes: list[FakeBinance]
    market: MarketData
    alerts: list[tuple[str, str, bool]] = field(default_factory=list)

    def ticker_calls(self, index: int) -> int:
        return sum(1 for _, path in self.fakes[index].calls if path.endswith("/ticker/24hr"))


@pytest.fixture
async def exchanges(db: str, clock: FakeClock) -> AsyncIterator[Exchanges]:
    fakes, servers, sources = [FakeBinance(), FakeBinance()], [], []
    for fake in fakes:
        fake.clock_ms = epoch_ms(clock())
        server = TestServer(fake.app())
        await server.start_server()
        servers.append(server)
        sources.append(CcxtMarketData.build("binance", base_url=str(server.make_url("")).rstrip("/"),
                                            rate_limit_ms=1))
    sources[1].name = "backup"
    found = Exchanges(fakes, MarketData(sources, clock, max_age_s=30, anomaly_pct=5, reuse_s=0))

    async def alert(symbol: str, text: str, halted: bool) -> None:
        found.alerts.append((symbol, text, halted))

    found.market.on_alert = alert
    yield found
    await found.market.close()
    for server in servers:
        await server.close()


def test_the_breaker_opens_after_five_failures_in_a_minute_then_allows_one_trial(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock)
    for _ in range(4):
        breaker.failed()
        clock.advance(seconds=10)
    assert breaker.state == "closed" and breaker.allows()
    clock.advance(seconds=30)  # the first failure is now over a minute old: still four in the window
    breaker.failed()
    assert breaker.state == "closed"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allows()
    clock.advance(seconds=59)
    assert not breaker.allows()
    clock.advance(seconds=2)
    assert breaker.allows() and not breaker.allows()  # one trial call only
    breaker.failed()  # the trial failed: open for another minute
    assert breaker.state == "open"
    clock.advance(seconds=61)
    assert breaker.allows()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allows() and breaker.allows()


async def test_failover_skips_a_failing_exchange_once_its_circuit_opens(
        exchanges: Exchanges, clock: FakeClock) -> None:
    for _ in range(5):
        exchanges.fakes[0].inject("/ticker/24hr", "unavailable")
    for _ in range(5):
        quote = await exchanges.market.quote("BTC/USDT", clock())
        assert (quote.price, quote.source) == (42_250.0, "backup")
    assert exchanges.market.breakers["binance"].state == "open"
    primary_calls = exchanges.ticker_calls(0)
    await exchanges.market.quote("BTC/USDT", clock())
    assert exchanges.ticker_calls(0) == primary_calls  # skipped while open

    clock.advance(seconds=61)
    for fake in exchanges.fakes:
        fake.clock_ms = epoch_ms(clock())
    quote = await exchanges.market.quote("BTC/USDT", clock())  # the one trial call succeeds
    assert quote.source == "binance" and exchanges.market.breakers["binance"].state == "closed"


async def test_stale_prices_are_not_used(exchanges: Exchanges, clock: FakeClock) -> None:
    exchanges.fakes[0].clock_ms -= 45_000
    quote = await exchanges.market.quote("BTC/USDT", clock())
    assert quote.source == "backup"
    exchanges.fakes[1].clock_ms -= 45_000
    with pytest.raises(PriceUnavailable) as caught:
        await exchanges.market.quote("BTC/USDT", clock())
    assert "binance: the BTC/USDT price is stale (45 s old)" in str(caught.value)
    assert "backup: the BTC/USDT price is stale (45 s old)" in str(caught.value)


async def test_a_price_jump_against_the_other_exchange_halts_the_symbol_until_they_agree(
        exchanges: Exchanges, clock: FakeClock) -> None:
    exchanges.fakes[0].prices["BTCUSDT"] = 46_500.0  # 10 % above the other exchange
    with pytest.raises(PriceUnavailable, match="trading on BTC/USDT is halted: binance says 46500, backup says 42250"):
        await exchanges.market.quote("BTC/USDT", clock())
    assert exchanges.alerts == [("BTC/USDT", "Trading on BTC/USDT is halted: the exchanges disagree (binance says "
                                             "46500, backup says 42250 (10.1% apart, limit 5%)).", True)]
    assert (await exchanges.market.quote("ETH/USDT", clock())).price == 2_000.0  # other symbols trade on

    exchanges.fakes[0].prices["BTCUSDT"] = 42_300.0
    assert (await exchanges.market.quote("BTC/USDT", clock())).price == 42_300.0
    assert exchanges.alerts[-1][2] is False and "resumed" in exchanges.alerts[-1][1]


async def test_candles_are_cached_in_mongodb_and_only_closed_ones_are_kept(
        exchanges: Exchanges, clock: FakeClock) -> None:
    bars = read_candles(CANDLE_DIR / "BTC_USDT-1m.csv.gz", "BTC/USDT")[:30]
    exchanges.fakes[0].klines["BTCUSDT"] = [[b.ts_ms, b.open, b.high, b.low, b.close, b.volume] for b in bars]
    start = bars[0].ts_ms
    clock.now = clock.now.fromtimestamp((start + 20 * 60_000 + 30_000) / 1000, clock.now.tzinfo)  # mid candle 20

    got = await exchanges.market.candles("BTC/USDT", "1m", start, start + 60 * 60_000)
    assert [b.ts_ms for b in got] == [b.ts_ms for b in bars[:20]]  # candle 20 is still forming
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in got] == \
        [(b.open, b.high, b.low, b.close, b.volume) for b in bars[:20]]
    assert await Candle.count() == 20

    kline_calls = sum(1 for _, path in exchanges.fakes[0].calls if path.endswith("/klines"))
    again = await exchanges.market.candles("BTC/USDT", "1m", start, start + 10 * 60_000)
    assert [b.ts_ms for b in again] == [b.ts_ms for b in bars[:10]]
    assert sum(1 for _, path in exchanges.fakes[0].calls if path.endswith("/klines")) == kline_calls  # from cache

    clock.advance(minutes=5)  # five more candles closed: only those are fetched
    more = await exchanges.market.candles("BTC/USDT", "1m", start, start + 60 * 60_000)
    assert len(more) == 25 and await Candle.count() == 25
