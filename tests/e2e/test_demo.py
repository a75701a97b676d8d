"""The offline demo's transcript through the real pipeline on the bundled candles: every call is read as meant,
the opinion is not traded, the late call is skipped with the chase guard's reason, and as the candles play the
BTC long reaches both targets (its stop moved to the entry by the provider's update), the ETH short its first
target and the SOL long its stop. Time is the test's clock, advanced instead of slept."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.api import Caller, Invalid
from core.app import Services, build_services
from models import Decision, Message, Notification, Position
from signalcord import demo
from tests.conftest import FakeClock, make_settings


@pytest.fixture
async def demo_services(mongo_url: str, tmp_path: Path) -> AsyncIterator[tuple[Services, FakeClock]]:
    clock = FakeClock(demo.Transcript.load().start)
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = demo.demo_settings(make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name))
    assert settings.db_name == f"{name}_demo"
    async with build_services(settings, clock=clock) as built:
        yield built, clock
        await built.client.drop_database(settings.db_name)


async def test_the_demo_shows_the_whole_job(demo_services: tuple[Services, FakeClock]) -> None:
    services, clock = demo_services

    async def advance(seconds: float) -> None:
        clock.advance(seconds=seconds * demo.SPEED)
        await services.monitor.tick()

    await demo.play(services, demo.Transcript.load(), clock, wait=advance)
    for _ in range(40):  # forty market minutes after the last call
        await advance(1)

    kinds = {m.message_id: m.kind for m in await Message.find_all().to_list()}
    assert kinds == {1: "signal", 2: "signal", 3: "signal", 4: "noise", 5: "update", 6: "signal"}
    closed = {p.symbol: p.close_reason for p in await Position.find(Position.status == "closed").to_list()}
    assert closed == {"BTC/USDT": "last target hit", "SOL/USDT": "stop-loss hit"}
    [eth] = await Position.find(Position.status == "open").to_list()
    assert (eth.symbol, eth.targets_hit) == ("ETH/USDT", 1)
    [blocked] = await Decision.find(Decision.outcome == "block").to_list()
    assert blocked.rule == "chase_guard"
    texts = [n.text for n in await Notification.find_all().to_list()]
    assert any(t.startswith("Provider update on your BTC/USDT position (move_sl): stop moved to")
               and t.endswith("(your entry price).") for t in texts)
    assert any(t.startswith("Did not trade LONG XRP/USDT") for t in texts)
    assert clock() - demo.Transcript.load().start < timedelta(hours=2)


async def test_the_signals_feed_explains_each_message(demo_services: tuple[Services, FakeClock]) -> None:
    services, clock = demo_services

    async def advance(seconds: float) -> None:
        clock.advance(seconds=seconds * demo.SPEED)

    await demo.play(services, demo.Transcript.load(), clock, wait=advance)
    local = Caller(discord_id=demo.LOCAL_USER[0], name=demo.LOCAL_USER[1])
    feed = await services.api.feed.signals(local)
    assert [i.outcome for i in feed] == ["block", "update", "noise", "trade", "trade", "trade"]
    assert feed[0].rule == "chase_guard" and "past your chase limit" in (feed[0].reason or "")
    assert feed[2].reason == "no entry price or market-entry instruction"
    assert [i.symbol for i in await services.api.feed.signals(local, outcome="trade")] == [
        "SOL/USDT", "ETH/USDT", "BTC/USDT"]
    assert [i.outcome for i in await services.api.feed.signals(local, symbol="xrp/usdt")] == ["block"]
    with pytest.raises(Invalid, match="outcome: 'maybe' is not one of"):
        await services.api.feed.signals(local, outcome="maybe")
    assert await services.api.feed.signals(Caller(discord_id=99, name="stranger")) == []
