"""The market-data cache: OHLCV candles fetched from an exchange, one document per (source, symbol, timeframe,
open time). Candles are immutable once closed, so a cached one is never fetched again. And the monitor's
cursor: the last bar it ran per symbol, so a restart neither runs a bar twice nor skips the ones it missed."""

from __future__ import annotations

from beanie import Document, Indexed
from pymongo import ASCENDING, IndexModel


class Candle(Document):
    source: str  # the exchange id it came from (binance, okx, ...)
    symbol: str
    timeframe: str  # 1m | 5m | 1h ...
    ts_ms: int  # open time, epoch ms
    open: float
    high: float
    low: float
    close: float
    volume: float

    class Settings:
        name = "candles"
        indexes = [IndexModel([("source", ASCENDING), ("symbol", ASCENDING), ("timeframe", ASCENDING),
                               ("ts_ms", ASCENDING)], unique=True)]


class MonitorCursor(Document):
    symbol: Indexed(str, unique=True)  # type: ignore[valid-type]
    last_bar_ms: int  # open time of the last bar the monitor ran through the orders and positions

    class Settings:
        name = "monitor_cursors"


class VenueMarkets(Document):
    """The base assets one exchange lists (ccxt load_markets), cached so a restart needs no network; refreshed
    daily. The parser reads their union to accept bare tickers and refuse words that are no market."""

    exchange: Indexed(str, unique=True)  # type: ignore[valid-type]
    bases: list[str]
    fetched_at_ms: int

    class Settings:
        name = "venue_markets"
