"""Provider updates ("TP2 hit", "close BTC", "move SL to entry") applied to the signal they are about.

The signal is found by the reply link first, else the provider's latest open signal for the symbol. Then each
position opened from it follows: close (all, or the percentage given) and "stop hit" exit at market; cancel
removes unfilled entries (what filled stays protected); move stop re-places the stop (to the position's own
entry price when no price is given; a stop the price already passed exits at market); "target n hit" takes
targets 1..n at market when their orders have not filled. Every holder is told what was done.
"""

from __future__ import annotations

import logging
from typing import Any

from core.config.logs import RateLimitedLog
from core.domain import NotificationKind, SignalUpdate, UpdateAction
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from core.services.orders.protection import Protection
from core.services.orders.sending import live_legs
from core.services.trade.closing import PositionCloser
from models import Message, Position, Signal, User
from models.query import where
from models.refs import ref

_CLOSING = {UpdateAction.CLOSE: "closed", UpdateAction.SL_HIT: "closed", UpdateAction.CANCEL: "cancelled"}

logger = logging.getLogger(__name__)
_skipped = RateLimitedLog(logger)


async def find_target(update: SignalUpdate, message: Message) -> Signal | None:
    if message.reply_to is not None:
        replied = await Message.find_one(where(Message.channel_id == message.channel_id,
                                               Message.message_id == message.reply_to))
        if replied is not None:
            found = await Signal.find_one(where(Signal.message_id == ref(replied), Signal.kind == "signal"))
            if found is not None:
                return found
    if update.symbol is None:
        return None
    return await Signal.find(where(Signal.provider_id == message.provider_id, Signal.kind == "signal",
                                   Signal.symbol == update.symbol, Signal.status == "open")) \
        .sort(-Signal.created_at).first_or_none()  # type: ignore[operator]


def _changes(target: Signal, update: SignalUpdate) -> tuple[dict[str, Any], str]:
    action = update.action
    if action is UpdateAction.CLOSE and update.percentage is not None and update.percentage < 100:
        return {}, f"{target.symbol}: provider closed {update.percentage:g}%"
    if action in _CLOSING:
        return {"status": _CLOSING[action]}, f"{target.symbol} signal marked {_CLOSING[action]} ({action.value})"
    if action is UpdateAction.TP_HIT:
        hit = max(target.targets_hit, update.target or target.targets_hit + 1)
        return {"targets_hit": hit}, f"{target.symbol} target {hit} reported hit"
    if action is UpdateAction.MOVE_SL:
        new_stop = update.new_stop if update.new_stop is not None else (
            sum(target.entries) / len(target.entries) if target.entries else None)
        if new_stop is None:
            return {}, f"{target.symbol}: stop move noted (no price to move it to)"
        return {"stop_loss": new_stop}, f"{target.symbol} stop moved to {new_stop:g}"
    return {}, f"{target.symbol}: provider update noted ({action.value})"


class ProviderUpdates:
    """Applies a provider's update to the signal and to every position opened from it."""

    def __init__(self, protection: Protection, closer: PositionCloser, notifier: Notifier) -> None:
        self.protection = protection
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.closer = closer
        self.notifier = notifier

    async def apply(self, stored: Signal, update: SignalUpdate, message: Message) -> str:
        """Apply the update and return what happened to the signal, in words (each holder is told their part)."""
        target = await find_target(update, message)
        if target is None:
            what = update.symbol or "the replied-to message"
            reason = f"update ({update.action.value}) matched no open signal for {what}"
            await stored.set({Signal.status: "unmatched", Signal.reason: reason})
            return reason
        changes, reason = _changes(target, update)
        if changes:
            await target.set(changes)
        await stored.set({Signal.status: "applied", Signal.reason: reason, Signal.applies_to: ref(target)})
        positions = await Position.active(signal_id=ref(target))
        for position in positions:
            try:
                done = await self._act(position, update, ref(stored))
            except Exception as exc:  # one holder's venue never stops the others' update
                _skipped.warning(f"account {position.account_id}", "provider update on position %s failed: %s",
                                 position.id, exc, exc_info=True)
                done = f"it could not be applied now ({exc}); check the position, or close it yourself"
            user = await User.get(position.user_id)
            if user is not None:
                await self.notifier.notify(user, NotificationKind.provider(update.action.value),
                                           messages.provider_update(position.symbol, update.action.value, done),
                                           signal_id=ref(stored))
        return reason

    async def _act(self, position: Position, update: SignalUpdate, update_id: str) -> str:
        """What the update does to this position's orders; returns it in words."""
        action, cause = update.action, f"provider update: {update.action.value}"
        if action in (UpdateAction.CLOSE, UpdateAction.SL_HIT):
            fraction = update.percentage / 100 if action is UpdateAction.CLOSE and update.percentage else 1.0
            # one exit leg per update message: the same update seen twice sends one order
            return await self.closer.close(ref(position), cause, fraction=min(fraction, 1.0), leg=f"exit-{update_id}")
        if action is UpdateAction.CANCEL:
            return await self._cancel_entries(position, cause)
        if action is UpdateAction.MOVE_SL:
            stop = update.new_stop if update.new_stop is not None else position.entry_price
            await self.keeper.move_stop(position, stop)
            await self.protection.sync(position)
            fresh = await Position.get(ref(position)) or position
            if fresh.status == "closed":
                return f"the price was already past the new stop {stop:g}: closed at market @ {fresh.exit_price:g}"
            return f"stop moved to {stop:g}" + (" (your entry price)" if update.new_stop is None else "")
        if action is UpdateAction.TP_HIT:
            return await self.protection.take_targets(position, update.target or position.targets_hit + 1, cause)
        return "noted; your orders are unchanged"

    async def _cancel_entries(self, position: Position, cause: str) -> str:
        entries = await live_legs(position, "entry")
        for entry in entries:
            await self.sender.cancel(entry, cause, position)
        await self.keeper.settle_entries(position, cause)
        fresh = await Position.get(ref(position)) or position
        if fresh.status == "cancelled":
            return "entry orders cancelled; no position was opened"
        kept = f"the {fresh.amount:g} that filled stays open with its stop and targets"
        return f"unfilled entries cancelled; {kept}" if entries else f"the entry had already filled: {kept}"
