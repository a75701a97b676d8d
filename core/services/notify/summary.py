"""The daily summary job: at the time each user chose, in their own timezone, one notification with the day's
realised P&L, closed trades and open positions. Sent once per local day (a missed run sends it at the next one);
one user's failure never stops the others."""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from core.clock import Clock, epoch_ms
from core.config.logs import RateLimitedLog
from core.domain import NotificationKind
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from models import Position, RealizedPnl, User
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
_skipped = RateLimitedLog(logger)


def due(user: User, now: datetime) -> str | None:
    """The local date a summary is due for now, or None (not set, not time yet, or sent today)."""
    prefs = user.settings.notifications
    if prefs.summary_at is None:
        return None
    local = now.astimezone(ZoneInfo(user.settings.timezone))
    hour, minute = (int(part) for part in prefs.summary_at.split(":"))
    today = local.date().isoformat()
    if local.time() < time(hour, minute) or prefs.summary_sent_on == today:
        return None
    return today


class DailySummary:
    def __init__(self, notifier: Notifier, clock: Clock) -> None:
        self.notifier = notifier
        self.clock = clock

    async def run(self) -> int:
        now = self.clock()
        sent = 0
        for user in await User.find({"settings.notifications.summary_at": {"$type": "string"}}).to_list():
            try:
                day = due(user, now)
                if day is not None:
                    await self._send(user, day, now)
                    sent += 1
            except Exception as exc:  # one user's summary never stops the others
                _skipped.warning(f"summary {user.id}", "daily summary for user %s failed: %s", user.id, exc,
                                 exc_info=True)
        return sent

    async def _send(self, user: User, day: str, now: datetime) -> None:
        zone = ZoneInfo(user.settings.timezone)
        midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        rows = await RealizedPnl.find(where({"user_id": ref(user), "at_ms": {"$gte": epoch_ms(midnight)}})).to_list()
        open_positions = await Position.active(user_id=ref(user))
        paused = user.paused_reason if user.trading_paused else None
        text = messages.daily_summary(day, sum(r.pnl for r in rows), len({r.position_id for r in rows}),
                                      len(open_positions), paused)
        await self.notifier.notify(user, NotificationKind.DAILY_SUMMARY, text, once_per=day)
        await user.set({"settings.notifications.summary_sent_on": day})
