"""Discord adapter through dpytest: a provider's message reaches the pipeline and the user gets a DM."""

from __future__ import annotations

import discord
import discord.ext.test as dpytest
import pytest

from bot.client import SignalcordBot
from core.app import Services
from models import Message, Notification, Position


async def test_a_call_in_a_provider_channel_trades_and_dms_the_subscriber(bot: SignalcordBot,
                                                                           services: Services) -> None:
    config = dpytest.get_config()
    channel, trader = config.channels[0], config.members[1]
    provider = await services.accounts.register_provider("Alpha", channel.id, guild_id=config.guilds[0].id)
    user = await services.accounts.ensure_user(trader.id, trader.name)
    await services.accounts.subscribe(user, provider)

    await dpytest.message("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x", channel=channel)
    assert await Message.count() == 1 and await Position.count() == 1
    assert dpytest.verify().message().nothing()  # the trade did not wait for Discord

    assert (await services.delivery.run()).delivered == 1
    dm = dpytest.get_message()
    assert isinstance(dm.channel, discord.DMChannel)
    [embed] = dm.embeds
    assert (embed.description or "").startswith("Opened LONG 0.08 BTC/USDT @ 42250 (paper, 10x")
    assert embed.colour == discord.Colour.green()  # opened: green
    note = await Notification.find_one()
    assert note is not None and note.delivered_at_ms is not None and note.delivery == "delivered"


async def test_messages_outside_provider_channels_are_ignored(bot: SignalcordBot) -> None:
    await dpytest.message("BTC/USDT LONG entry 42000 TP1 43000 SL 41000")
    assert await Message.count() == 0
    assert dpytest.verify().message().nothing()


class _Response:
    status, reason = 403, "Forbidden"


async def test_a_member_with_closed_dms_is_not_retried_and_the_notification_stays(
        bot: SignalcordBot, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    config = dpytest.get_config()
    channel, trader = config.channels[0], config.members[1]
    provider = await services.accounts.register_provider("Alpha", channel.id, guild_id=config.guilds[0].id)
    user = await services.accounts.ensure_user(trader.id, trader.name)
    await services.accounts.subscribe(user, provider)
    sends = 0

    async def closed(self: object, *args: object, **kwargs: object) -> None:
        nonlocal sends
        sends += 1
        raise discord.Forbidden(_Response(), {"code": 50007, "message": "Cannot send messages to this user"})

    monkeypatch.setattr(discord.abc.Messageable, "send", closed)
    await dpytest.message("BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x", channel=channel)

    first = await services.delivery.run()
    again = await services.delivery.run()

    assert (first.failed, again.failed, again.delivered, sends) == (1, 0, 0, 1)  # tried once, never again
    note = await Notification.find_one()
    assert note is not None and note.delivery == "failed" and "direct messages" in (note.delivery_error or "")
