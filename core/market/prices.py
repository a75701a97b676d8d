"""Price sources for paper trading: a static table (tests) and a replay of real historical candles."""

from __future__ import annotations

import asyncio
import bisect
import csv
import gzip
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

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


def read_candles(path: Path) -> tuple[list[int], list[float]]:
    """(open times in ms, close prices) from a gzip CSV `timestamp,open,high,low,close,volume`."""
    times: list[int] = []
    closes: list[float] = []
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            times.append(int(row["timestamp"]))
            closes.append(float(row["close"]))
    return times, closes


class ReplayPriceSource:
    """Close of the last candle that opened at or before the asked time, from real historical files.

    A time after the end of the data gets the last close; the quote's `at` is the candle's time, so the
    age of the price is visible to the caller and recorded with every paper fill.
    """

    def __init__(self, directory: Path = CANDLE_DIR) -> None:
        self.directory = directory
        self._series: dict[str, tuple[list[int], list[float]]] = {}

    async def _load(self, symbol: str) -> tuple[list[int], list[float]]:
        if symbol not in self._series:
            path = candle_file(symbol, self.directory)
            if path is None:
                raise PriceUnavailable(f"no candle data for {symbol} in {self.directory}")
            self._series[symbol] = await asyncio.to_thread(read_candles, path)
        return self._series[symbol]

    async def quote(self, symbol: str, at: datetime) -> Quote:
        times, closes = await self._load(symbol)
        index = bisect.bisect_right(times, int(at.timestamp() * 1000)) - 1
        if index < 0:
            raise PriceUnavailable(f"{symbol} candle data starts after {at.isoformat()}")
        return Quote(symbol, closes[index], datetime.fromtimestamp(times[index] / 1000, at.tzinfo), "replay")
