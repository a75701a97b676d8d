"""Changing a resting entry order's price.

Neither order of "cancel, place" is safe alone: placing the new order first could fill both, and cancelling first
ends the position's last live entry, which cancels a position that never filled. So the replacement - the leg's
next generation (entry1 -> entry1.2), naming the order it replaces - is stored first, unsent: while it waits, the
position still has a live entry and stays pending. Then the old order is cancelled, and only once the venue says it
ended is the replacement sized for what the old one left unfilled and sent. A run cut anywhere is finished by the
reconciler through `finish`, so the replacement is never sent while the old order may still fill. The new size
never carries more risk to the stop, nor more value, than the old rest (`core.execution.legs.repriced_amount`).
"""

from __future__ import annotations

import logging

from core.domain import LIVE, RESTING, OrderStatus, Side
from core.execution.leg_names import LegName
from core.execution.legs import repriced_amount
from core.market.rules import minimum_problem, price_to_tick
from core.services.orders.desk import Leg
from core.services.orders.protection import Protection
from models import ExchangeAccount, OrderIntent, Position
from models.orders import ACTIVE

logger = logging.getLogger(__name__)


class RepriceRefused(ValueError):
    """The entry cannot take this price; the message says why."""


class EntryRepricer:
    def __init__(self, protection: Protection) -> None:
        self.protection = protection
        self.sender = protection.sender
        self.desk = protection.desk
        self.keeper = protection.keeper

    async def reprice(self, entry: OrderIntent, price: float, cause: str) -> str:
        """Move a resting limit entry to `price` (rounded to the venue's tick); what happened, in words."""
        position = await Position.get(entry.position_id) if entry.position_id else None
        if position is None or position.status not in ACTIVE:
            raise RepriceRefused(f"the {entry.symbol} position is " + (position.status if position else "gone"))
        if entry.role != "entry" or entry.order_type != "limit" or entry.status not in RESTING or entry.price is None:
            raise RepriceRefused(f"{entry.symbol} {entry.leg} is not a resting limit entry ({entry.status.value})")
        rules = await self.keeper.rules(position)
        new = price_to_tick(price, rules)
        self._check(position, entry.price, new)
        amount = repriced_amount(entry.amount - entry.filled, entry.price, new, position.stop_loss, rules)
        problem = minimum_problem(amount, new, rules)
        if problem:
            raise RepriceRefused(f"at {new:g} the entry would buy {amount:g}: {problem}")
        account = await ExchangeAccount.get(entry.account_id)
        if account is None:
            raise RepriceRefused("the exchange account of this order no longer exists")
        leg = Leg(signal_id=entry.signal_id, user_id=entry.user_id, leg=LegName.parse(entry.leg).next_generation(),
                  symbol=entry.symbol, side=entry.side, amount=amount, price=new, order_type="limit", role="entry",
                  position_id=entry.position_id, leverage=entry.leverage, margin_mode=entry.margin_mode,
                  expires_at_ms=entry.expires_at_ms, replaces=entry.client_order_id,
                  cause=f"{cause}: {entry.price:g} -> {new:g}")
        replacement = await self.desk.claim(leg, account)
        if replacement.price != new or replacement.status is not OrderStatus.PENDING:  # claimed before: not ours
            raise RepriceRefused(f"{entry.symbol} {entry.leg} is already being changed to {replacement.price:g}")
        return await self.finish(replacement, cause)

    @staticmethod
    def _check(position: Position, old: float, new: float) -> None:
        """The new price is a sensible entry: positive, changed, not a typo, between the stop and the next target."""
        if new <= 0:
            raise RepriceRefused(f"price: {new:g} is not above 0")
        if new == old:
            raise RepriceRefused(f"the entry is already at {old:g}")
        if not old / 2 <= new <= old * 2:
            raise RepriceRefused(f"{new:g} is far from the entry's {old:g} (a typo?)")
        long = position.side is Side.LONG
        stop = position.stop_loss
        if stop is not None and (new <= stop if long else new >= stop):
            raise RepriceRefused(f"an entry at {new:g} is not {'above' if long else 'below'} the stop {stop:g} "
                                 "(move the stop first)")
        ahead = position.take_profits[position.targets_hit:]
        if ahead and (new >= ahead[0] if long else new <= ahead[0]):
            raise RepriceRefused(f"an entry at {new:g} is not {'below' if long else 'above'} the next target "
                                 f"{ahead[0]:g}")

    async def finish(self, replacement: OrderIntent, cause: str) -> str:
        """Cancel the order `replacement` replaces and, once it has ended, send the replacement for what it left
        unfilled (or drop it when nothing worth an order is left). Safe to run again, from anywhere."""
        old = await OrderIntent.find_one(OrderIntent.client_order_id == replacement.replaces)
        position = await Position.get(replacement.position_id) if replacement.position_id else None
        if old is None or position is None:
            await self.sender.refuse(replacement, "the order it replaces is gone")
            return f"{replacement.symbol}: the entry it replaces is gone"
        try:  # the stop or the targets may have moved since the change was asked for: then the old order stays
            self._check(position, old.price or 0.0, replacement.price or 0.0)
        except RepriceRefused as refused:
            if replacement.status is OrderStatus.PENDING:
                await self.desk.transition(replacement, OrderStatus.CANCELLED, f"not sent: {refused}")
            return f"{replacement.symbol}: the new price was not sent: {refused}"
        if old.status in LIVE:
            await self.sender.cancel(old, f"{cause}: replaced by {replacement.leg} at {replacement.price:g}", position)
            old = await OrderIntent.get(old.id) or old
            if old.status in LIVE:
                logger.info("%s waits for %s to be cancelled", replacement.client_order_id, old.client_order_id)
                return (f"{old.symbol}: the entry at {old.price:g} could not be cancelled yet; the new price is sent "
                        "as soon as it is")
        now = await OrderIntent.get(replacement.id) or replacement
        if now.status is not OrderStatus.PENDING:
            return f"{now.symbol}: the entry is {now.status.value} at {now.price:g}"
        rules = await self.keeper.rules(position)
        price = now.price or 0.0
        amount = repriced_amount(old.amount - old.filled, old.price or price, price, position.stop_loss, rules)
        problem = "the old entry filled first" if old.status is OrderStatus.FILLED else minimum_problem(
            amount, price, rules)
        if problem:
            await self.desk.transition(now, OrderStatus.CANCELLED, f"not sent: {problem}")
            await self.keeper.replan(position)
            await self.keeper.settle_entries(position, f"entry re-priced, then not sent: {problem}")
        else:
            if amount != now.amount:  # the old order filled a little more before its cancel
                await self.desk.update(now, amount=amount)
            await self.keeper.replan(position)  # stored before the send: the risk is counted at the new price
            await self.sender.send(now, position)
        await self.protection.sync(position)  # what the old order filled before its cancel gets its stop
        if problem:
            return f"{now.symbol}: the new price was not sent: {problem}"
        sent = await OrderIntent.get(now.id) or now
        return f"{sent.symbol}: entry moved from {old.price:g} to {price:g} for {sent.amount:g} ({sent.status.value})"
