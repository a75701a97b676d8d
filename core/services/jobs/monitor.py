"""The monitor job: on each price update, move every order and position that depends on the price.

Per symbol with live orders or positions, for each new bar: the paper exchange matches its resting orders
(`advance`); orders on other venues are polled by client id; armed (emulated) triggers fire when the bar
reaches them (a stop first cancels its sibling targets: one-cancels-the-other); positions track their best
price, and trailing / break-even rules tighten the stop; unfilled entries expire, and are cancelled when a
target or the stop trades before them. Closed positions are handed to `on_closed` (daily-loss pause).
The last bar run per symbol is stored (`MonitorCursor`): after a restart the feed continues from it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.clock import Clock, epoch_ms
from core.config.logs import RateLimitedLog
from core.domain import Bar, OrderSide, OrderStatus, Side
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected, OrderResult, RateLimited
from core.execution.legs import tightened_stop
from core.execution.matching import Resting, touched
from core.execution.paper import PaperGateway
from core.execution.venue_ways import stop_limit
from core.market.prices import BarFeed, PriceUnavailable
from core.services.orders.fold import book, profile_of
from core.services.orders.protection import Protection
from core.services.orders.sending import live_legs
from models import ExchangeAccount, MonitorCursor, OrderIntent, Position
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
_skipped = RateLimitedLog(logger)
OnClosed = Callable[[Position], Awaitable[None]]


@dataclass
class TickReport:
    bars: int = 0
    fills: int = 0
    fired: list[str] = field(default_factory=list)
    stops_moved: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def outrun(intent: OrderIntent, result: OrderResult, gap: float | None, bar: Bar) -> float | None:
    """The limit of a stop held as a stop-limit (`gap` past its trigger) that is still working although the bar
    closed beyond it: it triggered and cannot fill at the market's price (a gap), so the position would stay open
    past its stop. None otherwise."""
    if gap is None or intent.role != "sl" or intent.order_type != "stop_market" or intent.stop_price is None \
            or result.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
        return None
    limit = stop_limit(intent.side, intent.stop_price, gap)
    beyond = bar.close < limit if intent.side is OrderSide.SELL else bar.close > limit
    return limit if beyond else None


class Monitor:
    def __init__(self, protection: Protection, feed: BarFeed, paper: PaperGateway, clock: Clock,
                 on_closed: OnClosed | None = None) -> None:
        self.protection = protection
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.feed = feed
        self.paper = paper
        self.clock = clock
        self.on_closed = on_closed
        self._last_bar: dict[str, int] = {}

    async def tick(self) -> TickReport:
        report = TickReport()
        live, positions = await asyncio.gather(OrderIntent.live(),
                                               Position.active())
        symbols = sorted({i.symbol for i in live} | {p.symbol for p in positions})
        for symbol in symbols:
            try:
                bars = await self.feed.bars(symbol, await self._since(symbol), self.clock())
            except PriceUnavailable as exc:
                _skipped.warning(f"bars {symbol}", "monitor: no bars for %s: %s", symbol, exc)
                continue
            for bar in bars:
                await self._on_bar(bar, report)
                await self._ran(bar)
                report.bars += 1
        return report

    @staticmethod
    async def _isolated(key: str, what: str, step: Awaitable[None]) -> None:
        """One order's or position's step: a failure (a revoked key, a timeout, a bad record) is logged once a
        minute and skipped; the bar goes on for everyone else, and the next tick tries it again."""
        try:
            await step
        except Exception as exc:
            _skipped.warning(key, "monitor: %s skipped this tick: %s", what, exc,
                             exc_info=not isinstance(exc, OrderRejected | RateLimited | OrderOutcomeUnknown))

    async def _since(self, symbol: str) -> int | None:
        """The last bar run for the symbol: in memory, else as stored by an earlier run (None: never run)."""
        if symbol not in self._last_bar:
            cursor = await MonitorCursor.find_one(MonitorCursor.symbol == symbol)
            if cursor is not None:
                self._last_bar[symbol] = cursor.last_bar_ms
        return self._last_bar.get(symbol)

    async def _ran(self, bar: Bar) -> None:
        """Store the cursor after the bar's work: a crash in between runs that one bar again (its fills are
        idempotent, triggers re-check the price), never skips it."""
        self._last_bar[bar.symbol] = bar.ts_ms
        await MonitorCursor.get_pymongo_collection().update_one(
            {"symbol": bar.symbol}, {"$set": {"last_bar_ms": bar.ts_ms}}, upsert=True)

    async def _on_bar(self, bar: Bar, report: TickReport) -> None:
        await self._cancel_orphans(bar.symbol)
        changed = {r.client_order_id: r for r in await self.paper.advance(bar)}
        intents = await OrderIntent.live(symbol=bar.symbol)
        for intent in intents:
            if intent.emulated and intent.status is OrderStatus.PENDING:
                continue
            await self._isolated(f"account {intent.account_id}", f"order {intent.client_order_id}",
                                 self._follow(intent, changed, report, bar))
        await self._fire_armed(bar, report)
        await self._manage_positions(bar, report)

    async def _cancel_orphans(self, symbol: str) -> None:
        """Stops and targets still working for a position that has ended (their cancel failed when it closed)
        are cancelled before the bar can fill them: on a venue that nets one account's positions per symbol, a
        reduce-only order left behind would sell the coins of the user's next position on that symbol."""
        for intent in await OrderIntent.leftovers(symbol):
            await self._isolated(f"account {intent.account_id}", f"order {intent.client_order_id}",
                                 self.sender.cancel(intent, "its position has ended"))

    async def _follow(self, intent: OrderIntent, changed: dict[str, OrderResult], report: TickReport,
                      bar: Bar) -> None:
        """The order's state: from the paper exchange's bar, else polled from its venue by client id. A stop held
        as a stop-limit that the market has run past (its limit can no longer fill) is taken at market."""
        result, gap = changed.get(intent.client_order_id), None
        if result is None and intent.mode.value != "paper" and intent.status is not OrderStatus.PENDING:
            gateway = await self.sender.desk.gateway(intent)
            result, gap = await gateway.fetch_order(intent.client_order_id, intent.symbol, intent.sent_as), \
                gateway.stop_limit_gap()
        if result is None:
            return
        before = intent.filled
        await self.sender.apply(intent, result)
        report.fills += int(result.filled > before)
        limit = outrun(intent, result, gap, bar)
        if limit is not None and intent.position_id:
            position = await Position.get(intent.position_id)
            account = await ExchangeAccount.get(intent.account_id)
            if position is not None and account is not None and position.status == "open":
                fresh = await OrderIntent.get(intent.id) if intent.id else None
                await self.protection.at_market(fresh or intent, position, account,
                                                f"the market ({bar.close:g}) ran past the stop's limit ({limit:g}): "
                                                "exit at market")
                report.fired.append(intent.leg)

    async def _fire_armed(self, bar: Bar, report: TickReport) -> None:
        armed = await OrderIntent.find(where(OrderIntent.symbol == bar.symbol, OrderIntent.emulated == True,  # noqa: E712
                                             OrderIntent.status == OrderStatus.PENDING)).to_list()
        armed.sort(key=lambda i: i.role != "sl")  # a stop that fires with a target in one bar goes first
        for intent in armed:
            await self._isolated(f"account {intent.account_id}", f"trigger {intent.client_order_id}",
                                 self._fire(intent, bar, report))

    async def _fire(self, intent: OrderIntent, bar: Bar, report: TickReport) -> None:
        fresh = await OrderIntent.get(intent.id) if intent.id else None
        if fresh is None or fresh.status is not OrderStatus.PENDING:
            return  # cancelled by an earlier firing in this bar
        resting = Resting(intent.side, intent.order_type, intent.amount, intent.price, intent.stop_price)
        if not touched(resting, bar):
            return
        if intent.role == "sl" and intent.position_id:
            position = await Position.get(intent.position_id)
            if position is not None:
                for sibling in await live_legs(position, "tp"):
                    await self.sender.cancel(sibling, "the stop fired (one cancels the other)", position)
        await self.sender.fire(fresh, f"price reached {intent.stop_price:g}")
        report.fired.append(intent.leg)

    async def _manage_positions(self, bar: Bar, report: TickReport) -> None:
        now_ms = epoch_ms(self.clock())
        for position in await Position.active(symbol=bar.symbol):
            await self._isolated(f"account {position.account_id}", f"position {position.id}",
                                 self._manage(position, bar, now_ms, report))
        await self._report_closed(bar, report)

    async def _manage(self, position: Position, bar: Bar, now_ms: int, report: TickReport) -> None:
        """Expiry and missed entries of a pending position; best price, trailing and break-even of an open one."""
        if await self._expire(position, now_ms, report) or position.status == "pending":
            await self._missed(position, bar, report)
            return
        long = position.side is Side.LONG
        best = position.best_price or position.entry_price
        best = max(best, bar.high) if long else min(best, bar.low)
        stop = tightened_stop(book(position), best, profile_of(position), await self.keeper.rules(position))
        if best != position.best_price or stop is not None:
            await self.keeper.track(position, best, stop)
            if stop is not None:
                report.stops_moved.append(f"{position.symbol} {stop:g}")
                await self.protection.sync(position)

    async def _expire(self, position: Position, now_ms: int, report: TickReport) -> bool:
        """Entries past their expiry are cancelled as EXPIRED; True if the position is still pending after."""
        for entry in await live_legs(position, "entry"):
            if entry.expires_at_ms is not None and entry.expires_at_ms <= now_ms:
                await self.sender.cancel(entry, "the entry order expired unfilled", position,
                                           final=OrderStatus.EXPIRED)
                report.expired.append(f"{position.symbol} {entry.leg}")
        if position.status == "pending":
            await self.keeper.settle_entries(position, "the entry orders expired unfilled")
            fresh = await Position.get(ref(position))
            return fresh is not None and fresh.status == "pending"
        return False

    async def _missed(self, position: Position, bar: Bar, report: TickReport) -> None:
        """Cancel a pending position's entries when its first target or its stop trades first."""
        if not profile_of(position).cancel_if_missed or position.status != "pending":
            return
        long = position.side is Side.LONG
        first = position.take_profits[0] if position.take_profits else None
        cause = None
        if first is not None and (bar.high >= first if long else bar.low <= first):
            cause = f"target 1 ({first:g}) traded before the entry filled"
        elif position.stop_loss is not None and (bar.low <= position.stop_loss if long
                                                 else bar.high >= position.stop_loss):
            cause = f"the stop ({position.stop_loss:g}) traded before the entry filled"
        entries = await live_legs(position, "entry")
        if cause is None or not entries:
            return
        for entry in entries:
            await self.sender.cancel(entry, cause, position)
        await self.keeper.settle_entries(position, cause)
        report.expired.append(f"{position.symbol}: {cause}")

    async def _report_closed(self, bar: Bar, report: TickReport) -> None:
        async for position in Position.find({"symbol": bar.symbol, "status": "closed",
                                             "close_handled": {"$ne": True}}):
            if not await self.keeper.claim_close_handling(position):
                continue  # another process runs its checks
            report.closed.append(f"{position.symbol}: {position.close_reason}")
            if self.on_closed is not None:
                await self.on_closed(position)
