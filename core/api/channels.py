"""What the adapters feed in and take out: provider messages in (the Discord listener, later webhooks), the
notification sinks (the Discord DM sink, later the dashboard's live feed), and the app's health."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from core.domain import RawMessage
from core.services.intake.pipeline import Pipeline
from core.services.notify.notifier import NotificationEvent, NotificationSink, Notifier, PermanentDeliveryError

Health = Callable[[float], Awaitable[tuple[bool, dict[str, str]]]]


class IngestSummary(BaseModel):
    status: str  # ignored | duplicate | processed
    kind: str | None = None  # signal | rejected | update | noise
    reason: str | None = None
    decisions: int = 0  # subscribers decided on (each one's outcome is stored, and told by DM)


class Intake:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def ingest(self, raw: RawMessage) -> IngestSummary:
        """A message from a provider channel: stored at most once, parsed, decided for every subscriber."""
        result = await self.pipeline.ingest(raw)
        return IngestSummary(status=result.status, kind=result.kind, reason=result.reason,
                             decisions=len(result.outcomes))


class Notifications:
    """The sinks the delivery job sends through. A sink raises PermanentDeliveryError for an unreachable user."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def add_sink(self, sink: NotificationSink) -> None:
        self.notifier.add_sink(sink)

    def remove_sink(self, sink: NotificationSink) -> None:
        self.notifier.remove_sink(sink)


class Status:
    def __init__(self, health: Health) -> None:
        self._health = health

    async def health(self, timeout: float = 3.0) -> tuple[bool, dict[str, str]]:
        """(healthy, report): each part and what is wrong with it."""
        return await self._health(timeout)


__all__ = [
    "IngestSummary",
    "Intake",
    "NotificationEvent",
    "NotificationSink",
    "Notifications",
    "PermanentDeliveryError",
    "Status",
]
