"""Market data for the front-ends: the current price of symbols, and closed candles of one symbol, from the same
price source the engine decides with (failover across exchanges; the bundled replay offline)."""

from __future__ import annotations

import logging
from typing import Final

from pydantic import BaseModel

from core.api.errors import Invalid
from core.clock import epoch_ms
from core.market.prices import PriceUnavailable
from core.services.decide.deciding import Decider

logger = logging.getLogger(__name__)
TIMEFRAMES: Final = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000,
                     "1d": 86_400_000}
MAX_SYMBOLS, MAX_CANDLES = 20, 1000


class PriceView(BaseModel):
    symbol: str
    price: float | None
    at_ms: int | None
    source: str | None
    problem: str | None = None  # why there is no price


class CandleView(BaseModel):
    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class Market:
    def __init__(self, decider: Decider) -> None:
        self.decider = decider

    async def prices(self, symbols: list[str]) -> list[PriceView]:
        wanted = [s.strip().upper() for s in symbols if s.strip()]
        if not wanted or len(wanted) > MAX_SYMBOLS or any("/" not in s for s in wanted):
            raise Invalid([f"symbols: 1-{MAX_SYMBOLS} symbols written BASE/QUOTE, comma-separated "
                           "(e.g. BTC/USDT,ETH/USDT)"])
        now = self.decider.clock()
        found = []
        for symbol in wanted:
            try:
                quote = await self.decider.prices.quote(symbol, now)
            except PriceUnavailable as exc:
                found.append(PriceView(symbol=symbol, price=None, at_ms=None, source=None, problem=str(exc)))
                continue
            found.append(PriceView(symbol=symbol, price=quote.price, at_ms=epoch_ms(quote.at), source=quote.source))
        return found

    async def candles(self, symbol: str, timeframe: str = "1h", limit: int = 100) -> list[CandleView]:
        step = TIMEFRAMES.get(timeframe)
        if step is None:
            raise Invalid([f"timeframe: {timeframe!r} is not one of {', '.join(TIMEFRAMES)}"])
        if not 1 <= limit <= MAX_CANDLES:
            raise Invalid([f"limit: 1-{MAX_CANDLES}"])
        source = getattr(self.decider.prices, "candles", None)
        if source is None:
            raise Invalid(["candles need the market-data service (SIGNALCORD_PRICE_FEEDS)"])
        until = epoch_ms(self.decider.clock()) // step * step
        try:
            bars = await source(symbol.upper(), timeframe, until - limit * step, until)
        except PriceUnavailable as exc:
            raise Invalid([str(exc)]) from None
        return [CandleView(ts_ms=b.ts_ms, open=b.open, high=b.high, low=b.low, close=b.close, volume=b.volume)
                for b in bars[-limit:]]
