"""The clock is injected: pure code takes `now` as a parameter; services take a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(stamp: float) -> datetime:
    """The UTC moment of an epoch-milliseconds stamp."""
    return datetime.fromtimestamp(stamp / 1000, UTC)


def day_start(moment: datetime, timezone: str) -> datetime:
    """Midnight of `moment`'s day in `timezone` (an IANA name; unknown names fall back to UTC)."""
    zone = _zone(timezone)
    local = moment.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def next_day_start(moment: datetime, timezone: str) -> datetime:
    start = day_start(moment, timezone)
    return (start + timedelta(days=1, hours=2)).replace(hour=0)  # +2 h survives a 23 h DST day


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
