"""Notifications: stored once (never repeated for a signal and kind), off the trading path. The delivery job
(`core.services.notify.delivery`) hands them to the sinks (Discord DM, ...) in each user's order, with retries."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from core.clock import Clock
from core.domain import NotificationKind
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
    kind: NotificationKind
    text: str
    signal_id: str | None = None
    payload: dict[str, Any] | None = None
    once_per: str = ""


class NotificationSink(Protocol):
    name: str

    async def deliver(self, event: NotificationEvent) -> None: ...


class PermanentDeliveryError(Exception):
    """The recipient cannot be reached this way (closed DMs, an unknown user): never retried; the notification is
    kept for the dashboard."""


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
        self, user: User, kind: NotificationKind, text: str, *, signal_id: str | None = None,
        payload: dict[str, Any] | None = None, once_per: str = "",
    ) -> Notification | None:
        """Store the notification (once per signal+kind[+once_per]); None if a repeat. Nothing is sent here."""
        note = Notification(user_id=ref(user), kind=kind, text=text, signal_id=signal_id,
                            dedupe_key=self._key(signal_id, kind, once_per), payload=payload or {},
                            created_at=self.clock())
        try:
            await note.insert()
        except DuplicateKeyError:
            return None
        return note

    async def notify_many(self, notes: list[Note]) -> None:
        """`notify` for many users at once: one insert; a note seen before is skipped."""
        docs = [Notification(user_id=ref(n.user), kind=n.kind, text=n.text, signal_id=n.signal_id,
                             dedupe_key=self._key(n.signal_id, n.kind, n.once_per), payload=n.payload or {},
                             created_at=self.clock()) for n in notes]
        await insert_new(Notification, docs, "dedupe_key")

    @staticmethod
    def _key(signal_id: str | None, kind: str, once_per: str) -> str:
        return f"{signal_id}:{kind}{':' + once_per if once_per else ''}" if signal_id else uuid.uuid4().hex
