"""The one writer of `Position` documents. Every change to a stored position goes through `PositionKeeper`,
under one lock per position, as a `$set` of the fields that changed: folding fills in (`catch_up`),
cancelling a position whose entries all ended unfilled (`settle_entries`), trailing the best price and
stop (`track`), moving the stop (`move_stop`), re-planning after an entry was re-priced (`replan`) and
claiming the after-close checks (`claim_close_handling`).
Positions are created by the trader (one insert) and never deleted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms
from core.domain import FINAL, MarketRules, Side
from core.execution.gateway import OrderResult
from core.services.orders.fold import fill_of, filled_through, fold_all
from core.services.orders.routing import GatewayRouter
from models import Fill, OrderIntent, Position, RealizedPnl
from models.bulk import insert_new, stored_form
from models.query import find_in, where
from models.refs import ref

logger = logging.getLogger(__name__)
Folded = list[tuple[OrderIntent, Fill]]
Tell = Callable[[Position, OrderIntent, Fill], Awaitable[None]]


FOLD_TRIES = 5  # folds of one position that another process may overtake before this one gives up


def _unmoved(before: dict[str, Any]) -> dict[str, Any]:
    """The position as `before` read it: no fill applied since (`applied` only grows, by folds), and its stop not
    moved since (a fold's break-even stop is computed from the stop it read)."""
    return {"_id": before["_id"], "applied": {"$size": len(before["applied"])}, "stop_loss": before["stop_loss"]}


def changed_fields(before: dict[str, Any], position: Position) -> dict[str, Any]:
    """The stored fields of `position` that differ from `before` (its `stored_form` when it was read)."""
    after = stored_form(position)
    return {name: value for name, value in after.items() if name != "_id" and before.get(name) != value}


class PositionKeeper:
    def __init__(self, gateways: GatewayRouter, clock: Clock) -> None:
        self.gateways = gateways
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, position: Position | str) -> asyncio.Lock:
        key = position if isinstance(position, str) else ref(position)
        return self._locks.setdefault(key, asyncio.Lock())

    async def rules(self, position: Position) -> MarketRules:
        return await self.gateways.venue_rules(position.account_id, position.symbol)

    async def record_fill(self, intent: OrderIntent, result: OrderResult) -> None:
        """Book what a venue report of the order adds to its fills booked so far (see `fill_of`). A booking from
        the same point that landed first (an earlier run, or another runner with its own report) makes this one
        read the booked fills again: what is left of this report, if anything, is booked after it."""
        for _ in range(FOLD_TRIES):
            booked = await Fill.find(where(Fill.client_order_id == intent.client_order_id)).to_list()
            fill = fill_of(intent, result, booked)
            if fill is None:
                return
            try:
                await fill.insert()
                return
            except DuplicateKeyError:
                continue
        logger.warning("%s: fills kept being booked meanwhile; the next report books the rest", intent.client_order_id)

    async def catch_up(self, position: Position, tell: Tell | None = None) -> Folded:
        """Fold every fill of the position's orders not yet applied into it (a fold over fills, so a crash
        between recording a fill and moving the position is repaired the next time). `tell` (the user's fill
        notice, stored once per fill) runs for each fill before the position is stored: a crash in between
        repeats the notice, which is then a repeat, instead of losing it. `position` is refreshed in place;
        returns the fills folded now (empty when it did not move).

        The lock keeps out this process; another process folding the same position at once is kept out by the
        write's condition (the position still has the fills applied that were read): the one that finds it moved
        reads again, so a fold computed from an older position never lands over a newer one."""
        for _ in range(FOLD_TRIES):
            async with self.lock(position):
                fresh = await Position.get(ref(position))
                if fresh is None:
                    return []
                intents = {i.client_order_id: i for i in await OrderIntent.find(where(
                    OrderIntent.user_id == position.user_id, OrderIntent.signal_id == position.signal_id)).to_list()}
                fills = sorted(await find_in(Fill, {}, "client_order_id", sorted(intents)),  # indexed, not `$in`
                               key=lambda f: (f.filled_at, str(f.id)))
                new = [f for f in fills if f.trade_id not in fresh.applied]
                stored = True
                if new:
                    before, rules = stored_form(fresh), await self.rules(fresh)
                    through = filled_through(fills)
                    realized = fold_all((fresh, intents[fill.client_order_id], fill, rules, through[fill.trade_id])
                                        for fill in new)
                    await insert_new(RealizedPnl, realized, "trade_id")  # first: see RealizedPnl
                    if tell is not None:
                        for fill in new:
                            await tell(fresh, intents[fill.client_order_id], fill)
                    stored = await self._store_fold(before, fresh)
            if stored:
                for name in Position.model_fields:
                    setattr(position, name, getattr(fresh, name))
                return [(intents[fill.client_order_id], fill) for fill in new]
            logger.info("position %s was folded by another process meanwhile: reading it again", ref(position))
        logger.warning("position %s kept changing under %d folds: the next catch-up folds the rest", ref(position),
                       FOLD_TRIES)
        return []

    @staticmethod
    async def _store_fold(before: dict[str, Any], position: Position) -> bool:
        """Store a fold unless the position had more fills applied since it was read (False then)."""
        result = await Position.get_pymongo_collection().update_one(
            _unmoved(before), {"$set": changed_fields(before, position)})
        return result.matched_count == 1

    async def store_folded(self, positions: list[tuple[dict[str, Any], Position]]) -> None:
        """Store positions a batch folded fills into (each with its `stored_form` from before), in one write. One
        that another process folded meanwhile is folded again from the stored fills."""
        if not positions:
            return
        result = await Position.get_pymongo_collection().bulk_write(
            [UpdateOne(_unmoved(before), {"$set": changed_fields(before, position)}) for before, position in positions],
            ordered=False)
        if result.matched_count < len(positions):
            for _, position in positions:
                await self.catch_up(position)

    async def settle_entries(self, position: Position, cause: str) -> None:
        """No entry is live any more: a position that never filled is cancelled."""
        async with self.lock(position):
            if await OrderIntent.live(position_id=ref(position), role="entry"):
                return
            fresh = await Position.get(ref(position))
            if fresh is not None and fresh.status == "pending":
                await fresh.set({Position.status: "cancelled", Position.close_reason: cause,
                                 Position.closed_at_ms: epoch_ms(self.clock())})
                position.status, position.close_reason, position.closed_at_ms = (
                    fresh.status, fresh.close_reason, fresh.closed_at_ms)

    async def replan(self, position: Position) -> None:
        """Its entries changed (one was re-priced): the position plans to buy what its entry orders ask for now
        (what an ended one filled, what a live one asks), and a pending position's planned price is their average,
        so its risk to the stop is counted at the new price."""
        async with self.lock(position):
            fresh = await Position.get(ref(position))
            if fresh is None:
                return
            entries = await OrderIntent.find(where(OrderIntent.position_id == ref(position),
                                                   OrderIntent.role == "entry")).to_list()
            asks = [(i.filled if i.status in FINAL else i.amount, i.price or fresh.entry_price) for i in entries]
            planned = sum(amount for amount, _ in asks)
            changes: dict[Any, Any] = {Position.planned_amount: planned}
            if fresh.status == "pending" and planned > 0:
                changes[Position.entry_price] = sum(amount * price for amount, price in asks) / planned
            await fresh.set(changes)
            position.planned_amount, position.entry_price = fresh.planned_amount, fresh.entry_price

    async def track(self, position: Position, best: float, stop: float | None) -> None:
        """The best price since entry moved (and with it, maybe, a trailing or break-even stop), as computed from
        `position` as it was read. Stored only where it is better than what is stored now (a stop the user or
        the provider tightened meanwhile stays), and only if neither moved since (in another process): then
        the next tick computes again from the stored position."""
        async with self.lock(position):
            fresh = await Position.get(ref(position))
            if fresh is None:
                return
            sign = 1 if fresh.side is Side.LONG else -1
            changes: dict[str, Any] = {}
            if fresh.best_price is None or sign * (best - fresh.best_price) > 0:
                changes["best_price"] = best
            if stop is not None and (fresh.stop_loss is None or sign * (stop - fresh.stop_loss) > 0):
                changes["stop_loss"] = stop
            if changes:
                written = await Position.get_pymongo_collection().update_one(
                    {"_id": fresh.id, "best_price": fresh.best_price, "stop_loss": fresh.stop_loss},
                    {"$set": changes})
                if written.matched_count == 1:  # else it moved meanwhile: the next tick starts from what is stored
                    fresh.best_price = changes.get("best_price", fresh.best_price)
                    fresh.stop_loss = changes.get("stop_loss", fresh.stop_loss)
            position.best_price, position.stop_loss = fresh.best_price, fresh.stop_loss

    async def move_stop(self, position: Position, price: float) -> None:
        async with self.lock(position):
            await position.set({Position.stop_loss: price})

    async def claim_close_handling(self, position: Position) -> bool:
        """Claim the after-close checks of a closed position: True for exactly one caller."""
        async with self.lock(position):
            result = await Position.get_pymongo_collection().update_one(
                {"_id": position.id, "close_handled": {"$ne": True}}, {"$set": {"close_handled": True}})
        position.close_handled = True
        return result.modified_count == 1
