"""The daily summary: at the time each user chose in their own timezone, once per local day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.api.errors import Invalid
from core.api.views import Caller
from core.app import Services
from core.domain import NotificationKind
from core.services.notify.summary import DailySummary
from models import Notification, RealizedPnl
from tests.conftest import FakeClock


async def test_the_summary_comes_at_the_users_local_time_once_a_day(services: Services, clock: FakeClock) -> None:
    caller = Caller(discord_id=77, name="tokyo")
    await services.api.risk.set_timezone(caller, "Asia/Tokyo")  # UTC+9
    view = await services.api.activity.set_summary(caller, "21:00")
    assert view.summary_at == "21:00"
    with pytest.raises(Invalid, match="not a time like 21:00"):
        await services.api.activity.set_summary(caller, "9pm")
    user = await services.accounts.ensure_user(77, "tokyo")
    job = DailySummary(services.notifier, clock)
    clock.now = datetime(2026, 4, 1, 11, 30, tzinfo=UTC)  # 20:30 in Tokyo
    await RealizedPnl(trade_id="t1", position_id="a" * 24, user_id=str(user.id), account_id="b" * 24,
                      exchange="binance", symbol="BTC/USDT", pnl=-12.5, at_ms=int(clock().timestamp() * 1000)).insert()

    assert await job.run() == 0  # not 21:00 there yet
    clock.now = datetime(2026, 4, 1, 12, 1, tzinfo=UTC)  # 21:01 in Tokyo
    assert await job.run() == 1
    assert await job.run() == 0  # once a day
    clock.now = datetime(2026, 4, 2, 12, 5, tzinfo=UTC)
    assert await job.run() == 1  # the next local day

    notes = await Notification.find(Notification.kind == NotificationKind.DAILY_SUMMARY).sort("created_at").to_list()
    assert [n.text.split(":")[0] for n in notes] == ["Your day (2026-04-01)", "Your day (2026-04-02)"]
    assert "realised P&L -12.50 from 1 closed trade(s)" in notes[0].text
