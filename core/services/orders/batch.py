"""Sending many fresh legs at once: one call's entries (then stops and targets) for every subscriber.

The common outcomes are applied in bulk: an order filled in full (fill recorded, intent moved, position folded
in memory and stored whole) or resting untouched. Everything else for a position (a refusal, an unknown
outcome, a rate limit, a partial fill, a leg whose intent existed already) goes through the step-by-step
`OrderSender` (a rate-limited leg is sent again there: looked up by client id first, then retried), which
re-reads the position, so the two never write the same position in one batch. Positions that filled get their
protective legs in a second batch the same way.
"""

from __future__ import annotations

import asyncio
import logging

from core.config.logs import RateLimitedLog
from core.domain import MarketRules, OrderStatus
from core.execution.gateway import OrderResult, RateLimited
from core.execution.legs import protective_legs
from core.services.orders.desk import Leg, Submitted
from core.services.orders.fold import EPS, book, describe, fill_of, fold_all, profile_of
from core.services.orders.protection import Protection, protective_leg
from models import ExchangeAccount, Fill, OrderIntent, Position, RealizedPnl
from models.bulk import insert_new, stored_form, update_by_id
from models.refs import ref

logger = logging.getLogger(__name__)
_skipped = RateLimitedLog(logger)
Send = tuple[Leg, ExchangeAccount, Position]


def _simple(sent: Submitted) -> bool:
    """Filled in full, resting untouched, or armed: what the bulk path applies."""
    if sent.seen:
        return False
    outcome = sent.outcome
    if outcome is None:
        return sent.intent.status is OrderStatus.PENDING  # an emulated trigger, armed
    if not isinstance(outcome, OrderResult):
        return False
    if outcome.status is OrderStatus.FILLED:
        return abs(outcome.filled - sent.intent.amount) <= EPS * max(1.0, sent.intent.amount)
    return outcome.status in (OrderStatus.OPEN, OrderStatus.SUBMITTED) and outcome.filled <= EPS


class BatchSender:
    def __init__(self, protection: Protection) -> None:
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.desk = protection.desk

    async def send(self, legs: list[Send]) -> set[str]:
        """Send the legs; returns the ids of positions the step-by-step path moved (re-read those)."""
        if not legs:
            return set()
        sent = await self.desk.submit([(leg, account) for leg, account, _ in legs])
        positions: dict[str, Position] = {}
        accounts: dict[str, ExchangeAccount] = {}
        grouped: dict[str, list[Submitted]] = {}
        for (_, account, position), item in zip(legs, sent, strict=True):
            positions[ref(position)], accounts[ref(position)] = position, account
            grouped.setdefault(ref(position), []).append(item)
        stepwise = {pid for pid, items in grouped.items() if not all(_simple(s) for s in items)}
        quick = [(s, positions[pid]) for pid, items in grouped.items() if pid not in stepwise for s in items]
        moved = await self._apply(quick, accounts)
        for pid in sorted(stepwise):
            for item in grouped[pid]:
                try:
                    await self._one(item, positions[pid])
                except Exception as exc:  # one order's failure never stops the others: the reconciler takes it up
                    _skipped.warning(f"account {item.intent.account_id}", "order %s: %s (left to the reconciler)",
                                     item.intent.client_order_id, exc, exc_info=True)
        protect = [positions[pid] for pid in moved if positions[pid].status == "open"]
        return stepwise | await self.send(await self._protective(protect, accounts))

    async def _one(self, item: Submitted, position: Position) -> None:
        if item.seen or isinstance(item.outcome, RateLimited):  # a 429: on through the one-order path, which
            await self.sender.send(item.intent, position)     # looks the id up first, then retries with backoff
        elif isinstance(item.outcome, Exception):
            await self.sender.failed(item.intent, item.outcome, position)
        elif item.outcome is not None:
            await self.sender.apply(item.intent, item.outcome, position)

    async def _apply(self, quick: list[tuple[Submitted, Position]], accounts: dict[str, ExchangeAccount]
                     ) -> list[str]:
        """Record the simple outcomes in three writes (fills, then intents and positions together); returns the
        positions that filled. The fills go first: a crash after them is repaired like a step-by-step one (the
        reconciler's report moves the intent, and the position folds in every fill it has not applied, by trade
        id, so a position stored before its intent counts nothing twice)."""
        fills: list[tuple[Fill, OrderIntent, Position]] = []
        changes: dict[object, dict[str, object]] = {}
        for item, position in quick:
            intent, result = item.intent, item.outcome
            if not isinstance(result, OrderResult):
                continue
            fill = fill_of(intent, result)  # a new order: nothing booked for it yet
            if fill is not None:
                fills.append((fill, intent, position))
            update: dict[str, object] = {}
            if result.status is not intent.status:
                update = self.desk.step(intent, result.status, describe(result))
            intent.filled, intent.average_price, intent.fee = result.filled, result.average_price, result.fee
            changes[intent.id] = {"$set": {**update, "exchange_order_id": result.exchange_order_id,
                                           "filled": result.filled, "average_price": result.average_price,
                                           "fee": result.fee}}
        await insert_new(Fill, [fill for fill, _, _ in fills], "trade_id")
        moved = {ref(position): position for _, _, position in fills}
        before = {pid: stored_form(position) for pid, position in moved.items()}
        rules = {pid: await self._rules(accounts[pid], position.symbol) for pid, position in moved.items()}
        realized = fold_all((position, intent, fill, rules[ref(position)], None) for fill, intent, position in fills)
        await insert_new(RealizedPnl, realized, "trade_id")  # exits only: a batch's fills are mostly entries
        for fill, intent, position in fills:  # before the positions are stored: a crash repeats a notice, not loses it
            await self.sender.tell_fill(position, intent, fill)
        await asyncio.gather(update_by_id(OrderIntent, changes),
                             self.keeper.store_folded([(before[pid], p) for pid, p in moved.items()]))
        return list(moved)

    async def _protective(self, positions: list[Position], accounts: dict[str, ExchangeAccount]) -> list[Send]:
        """The stop and targets of positions that just filled (new positions: none exist yet)."""
        legs: list[Send] = []
        for position in positions:
            account = accounts[ref(position)]
            gateway = await self.desk.gateways.route(account)
            rules = await self._rules(account, position.symbol)
            for leg in protective_legs(book(position), profile_of(position), rules):
                legs.append((protective_leg(position, leg, leg.name, gateway), account, position))
        return legs

    async def _rules(self, account: ExchangeAccount, symbol: str) -> MarketRules:
        return await self.desk.gateways.rules_of(account, symbol)
