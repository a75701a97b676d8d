"""The operator's status report: the database, the Discord connection, each price source with its circuit
breaker, the scheduler's jobs with their last run and result, and the notification delivery queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from pydantic import BaseModel

from core.api.channels import Health
from core.api.servers import require_admin
from core.api.views import Caller
from core.clock import epoch_ms
from models import Notification

DiscordState = Callable[[], str]


class SourceView(BaseModel):
    name: str
    breaker: str  # closed (working) | open (skipped for a minute after repeated failures) | half-open (one trial)


class JobView(BaseModel):
    id: str
    next_run_ms: int | None
    last_run_ms: int | None
    last_result: str  # ok | the error | missed | not run yet


class StatusView(BaseModel):
    healthy: bool
    parts: dict[str, str]
    discord: str
    price_sources: list[SourceView]
    jobs: list[JobView]
    pending_notifications: int
    failed_notifications: int


class JobLog:
    """The last run and result of each scheduler job (an APScheduler listener)."""

    def __init__(self) -> None:
        self.runs: dict[str, tuple[int, str]] = {}

    def __call__(self, event: JobExecutionEvent) -> None:
        result = "missed" if event.code == EVENT_JOB_MISSED else \
            f"error: {type(event.exception).__name__}: {event.exception}"[:200] if event.exception else "ok"
        self.runs[event.job_id] = (epoch_ms(event.scheduled_run_time), result)

    def watch(self, scheduler: Any) -> None:
        scheduler.add_listener(self, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)


class Status:
    def __init__(self, health: Health, prices: Any = None, scheduler: Any = None) -> None:
        self._health = health
        self.prices = prices
        self.scheduler = scheduler
        self.jobs = JobLog()
        if scheduler is not None:
            self.jobs.watch(scheduler)
        self.discord: DiscordState = lambda: "not configured (DISCORD_TOKEN is not set)"

    async def health(self, timeout: float = 3.0) -> tuple[bool, dict[str, str]]:
        """(healthy, report): each part and what is wrong with it."""
        return await self._health(timeout)

    def watch_discord(self, state: DiscordState) -> None:
        self.discord = state

    async def report(self, caller: Caller, timeout: float = 3.0) -> StatusView:
        await require_admin(caller, "the status page")
        healthy, parts = await self._health(timeout)
        breakers = getattr(self.prices, "breakers", None) or {}
        sources = [SourceView(name=name, breaker=b.state) for name, b in breakers.items()] or [
            SourceView(name=type(self.prices).__name__ if self.prices is not None else "none", breaker="n/a")]
        jobs = []
        for job in self.scheduler.get_jobs() if self.scheduler is not None else []:
            ran = self.jobs.runs.get(job.id)
            upcoming: datetime | None = getattr(job, "next_run_time", None)
            jobs.append(JobView(id=job.id, next_run_ms=epoch_ms(upcoming) if upcoming else None,
                                last_run_ms=ran[0] if ran else None, last_result=ran[1] if ran else "not run yet"))
        pending = await Notification.find({"delivery": {"$eq": "pending"}}).count()
        failed = await Notification.find({"delivery": {"$eq": "failed"}}).count()
        return StatusView(healthy=healthy, parts=parts, discord=self.discord(), price_sources=sources, jobs=jobs,
                          pending_notifications=pending, failed_notifications=failed)
