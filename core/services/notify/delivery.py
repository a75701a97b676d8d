"""The delivery job: hands stored notifications to the sinks, off the trading path (a trade never waits for
Discord). Per user in the order they were stored; a transient failure is retried with backoff and holds that
user's later notifications back (their order is kept); a permanent one (closed DMs) is not retried and the
notification stays for the dashboard; a user with DMs turned off is skipped. One failing notification or user
never stops the others.

Each note is claimed before it is sent (a lease, written only if nobody claimed it since it was read), so two
delivery jobs never both send it; a job killed while sending leaves it to the run after the lease, and the DM sink
sends it under the same nonce, which Discord turns into the first message instead of a second one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from beanie import PydanticObjectId, SortDirection

from core.clock import Clock, epoch_ms
from core.config.logs import RateLimitedLog
from core.domain import NotificationKind, NotificationTopic
from core.services.notify.notifier import NotificationEvent, Notifier, PermanentDeliveryError
from models import Notification, User
from models.query import where

logger = logging.getLogger(__name__)
_failures = RateLimitedLog(logger)

BACKOFF_S: Final = (5, 30, 120, 600, 1800)  # waits after each transient failure; then the notification fails
BATCH: Final = 500  # notifications per run; a larger fan-out queues for the next runs
LEASE_S: Final = 60  # a note being sent is another job's for this long (shorter than Discord's nonce window)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


class Delivery:
    def __init__(self, notifier: Notifier, clock: Clock) -> None:
        self.notifier = notifier
        self.clock = clock

    async def run(self) -> DeliveryReport:
        report = DeliveryReport()
        if not self.notifier.sinks:
            return report  # nothing to deliver through yet (Discord not connected): they wait, stored
        now_ms = epoch_ms(self.clock())
        stored_order = [("created_at", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)]  # ids: clock ties
        due = await Notification.find(where(Notification.delivery == "pending",
                                            {"next_attempt_ms": {"$lte": now_ms}})).sort(stored_order).limit(
            BATCH).to_list()
        ids = {note.user_id for note in due}
        users = {str(u.id): u for u in await User.find({"_id": {"$in": [PydanticObjectId(i) for i in ids]}}).to_list()}
        waiting = await Notification.find(where(Notification.delivery == "pending",
                                                {"next_attempt_ms": {"$gt": now_ms}})).to_list()
        held = {note.user_id for note in waiting}  # an earlier one waits out its backoff: the later ones wait too
        for note in due:
            if note.user_id in held:
                continue
            user = users.get(note.user_id)
            unwanted = _unwanted(note, user)
            if unwanted or user is None:
                await note.set({Notification.delivery: "skipped", Notification.delivery_error: unwanted})
                report.skipped += 1
                continue
            if not await self._claim(note, now_ms):
                held.add(note.user_id)  # another delivery job is sending it: the user's later ones wait for it
                continue
            outcome = await self._deliver(note, user, now_ms)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "retrying":
                held.add(note.user_id)
        return report

    @staticmethod
    async def _claim(note: Notification, now_ms: int) -> bool:
        """Take the note for LEASE_S (one write, only if nobody took it since it was read): of two delivery jobs
        one sends it; a job that dies while sending leaves it to the next run after the lease."""
        result = await Notification.get_pymongo_collection().update_one(
            {"_id": note.id, "delivery": "pending", "next_attempt_ms": note.next_attempt_ms},
            {"$set": {"next_attempt_ms": now_ms + LEASE_S * 1000}})
        return result.modified_count == 1

    async def _deliver(self, note: Notification, user: User, now_ms: int) -> str:
        event = NotificationEvent(str(note.id), note.user_id, user.discord_id, note.kind, note.text, note.payload)
        for sink in list(self.notifier.sinks):
            if sink.name in note.delivered_sinks:
                continue
            try:
                await sink.deliver(event)
            except PermanentDeliveryError as exc:
                error = f"{sink.name}: {exc}"[:300]
                await note.set({Notification.delivery: "failed", Notification.delivery_error: error})
                return "failed"
            except Exception as exc:  # transient: retried later; the other notifications go on
                return await self._retry(note, sink.name, exc, now_ms)
            note.delivered_sinks.append(sink.name)
            await note.set({Notification.delivered_sinks: note.delivered_sinks})
        await note.set({Notification.delivery: "delivered", Notification.delivered_at_ms: epoch_ms(self.clock()),
                        Notification.delivery_error: None})
        return "delivered"

    async def _retry(self, note: Notification, sink: str, exc: Exception, now_ms: int) -> str:
        attempts = note.attempts + 1
        error = f"{sink}: {exc}"[:300]
        _failures.warning(sink, "notification %s through %s failed (try %d): %s", note.id, sink, attempts, exc)
        if attempts > len(BACKOFF_S):
            await note.set({Notification.delivery: "failed", Notification.attempts: attempts,
                            Notification.delivery_error: error})
            return "failed"
        await note.set({Notification.attempts: attempts, Notification.delivery_error: error,
                        Notification.next_attempt_ms: now_ms + BACKOFF_S[attempts - 1] * 1000})
        return "retrying"


def _unwanted(note: Notification, user: User | None) -> str | None:
    """Why the note is kept but not sent (no user, direct messages off, its topic switched off), or None."""
    if user is None:
        return "no such user"
    prefs = user.settings.notifications
    if not prefs.dm_enabled:
        return "direct messages are off"
    topic = NotificationTopic.of(NotificationKind(note.kind))
    if topic in prefs.muted and topic is not NotificationTopic.SAFETY:
        return f"you switched off direct messages for {topic.label}"
    return None
