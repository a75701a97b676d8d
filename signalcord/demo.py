"""The offline demo: without Discord, a demo provider posts a bundled transcript of calls and updates (written to
match the bundled candles) through the real pipeline, in accelerated time, for the local user the dashboard's
local login signs in. Within a minute the dashboard shows calls arriving, decisions with their reasons, positions
with their stops, targets hit, a stop hit and the notifications. It runs on its own database (`<name>_demo`,
emptied at each start), so demo records never mix with real ones."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.app import Services
from core.clock import Clock, from_ms
from core.config.settings import Settings
from core.domain import RawMessage

logger = logging.getLogger(__name__)
TRANSCRIPT = Path(__file__).with_name("demo_transcript.json")
SPEED = 60.0  # one market minute per real second
CHANNEL = 1  # the demo provider's channel (no real Discord channel has id 1)
LOCAL_USER = (0, "Local user")  # who the dashboard's local login signs in


def active(settings: Settings) -> bool:
    """The demo runs only without Discord configured, unless SIGNALCORD_DEMO=0."""
    return settings.demo and settings.discord_token is None


def demo_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_name": f"{settings.db_name}_demo"})


class AcceleratedClock:
    """Market time that starts at `start` and runs `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float = SPEED) -> None:
        self.start, self.speed, self.origin = start, speed, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.origin) * self.speed)


@dataclass(frozen=True)
class Transcript:
    start: datetime
    messages: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path = TRANSCRIPT) -> Transcript:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(start=from_ms(raw["start_ms"]), messages=raw["messages"])


async def play(services: Services, transcript: Transcript, clock: Clock, *, speed: float = SPEED,
               wait: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Post the transcript's messages at their market times (each through the real pipeline, as Discord would);
    `wait` pauses for a number of real seconds."""
    provider = await services.accounts.register_provider("Demo signals (sample data)", CHANNEL)
    user = await services.accounts.ensure_user(*LOCAL_USER)
    await services.accounts.subscribe(user, provider)
    for message in transcript.messages:
        due = transcript.start + timedelta(minutes=message["after_min"])
        pause = (due - clock()).total_seconds() / speed
        if pause > 0:
            await wait(pause)
        try:
            result = await services.pipeline.ingest(RawMessage(
                channel_id=CHANNEL, message_id=int(message["id"]), author="Demo provider", text=message["text"],
                created_at=clock(), reply_to=message.get("reply_to")))
            logger.info("demo: posted message %s (%s)", message["id"], result.status)
        except Exception:  # one bad message must not end the demo
            logger.exception("demo: message %s failed", message["id"])
    logger.info("demo: every call is posted; positions keep following the candles")
