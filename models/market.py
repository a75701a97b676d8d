"""The market-data cache: OHLCV candles fetched from an exchange, one document per (source, symbol, timeframe,
open time). Candles are immutable once closed, so a cached one is never fetched again."""

from __future__ import annotations

from beanie import Document
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
