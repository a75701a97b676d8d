"""Typed notification events: stored once, then fanned out to sinks (Discord DM, ...), each isolated."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms
from models import Notification, User
from models.bulk import insert_new
from models.refs import ref

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationEvent:
    notification_id: str
    user_id: str
    discord_id: int
    kind: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """One notification to send with `notify_many`."""

    user: User
    kind: str
    text: str
    signal_id: str | None = None
    payload: dict[str, Any] | None = None
    once_per: str = ""


class NotificationSink(Protocol):
    name: str

    async def deliver(self, event: NotificationEvent) -> None: ...


class Notifier:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sinks: list[NotificationSink] = []

    def add_sink(self, sink: NotificationSink) -> None:
        self.sinks.append(sink)

    def remove_sink(self, sink: NotificationSink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    async def notify(
        self, user: User, kind: str, text: str, *, signal_id: str | None = None,
        payload: dict[str, Any] | None = None, once_per: str = "",
    ) -> Notification | None:
        """Store the notification (once per signal+kind[+once_per]) and hand it to every sink. None if a repeat."""
        note = Notification(user_id=ref(user), kind=kind, text=text, signal_id=signal_id,
                            dedupe_key=self._key(signal_id, kind, once_per), payload=payload or {},
                            created_at=self.clock())
        try:
            await note.insert()
        except DuplicateKeyError:
            return None
        await self._fan_out(note, user)
        return note

    async def notify_many(self, notes: list[Note]) -> None:
        """`notify` for many users at once: one insert, then the sinks for each note not seen before."""
        docs = [Notification(user_id=ref(n.user), kind=n.kind, text=n.text, signal_id=n.signal_id,
                             dedupe_key=self._key(n.signal_id, n.kind, n.once_per), payload=n.payload or {},
                             created_at=self.clock()) for n in notes]
        stored = await insert_new(Notification, docs, "dedupe_key")
        for note, doc in zip(notes, docs, strict=True):
            if doc.dedupe_key in stored:
                await self._fan_out(doc, note.user)

    @staticmethod
    def _key(signal_id: str | None, kind: str, once_per: str) -> str:
        return f"{signal_id}:{kind}{':' + once_per if once_per else ''}" if signal_id else uuid.uuid4().hex

    async def _fan_out(self, note: Notification, user: User) -> None:
        if not user.settings.notifications.dm_enabled:
            return
        event = NotificationEvent(str(note.id), ref(user), user.discord_id, note.kind, note.text, note.payload)
        for sink in list(self.sinks):
            try:
                await sink.deliver(event)
            except Exception as exc:  # one failing sink must not stop the others
                logger.warning("notification %s: sink %s failed: %s", note.id, sink.name, exc)
                await Notification.find_one(Notification.id == note.id).update(
                    {"$set": {"delivery_error": f"{sink.name}: {exc}"[:300]}}
                )

    async def mark_delivered(self, notification_id: str) -> None:
        await Notification.find_one(Notification.id == PydanticObjectId(notification_id)).update(
            {"$set": {"delivered_at_ms": epoch_ms(self.clock()), "delivery_error": None}}
        )
