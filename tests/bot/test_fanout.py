"""A call for 1,000 subscribers through the real bot (dpytest's gateway, the Alerts DM sink): the trading path
stores the notifications and sends nothing; the delivery job then sends the DMs one at a time, at most 500 a run,
so the rest waits for the next run instead of hammering Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import discord.ext.test as dpytest
import pytest

from bot.client import SignalcordBot
from core.app import Services
from models import Notification, Position
from tests.bot.conftest import started_bot

MEMBERS = 1_000


@pytest.fixture
async def crowd(services: Services) -> AsyncIterator[SignalcordBot]:
    yield await started_bot(services, MEMBERS + 1)
    await dpytest.empty_queue()


async def test_a_thousand_dms_queue_and_never_block_the_trade(crowd: SignalcordBot, services: Services,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    config = dpytest.get_config()
    channel = config.channels[0]
    provider = await services.accounts.register_provider("Alpha", channel.id, guild_id=config.guilds[0].id)
    for member in config.members[1:]:
        await services.accounts.subscribe(await services.accounts.ensure_user(member.id, member.name), provider)
    sends = 0
    send = discord.abc.Messageable.send

    async def counted(self: discord.abc.Messageable, *args: object, **kwargs: object) -> discord.Message:
        nonlocal sends
        sends += 1
        return await send(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(discord.abc.Messageable, "send", counted)
    await dpytest.message("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x", channel=channel)
    assert await Position.count() == MEMBERS and await Notification.count() == MEMBERS
    assert sends == 0, "the trading path stores notifications; it sends nothing"

    first = await services.delivery.run()
    assert (first.delivered, sends) == (500, 500)
    assert await Notification.find(Notification.delivery == "pending").count() == MEMBERS - 500
    second = await services.delivery.run()
    assert (second.delivered, sends) == (MEMBERS - 500, MEMBERS)
    assert await Notification.find(Notification.delivery == "delivered").count() == MEMBERS
