"""What the adapters feed in and take out: provider messages in (the Discord listener, later webhooks), the
notification sinks (the Discord DM sink, later the dashboard's live feed), and the app's health."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel

from core.domain import RawMessage
from core.parsing.symbols import BUNDLED_MARKETS
from core.services.intake.edits import CallEdits
from core.services.intake.pipeline import Pipeline
from core.services.notify.notifier import NotificationEvent, NotificationSink, Notifier, PermanentDeliveryError
from models import Message, Provider

Health = Callable[[float], Awaitable[tuple[bool, dict[str, str]]]]


class IngestSummary(BaseModel):
    status: str  # ignored | duplicate | processed
    kind: str | None = None  # signal | rejected | update | noise
    reason: str | None = None
    decisions: int = 0  # subscribers decided on (each one's outcome is stored, and told by DM)


class Intake:
    def __init__(self, pipeline: Pipeline, edits: CallEdits) -> None:
        self.pipeline = pipeline
        self.edits = edits

    async def ingest(self, raw: RawMessage) -> IngestSummary:
        """A message from a provider channel: stored at most once, parsed, decided for every subscriber."""
        result = await self.pipeline.ingest(raw)
        return IngestSummary(status=result.status, kind=result.kind, reason=result.reason,
                             decisions=len(result.outcomes))


    async def edited(self, channel_id: int, message_id: int, text: str, at: datetime) -> str:
        """A provider edited a message: recorded, never traded; holders of a position from it are told."""
        return await self.edits.edited(channel_id, message_id, text, at)

    async def deleted(self, channel_id: int, message_id: int, at: datetime) -> str:
        """A provider deleted a message: recorded, never traded; holders of a position from it are told."""
        return await self.edits.deleted(channel_id, message_id, at)

    def symbols(self, typed: str, quote: str = "USDT", limit: int = 25) -> list[str]:
        """Pairs whose base starts with what was typed (the venues' markets, else the bundled list)."""
        bases = self.pipeline.markets() or BUNDLED_MARKETS
        wanted = typed.upper().split("/")[0].strip()
        found = sorted(b for b in bases if b.startswith(wanted))
        return [f"{base}/{quote}" for base in sorted(found, key=lambda b: (len(b), b))[:limit]]

    async def channels(self) -> dict[int, int | None]:
        """Each enabled provider channel and the newest message id read from it (None: none yet), so a
        listener that was away reads what came after it, oldest first."""
        found: dict[int, int | None] = {}
        for provider in await Provider.find(Provider.enabled == True).to_list():  # noqa: E712
            if provider.source == "webhook":  # posted to the dashboard, not read from Discord
                continue
            newest = await Message.find(Message.channel_id == provider.channel_id).sort("-message_id").first_or_none()
            found[provider.channel_id] = newest.message_id if newest is not None else None
        return found


class Notifications:
    """The sinks the delivery job sends through. A sink raises PermanentDeliveryError for an unreachable user."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def add_sink(self, sink: NotificationSink) -> None:
        self.notifier.add_sink(sink)

    def remove_sink(self, sink: NotificationSink) -> None:
        self.notifier.remove_sink(sink)


__all__ = [
    "IngestSummary",
    "Intake",
    "NotificationEvent",
    "NotificationSink",
    "Notifications",
    "PermanentDeliveryError",
]
