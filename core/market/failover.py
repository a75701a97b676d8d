"""Market data from several exchanges in a failover chain, with the guards a trading bot needs.

- Each exchange sits behind a circuit breaker: 5 failures within a minute open it for a minute (the chain
  skips it), then one trial call is let through; success closes it, failure opens it for another minute.
- Stale prices: a ticker older than `max_age_s` counts as a failure of that exchange; the next one is asked.
- Anomaly guard: every quote is checked against the next healthy exchange; when they differ by more than
  `anomaly_pct` the symbol is halted (quotes raise `PriceUnavailable`, so nothing trades or fires on it) and
  `on_alert` is called; it resumes, with another alert, once two exchanges agree again.
- Candles go through the MongoDB cache (`models.market.Candle`): only closed candles are stored, and only
  the part not cached yet is fetched.

The breaker is a few lines over an injected clock (the tests drive time); the libraries we looked at count
consecutive failures, not failures per minute, and read the wall clock.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from pymongo.errors import BulkWriteError

from core.clock import Clock, epoch_ms
from core.domain import Bar
from core.market.prices import PriceUnavailable, Quote
from models import Candle

logger = logging.getLogger(__name__)
Alert = Callable[[str, str, bool], Awaitable[None]]  # (symbol, text, halted)
T = TypeVar("T")


class MarketSource(Protocol):
    name: str

    async def quote(self, symbol: str, at: datetime) -> Quote: ...

    async def ohlcv(self, symbol: str, timeframe: str, since_ms: int, limit: int = 500) -> list[Bar]: ...

    def timeframe_ms(self, timeframe: str) -> int: ...

    async def close(self) -> None: ...


class CircuitBreaker:
    def __init__(self, clock: Clock, *, failures: int = 5, window_s: float = 60.0, open_s: float = 60.0) -> None:
        self.clock = clock
        self.threshold = failures
        self.window_s = window_s
        self.open_s = open_s
        self._failures: deque[float] = deque()
        self._opened_at: float | None = None
        self._trial = False

    def _now(self) -> float:
        return self.clock().timestamp()

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "open" if self._trial or self._now() - self._opened_at < self.open_s else "half-open"

    def allows(self) -> bool:
        """Whether a call may go out now (in half-open state: the one trial call)."""
        state = self.state
        if state == "half-open":
            self._trial = True
        return state != "open"

    def succeeded(self) -> None:
        self._failures.clear()
        self._opened_at, self._trial = None, False

    def failed(self) -> None:
        now = self._now()
        if self._trial:  # the trial failed: another full minute
            self._opened_at, self._trial = now, False
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.window_s:
            self._failures.popleft()
        if len(self._failures) >= self.threshold:
            self._opened_at = now
            self._failures.clear()


@dataclass
class _Halt:
    reason: str
    since: datetime


class MarketData:
    """A PriceSource (and candle source) over a failover chain of exchanges."""

    def __init__(self, sources: list[MarketSource], clock: Clock, *, max_age_s: float = 60.0,
                 anomaly_pct: float = 5.0, reuse_s: float = 2.0, on_alert: Alert | None = None) -> None:
        if not sources:
            raise ValueError("the market-data chain needs at least one exchange")
        self.sources = sources
        self.clock = clock
        self.max_age_s = max_age_s
        self.anomaly_pct = anomaly_pct
        self.reuse_s = reuse_s
        self.on_alert = on_alert
        self.breakers = {s.name: CircuitBreaker(clock) for s in sources}
        self.halted: dict[str, _Halt] = {}
        self._recent: dict[str, Quote] = {}

    async def close(self) -> None:
        for source in self.sources:
            await source.close()

    async def _first(self, call: Callable[[MarketSource], Awaitable[T]], problems: list[str],
                     skip: str | None = None) -> T | None:
        """`call` on each exchange in chain order whose circuit lets it through (not `skip`) until one succeeds;
        every PriceUnavailable is counted against its breaker and noted in `problems`."""
        for source in self.sources:
            breaker = self.breakers[source.name]
            if source.name == skip:
                continue
            if not breaker.allows():
                problems.append(f"{source.name}: circuit open after repeated failures")
                continue
            try:
                result = await call(source)
            except PriceUnavailable as exc:
                breaker.failed()
                problems.append(str(exc))
                continue
            breaker.succeeded()
            return result
        return None

    async def _fresh_quote(self, symbol: str, at: datetime, skip: str | None,
                           problems: list[str]) -> Quote | None:
        """The first healthy exchange's fresh quote (not from `skip`); a stale one counts as a failure."""
        async def fresh(source: MarketSource) -> Quote:
            quote = await source.quote(symbol, at)
            age = (at - quote.at).total_seconds()
            if age > self.max_age_s:
                raise PriceUnavailable(f"{source.name}: the {symbol} price is stale ({age:.0f} s old)")
            return quote

        return await self._first(fresh, problems, skip)

    async def quote(self, symbol: str, at: datetime) -> Quote:
        recent = self._recent.get(symbol)
        if recent is not None and symbol not in self.halted and 0 <= (at - recent.at).total_seconds() < self.reuse_s:
            return recent
        problems: list[str] = []
        first = await self._fresh_quote(symbol, at, None, problems)
        if first is None:
            raise PriceUnavailable(f"no fresh {symbol} price from any exchange ({'; '.join(problems)})")
        other = await self._fresh_quote(symbol, at, first.source, []) if len(self.sources) > 1 else None
        if other is not None:
            gap = abs(first.price - other.price) / other.price * 100
            if gap > self.anomaly_pct:
                await self._halt(symbol, f"{first.source} says {first.price:g}, {other.source} says {other.price:g} "
                                         f"({gap:.1f}% apart, limit {self.anomaly_pct:g}%)", at)
            elif symbol in self.halted:
                await self._resume(symbol, first, other)
        if symbol in self.halted:
            raise PriceUnavailable(f"trading on {symbol} is halted: {self.halted[symbol].reason}")
        self._recent[symbol] = Quote(symbol, first.price, at, first.source)
        return Quote(symbol, first.price, first.at, first.source)

    async def _halt(self, symbol: str, reason: str, at: datetime) -> None:
        if symbol in self.halted:
            return
        self.halted[symbol] = _Halt(reason, at)
        self._recent.pop(symbol, None)
        logger.warning("halting %s: %s", symbol, reason)
        if self.on_alert is not None:
            await self.on_alert(symbol, f"Trading on {symbol} is halted: the exchanges disagree ({reason}).", True)

    async def _resume(self, symbol: str, first: Quote, other: Quote) -> None:
        del self.halted[symbol]
        logger.warning("resuming %s: %s and %s agree again", symbol, first.source, other.source)
        if self.on_alert is not None:
            await self.on_alert(symbol, f"Trading on {symbol} resumed: {first.source} ({first.price:g}) and "
                                        f"{other.source} ({other.price:g}) agree again.", False)

    async def candles(self, symbol: str, timeframe: str, since_ms: int, until_ms: int) -> list[Bar]:
        """Closed candles in [since_ms, until_ms), from the cache and, for what it lacks, the first healthy
        exchange (stored for next time)."""
        problems: list[str] = []
        bars = await self._first(lambda source: self._cached_candles(source, symbol, timeframe, since_ms, until_ms),
                                 problems)
        if bars is not None:
            return bars
        raise PriceUnavailable(f"no {symbol} {timeframe} candles from any exchange ({'; '.join(problems)})")

    async def _cached_candles(self, source: MarketSource, symbol: str, timeframe: str, since_ms: int,
                              until_ms: int) -> list[Bar]:
        step = source.timeframe_ms(timeframe)
        key = {"source": source.name, "symbol": symbol, "timeframe": timeframe}
        cached = await Candle.find({**key, "ts_ms": {"$gte": since_ms, "$lt": until_ms}}).sort("ts_ms").to_list()
        have = {c.ts_ms for c in cached}
        closed_before = min(until_ms, epoch_ms(self.clock()) - step + 1)  # a candle is closed once its time ends
        start = since_ms if not cached or cached[0].ts_ms > since_ms else cached[-1].ts_ms + step
        fetched: list[Bar] = []
        while start < closed_before:
            rows = [b for b in await source.ohlcv(symbol, timeframe, start) if b.ts_ms < closed_before]
            if not rows:
                break
            fetched.extend(b for b in rows if b.ts_ms not in have)
            start = rows[-1].ts_ms + step
        if fetched:
            try:
                await Candle.insert_many([Candle(**key, ts_ms=b.ts_ms, open=b.open, high=b.high, low=b.low,
                                                 close=b.close, volume=b.volume) for b in fetched], ordered=False)
            except BulkWriteError:
                pass  # another caller cached some of them first
        bars = {c.ts_ms: Bar(symbol, c.ts_ms, c.open, c.high, c.low, c.close, c.volume) for c in cached}
        bars.update({b.ts_ms: b for b in fetched})
        return [bars[ts] for ts in sorted(bars)]
