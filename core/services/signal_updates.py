"""Provider updates ("TP2 hit", "close BTC", "move SL to entry") applied to the signal they are about.

The signal is found by the reply link first, else the provider's latest open signal for the symbol.
Orders are not touched here yet (the execution engine does that); holders of a position are told.
"""

from __future__ import annotations

from typing import Any

from core.domain import SignalUpdate, UpdateAction
from core.services.notify import Notifier
from models import Message, Position, Signal, User
from models.refs import ref

_CLOSING = {UpdateAction.CLOSE: "closed", UpdateAction.SL_HIT: "closed", UpdateAction.CANCEL: "cancelled"}


async def find_target(update: SignalUpdate, message: Message) -> Signal | None:
    if message.reply_to is not None:
        replied = await Message.find_one(Message.channel_id == message.channel_id,
                                         Message.message_id == message.reply_to)
        if replied is not None:
            found = await Signal.find_one(Signal.message_id == ref(replied), Signal.kind == "signal")
            if found is not None:
                return found
    if update.symbol is None:
        return None
    return await Signal.find(Signal.provider_id == message.provider_id, Signal.kind == "signal",
                             Signal.symbol == update.symbol, Signal.status == "open") \
        .sort(-Signal.created_at).first_or_none()  # type: ignore[operator]


def _changes(target: Signal, update: SignalUpdate) -> tuple[dict[str, Any], str]:
    action = update.action
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


async def apply_update(stored: Signal, update: SignalUpdate, message: Message, notifier: Notifier) -> str:
    """Apply the update to its signal and return what happened, in words."""
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
    async for position in Position.find(Position.signal_id == ref(target), Position.status == "open"):
        user = await User.get(position.user_id)
        if user is not None:
            await notifier.notify(user, f"provider_{update.action.value}",
                                  f"Provider update on your {position.symbol} position: {reason}. "
                                  "Automatic exits arrive with the execution engine; manage this position yourself.",
                                  signal_id=ref(stored))
    return reason
