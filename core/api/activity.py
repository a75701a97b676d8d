"""A member's activity: why a call did or did not trade, realised P&L and per-provider results over a period,
notifications and their preferences (topics, direct messages, the daily summary)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from core.api.common import Members
from core.api.errors import Invalid, NotFound
from core.api.providers import get as get_provider
from core.api.views import (
    Caller,
    CallTestView,
    NotificationView,
    ParseView,
    PnlView,
    PreferencesView,
    ProviderResultView,
    TopicView,
    WhyView,
)
from core.clock import epoch_ms, from_ms
from core.domain import NewSignal, NotificationTopic
from core.parsing import parse
from core.parsing.explain import explain
from core.parsing.output import to_record
from core.services.decide import risk_settings
from core.services.decide.deciding import Decider
from core.services.decide.dry_run import dry_run
from core.services.intake.pipeline import reading_context
from models import Notification, Position, Provider, RealizedPnl, User
from models.query import where
from models.refs import ref


class Activity:
    def __init__(self, members: Members, decider: Decider) -> None:
        self.members = members
        self.decider = decider

    async def try_call(self, caller: Caller, text: str, provider_id: str) -> CallTestView:
        """How a message reads for that provider, and — when it is a call — what the caller's own profile would
        do with it now: the decision and every check's verdict. Nothing is traded or stored."""
        provider = await get_provider(provider_id)
        context = reading_context(provider)
        parsed = parse(text, context)  # read once: shown, and decided on
        reading = ParseView(record=to_record(None, parsed), explanation=explain(text, context))
        if not isinstance(parsed, NewSignal):
            return CallTestView(reading=reading, decision=None)
        decision = await dry_run(self.decider, await self.members.user(caller), provider, parsed, text,
                                 self.decider.clock())
        checks = [c.model_dump() for c in decision.details.checks]
        return CallTestView(reading=reading, decision=WhyView(text, decision.outcome.value, decision.rule,
                                                              decision.reason, checks))

    async def why(self, caller: Caller, channel_id: int, message_id: int) -> WhyView:
        """What was decided for the caller on the call in that Discord message, with every check's verdict."""
        found = await risk_settings.why(await self.members.user(caller), channel_id, message_id)
        if found is None:
            raise NotFound("Signalcord has no record of that message (not a provider channel, or before it joined)")
        return WhyView(found.signal, found.outcome, found.rule, found.reason, list(found.checks))

    async def notifications(self, caller: Caller, limit: int = 20) -> list[NotificationView]:
        return await recent_notifications(await self.members.user(caller), limit)

    async def pnl(self, caller: Caller, period: str = "week") -> PnlView:
        """Realised P&L per day over `period` (day, week, month or all), counted in the caller's timezone."""
        user = await self.members.user(caller)
        zone = ZoneInfo(user.settings.timezone)
        query: dict[str, Any] = {"user_id": ref(user)}
        since = _period_start(period, user, self.decider.clock())
        if since is not None:
            query["at_ms"] = {"$gte": since}
        rows = await RealizedPnl.find(where(query)).sort("at_ms").to_list()
        by_day: dict[str, float] = {}
        for row in rows:
            day = from_ms(row.at_ms).astimezone(zone).date().isoformat()
            by_day[day] = by_day.get(day, 0.0) + row.pnl
        trades = len({row.position_id for row in rows})
        return PnlView(period=period, total=sum(by_day.values()), trades=trades, days=list(by_day.items()))

    async def leaderboard(self, caller: Caller, period: str = "month") -> list[ProviderResultView]:
        """The providers the caller traded, ranked by the net result of the caller's closed trades."""
        user = await self.members.user(caller)
        since = _period_start(period, user, self.decider.clock())
        query: dict[str, Any] = {"user_id": ref(user), "status": "closed"}
        if since is not None:
            query["closed_at_ms"] = {"$gte": since}
        closed = await Position.find(where(query)).to_list()
        names = {str(p.id): p.name for p in await Provider.find_all().to_list()}
        by_provider: dict[str, list[float]] = {}
        for position in closed:
            by_provider.setdefault(position.provider_id, []).append(position.realized_pnl)
        rows = []
        for provider_id, results in by_provider.items():
            gains, losses = sum(r for r in results if r > 0), -sum(r for r in results if r < 0)
            rows.append(ProviderResultView(provider=names.get(provider_id, "a removed provider"), trades=len(results),
                                           win_rate=sum(1 for r in results if r > 0) / len(results),
                                           profit_factor=gains / losses if losses > 0 else None,
                                           net_pnl=sum(results)))
        return sorted(rows, key=lambda r: -r.net_pnl)

    async def preferences(self, caller: Caller) -> PreferencesView:
        """Whether direct messages are on, and each notification topic with its state."""
        return _preferences(await self.members.user(caller))

    async def set_dm(self, caller: Caller, enabled: bool) -> PreferencesView:
        user = await self.members.user(caller)
        await user.set({"settings.notifications.dm_enabled": enabled})
        return _preferences(user)

    async def set_topic(self, caller: Caller, topic: str, on: bool) -> PreferencesView:
        """Switch one topic's direct messages on or off (they are still stored for the dashboard)."""
        try:
            chosen = NotificationTopic(topic)
        except ValueError:
            raise Invalid([f"no notification topic {topic!r}; choose one of: "
                           + ", ".join(t.value for t in NotificationTopic)]) from None
        if chosen is NotificationTopic.SAFETY and not on:
            raise Invalid(["safety notices (a refused order, a position without a working stop, a halted market) "
                           "cannot be switched off"])
        user = await self.members.user(caller)
        muted = set(user.settings.notifications.muted) - {chosen} | (set() if on else {chosen})
        await user.set({"settings.notifications.muted": sorted(muted)})
        return _preferences(user)

    async def set_summary(self, caller: Caller, at: str | None) -> PreferencesView:
        """The daily summary's time, "HH:MM" in the caller's timezone (None: no summary)."""
        if at is not None:
            try:
                parsed = datetime.strptime(at.strip(), "%H:%M")
            except ValueError:
                raise Invalid([f"summary: {at!r} is not a time like 21:00"]) from None
            at = parsed.strftime("%H:%M")
        user = await self.members.user(caller)
        await user.set({"settings.notifications.summary_at": at})
        user.settings.notifications.summary_at = at
        return _preferences(user)


    async def set_theme(self, caller: Caller, theme: str) -> PreferencesView:
        """The dashboard's colours, saved on the user (light or dark)."""
        if theme not in THEMES:
            raise Invalid([f"theme: {theme!r} is not one of {', '.join(THEMES)}"])
        user = await self.members.user(caller)
        await user.set({"settings.theme": theme})
        return _preferences(user)


THEMES: Final = ("light", "dark")


async def recent_notifications(user: User, limit: int = 20) -> list[NotificationView]:
    """The user's latest notifications, newest first (what was sent, or why not)."""
    notes = await Notification.find(where(Notification.user_id == ref(user))).sort(
        "-created_at").limit(max(1, min(limit, 200))).to_list()
    return [NotificationView(id=str(n.id), kind=n.kind, text=n.text, delivery=n.delivery,
                             delivery_error=n.delivery_error) for n in notes]


def _preferences(user: User) -> PreferencesView:
    prefs = user.settings.notifications
    return PreferencesView(dm_enabled=prefs.dm_enabled, summary_at=prefs.summary_at, theme=user.settings.theme,
                           topics=[
        TopicView(topic=t.value, label=t.label, on=t not in prefs.muted, locked=t is NotificationTopic.SAFETY)
        for t in NotificationTopic])



PERIODS: Final = {"day": 1, "week": 7, "month": 30, "all": None}  # days back, today included


def _period_start(period: str, user: User, now: datetime) -> int | None:
    """Epoch ms of the first local midnight of `period` for this user (None: all time)."""
    if period not in PERIODS:
        raise Invalid([f"period: {period!r} is not one of {', '.join(PERIODS)}"])
    back = PERIODS[period]
    if back is None:
        return None
    today = now.astimezone(ZoneInfo(user.settings.timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
    return epoch_ms(today - timedelta(days=back - 1))
