"""Price sources for paper trading: a static table (tests) and a replay of real historical candles."""

from __future__ import annotations

import asyncio
import bisect
import csv
import gzip
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Protocol

from core.clock import epoch_ms, from_ms
from core.domain import Bar

CANDLE_DIR = Path(__file__).with_name("candles")


class PriceUnavailable(Exception):
    """No price is known for the symbol; the message says why."""


@dataclass(frozen=True)
class Quote:
    symbol: str
    price: float
    at: datetime
    source: str


class PriceSource(Protocol):
    async def quote(self, symbol: str, at: datetime) -> Quote: ...


class StaticPriceSource:
    """Fixed prices per symbol (tests, demos)."""

    def __init__(self, prices: dict[str, float]) -> None:
        self.prices = dict(prices)

    async def quote(self, symbol: str, at: datetime) -> Quote:
        if symbol not in self.prices:
            raise PriceUnavailable(f"no price for {symbol}")
        return Quote(symbol, self.prices[symbol], at, "static")


def candle_file(symbol: str, directory: Path) -> Path | None:
    """The finest-grained spot candle file for `symbol` (e.g. BTC/USDT -> BTC_USDT-1m.csv.gz)."""
    stem = symbol.replace("/", "_").replace(":", "_")
    for timeframe in ("1m", "5m", "1h"):
        path = directory / f"{stem}-{timeframe}.csv.gz"
        if path.exists():
            return path
    return None


def read_candles(path: Path, symbol: str = "") -> list[Bar]:
    """Bars from a gzip CSV `timestamp,open,high,low,close,volume` (timestamp = open time in epoch ms)."""
    with gzip.open(path, "rt", newline="") as handle:
        return [Bar(symbol, int(row["timestamp"]), float(row["open"]), float(row["high"]), float(row["low"]),
                    float(row["close"]), float(row["volume"])) for row in csv.DictReader(handle)]


class ReplayPriceSource:
    """Prices from real historical candle files, never from the future: at time t the price is the open of the
    candle still forming at t, or the close of the last candle that closed by t (after the end of the data:
    the last close). The quote's `at` is when that price was traded (the candle's open or close time), so its
    age is visible to the caller and recorded with every paper fill. `bars` gives closed candles only."""

    def __init__(self, directory: Path = CANDLE_DIR) -> None:
        self.directory = directory
        self._series: dict[str, tuple[list[int], list[Bar], int]] = {}

    async def _load(self, symbol: str) -> tuple[list[int], list[Bar], int]:
        """The symbol's candle open times, candles and candle length (ms)."""
        if symbol not in self._series:
            path = candle_file(symbol, self.directory)
            if path is None:
                raise PriceUnavailable(f"no candle data for {symbol} in {self.directory}")
            bars = await asyncio.to_thread(read_candles, path, symbol)
            times = [b.ts_ms for b in bars]
            step = min((b - a for a, b in pairwise(times)), default=60_000)
            self._series[symbol] = (times, bars, step)
        return self._series[symbol]

    async def quote(self, symbol: str, at: datetime) -> Quote:
        times, bars, step = await self._load(symbol)
        at_ms = epoch_ms(at)
        index = bisect.bisect_right(times, at_ms) - 1
        if index < 0:
            raise PriceUnavailable(f"{symbol} candle data starts after {at.isoformat()}")
        bar = bars[index]
        if at_ms < bar.ts_ms + step:  # still forming at `at`: only its open is known then
            return Quote(symbol, bar.open, from_ms(bar.ts_ms).astimezone(at.tzinfo), "replay")
        return Quote(symbol, bar.close, from_ms(bar.ts_ms + step).astimezone(at.tzinfo), "replay")

    async def bars(self, symbol: str, since_ms: int | None, now: datetime) -> list[Bar]:
        """Bars that opened after `since_ms` and closed by `now` (only the latest one when `since_ms` is None)."""
        times, bars, step = await self._load(symbol)
        end = bisect.bisect_right(times, epoch_ms(now) - step)
        start = end - 1 if since_ms is None else bisect.bisect_right(times, since_ms)
        return bars[max(start, 0):end]


class QuoteBars:
    """Bars made from successive quotes of any price source (static prices in tests, tickers live): each call
    gives one bar from the previous quote to the current one, so a move through a trigger is seen."""

    def __init__(self, prices: PriceSource, volume: float = 1e9) -> None:
        self.prices = prices
        self.volume = volume
        self._last: dict[str, float] = {}

    async def bars(self, symbol: str, since_ms: int | None, now: datetime) -> list[Bar]:
        price = (await self.prices.quote(symbol, now)).price
        previous = self._last.get(symbol, price)
        self._last[symbol] = price
        ts = int(now.timestamp() * 1000)
        if since_ms is not None and ts <= since_ms:
            return []
        return [Bar(symbol, ts, previous, max(previous, price), min(previous, price), price, self.volume)]


class BarFeed(Protocol):
    async def bars(self, symbol: str, since_ms: int | None, now: datetime) -> list[Bar]: ...
