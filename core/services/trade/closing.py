"""Closing a position (all or part) at market: protective legs are cancelled first (so nothing else can sell
the same coins), then one reduce-only exit leg is sent under a client id that names the cause, so the same
close requested twice sends one order. Entries still resting are cancelled with a full close."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.clock import Clock
from core.domain import OrderStatus
from core.market.rules import amount_to_step
from core.services.notify.notifier import Notifier
from core.services.orders.desk import Leg
from core.services.orders.protection import Protection
from core.services.orders.sending import live_legs
from models import ExchangeAccount, OrderIntent, Position
from models.orders import ACTIVE

logger = logging.getLogger(__name__)


OnClosed = Callable[[Position], Awaitable[None]]


class PositionCloser:
    def __init__(self, protection: Protection, notifier: Notifier, clock: Clock) -> None:
        self.protection = protection
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.notifier = notifier
        self.clock = clock
        # the after-close checks (the daily-loss pause), run wherever a position closes: set by the composition root
        self.on_closed: OnClosed | None = None

    async def close(self, position_id: str, cause: str, *, fraction: float = 1.0, leg: str = "exit") -> str:
        """Close `fraction` of the position at market; returns what happened, in words. Safe to call again."""
        position = await Position.get(position_id)
        if position is None:
            return "the position no longer exists"
        if position.status not in ACTIVE:
            return f"the {position.symbol} position was already {position.status}"
        account = await ExchangeAccount.get(position.account_id)
        if account is None:
            return "the position's account is gone; close it on the exchange yourself"
        full = fraction >= 1.0
        if full:
            for entry in await live_legs(position, "entry"):
                await self.sender.cancel(entry, cause, position)
            position = await Position.get(position_id) or position
            if position.status == "pending":
                await self.keeper.settle_entries(position, cause)
                return f"cancelled the {position.symbol} entries ({cause})"
        amount = position.amount if full else amount_to_step(position.amount * fraction,
                                                                  await self.keeper.rules(position))
        if amount <= 0:
            return f"nothing of {position.symbol} to close"
        for protective in await live_legs(position, "sl", "tp"):
            await self.sender.cancel(protective, f"closing: {cause}", position)
        position = await Position.get(position_id) or position
        if position.status != "open":
            return f"the {position.symbol} position was already {position.status}"
        exit_leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg=leg, symbol=position.symbol,
                       side=position.side.exit_order_side, amount=min(amount, position.amount),
                       price=position.entry_price, cause=cause, reduce_only=True, role="exit",
                       position_id=position_id)
        intent = await self.sender.desk.claim(exit_leg, account)
        if intent.status is OrderStatus.PENDING:
            await self.sender.send(intent, position)
        else:
            await self.protection.sync(position)
        outcome = await self._outcome(position_id, intent.client_order_id)
        closed = await Position.get(position_id)
        if closed is not None and closed.status == "closed" and self.on_closed is not None:
            await self.on_closed(closed)
        return outcome

    @staticmethod
    async def _outcome(position_id: str, client_order_id: str) -> str:
        position = await Position.get(position_id)
        intent = await OrderIntent.find_one(OrderIntent.client_order_id == client_order_id)
        assert position is not None and intent is not None  # noqa: S101 - both were just stored
        if intent.status is OrderStatus.REJECTED:
            return f"closing {position.symbol} failed: {intent.error}"
        if intent.status is OrderStatus.UNKNOWN:
            return f"closing {position.symbol}: outcome unknown, being reconciled"
        if position.status == "closed":
            return f"closed {position.symbol} @ {position.exit_price:g}, P&L {position.realized_pnl:+,.2f}"
        return f"closed {intent.filled:g} of {position.symbol}; {position.amount:g} left open"
