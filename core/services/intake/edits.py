"""A provider edits or deletes a message after posting it. Neither ever places or cancels an order (a call is
traded as it was first posted; an edit could be anything, including a correction after the price moved): the
edit or deletion is recorded on the message, and holders of a position opened from that call are told what
changed, so they can act themselves."""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId

from core.clock import epoch_ms
from core.domain import NewSignal, NotificationKind
from core.parsing import parse
from core.services.intake.pipeline import reading_context
from core.services.notify import messages
from core.services.notify.notifier import Note, Notifier
from models import Message, Position, Provider, Signal, User
from models.query import where
from models.refs import ref


def level_changes(before: Signal, after: NewSignal) -> list[str]:
    """What the edit changed in the call's levels, in words ("stop 41000 -> 40500")."""
    changes: list[str] = []
    pairs = (("entry", list(before.entries), list(after.entries)),
             ("targets", list(before.take_profits), list(after.take_profits)),
             ("stop", before.stop_loss, after.stop_loss), ("leverage", before.leverage, after.leverage))
    for name, old, new in pairs:
        if old != new:
            changes.append(f"{name} {_words(old)} -> {_words(new)}")
    return changes


def _words(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value) or "none"
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


class CallEdits:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def edited(self, channel_id: int, message_id: int, text: str, at: datetime) -> str:
        message = await Message.find_one(where(Message.channel_id == channel_id, Message.message_id == message_id))
        if message is None:
            return "not a message Signalcord read"
        # the whole list with $set: nx-27017 stores a document given to $push as a JSON string
        await message.set({Message.edits: [*message.edits, {"text": text, "at_ms": epoch_ms(at)}]})
        signal, holders = await self._holders(message)
        if signal is None or not holders:
            return "recorded; no position was opened from it"
        provider = await Provider.get(message.provider_id)
        reread = parse(text, reading_context(provider, message.reply_to)) if provider is not None else None
        changes = level_changes(signal, reread) if isinstance(reread, NewSignal) else ["it no longer reads as a call"]
        symbol = signal.symbol or "the"
        await self._tell(holders, NotificationKind.CALL_EDITED, messages.call_edited(symbol, changes), signal,
                         f"edit:{len(message.edits) + 1}")
        return f"recorded; {len(holders)} holder(s) told"

    async def deleted(self, channel_id: int, message_id: int, at: datetime) -> str:
        message = await Message.find_one(where(Message.channel_id == channel_id, Message.message_id == message_id))
        if message is None:
            return "not a message Signalcord read"
        await message.set({Message.deleted_at_ms: epoch_ms(at)})
        signal, holders = await self._holders(message)
        if signal is None or not holders:
            return "recorded; no position was opened from it"
        await self._tell(holders, NotificationKind.CALL_DELETED, messages.call_deleted(signal.symbol or "the"),
                         signal, "deleted")
        return f"recorded; {len(holders)} holder(s) told"

    @staticmethod
    async def _holders(message: Message) -> tuple[Signal | None, list[Position]]:
        signal = await Signal.find_one(where(Signal.message_id == ref(message)))
        if signal is None or signal.kind != "signal":
            return signal, []
        return signal, await Position.active(signal_id=ref(signal))

    async def _tell(self, holders: list[Position], kind: NotificationKind, text: str, signal: Signal,
                    once: str) -> None:
        ids = [PydanticObjectId(h.user_id) for h in holders]
        users = await User.find({"_id": {"$in": ids}}).to_list()
        await self.notifier.notify_many([Note(u, kind, text, signal_id=ref(signal), once_per=once) for u in users])
