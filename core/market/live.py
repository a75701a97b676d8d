"""Public market data from one exchange through ccxt.async_support: tickers and OHLCV candles, no keys, the
rate limiter on. Every failure becomes `PriceUnavailable` with the exchange and the cause, so the failover
chain (core.market.failover) can count it and move on to the next exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import ccxt.async_support as ccxt

from core.clock import from_ms
from core.domain import Bar
from core.execution.ccxt_client import make_exchange
from core.market.prices import PriceUnavailable, Quote


class CcxtMarketData:
    def __init__(self, exchange: Any, *, futures: bool = False) -> None:
        self.exchange = exchange
        self.name: str = exchange.id
        self.futures = futures

    @classmethod
    def build(cls, exchange_id: str, *, futures: bool = False, base_url: str | None = None,
              rate_limit_ms: float | None = None, timeout_ms: int = 10_000) -> CcxtMarketData:
        exchange = make_exchange(exchange_id, futures=futures, base_url=base_url, rate_limit_ms=rate_limit_ms,
                                 timeout=timeout_ms)
        return cls(exchange, futures=futures)

    async def close(self) -> None:
        await self.exchange.close()

    def _symbol(self, symbol: str) -> str:
        return f"{symbol}:{symbol.split('/')[-1]}" if self.futures and ":" not in symbol else symbol

    @asynccontextmanager
    async def _failing_as_unavailable(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except ccxt.BaseError as exc:
            raise PriceUnavailable(f"{self.name} {what}: {type(exc).__name__} ({str(exc)[:120]})") from None

    async def base_assets(self) -> frozenset[str]:
        """The base assets of the exchange's active markets (ccxt load_markets): what a bare ticker may name."""
        async with self._failing_as_unavailable("market list"):
            markets = await self.exchange.load_markets(reload=True)
        return frozenset(str(m["base"]).upper() for m in markets.values()
                         if m.get("base") and m.get("active") is not False)

    async def quote(self, symbol: str, at: datetime) -> Quote:
        """The last traded price; the quote's time is the exchange's, so staleness can be judged."""
        async with self._failing_as_unavailable(f"ticker {symbol}"):
            ticker = await self.exchange.fetch_ticker(self._symbol(symbol))
        price = ticker.get("last") or ticker.get("close")
        if not price or price <= 0:
            raise PriceUnavailable(f"{self.name} has no last price for {symbol}")
        stamp = ticker.get("timestamp")
        when = from_ms(stamp) if stamp else at
        return Quote(symbol, float(price), when, self.name)

    async def ohlcv(self, symbol: str, timeframe: str, since_ms: int, limit: int = 500) -> list[Bar]:
        """Candles that opened at or after `since_ms`, oldest first (the last one may still be forming)."""
        async with self._failing_as_unavailable(f"candles {symbol} {timeframe}"):
            rows = await self.exchange.fetch_ohlcv(self._symbol(symbol), timeframe, since=since_ms, limit=limit)
        return [Bar(symbol, int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5] or 0.0))
                for r in rows if r[0] >= since_ms]

    def timeframe_ms(self, timeframe: str) -> int:
        return int(self.exchange.parse_timeframe(timeframe) * 1000)
