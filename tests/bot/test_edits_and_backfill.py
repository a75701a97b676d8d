"""The listener beyond new messages (dpytest): an edit or a deletion is recorded and never trades, holders are
told what changed; after being away the bot reads each provider channel from its last message, oldest first,
and a call that has gone stale meanwhile is recorded and skipped with the reason."""

from __future__ import annotations

from datetime import timedelta

import discord.ext.test as dpytest
from discord.ext.test import factories

from bot.client import SignalcordBot
from bot.cogs.listener import SignalListener
from core.app import Services
from core.domain import NotificationKind
from models import Decision, Message, Notification, OrderIntent, Position
from tests.conftest import FakeClock

CALL = "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"


async def _follow(services: Services) -> None:
    config = dpytest.get_config()
    provider = await services.accounts.register_provider("Alpha", config.channels[0].id,
                                                         guild_id=config.guilds[0].id)
    user = await services.accounts.ensure_user(config.members[1].id, config.members[1].name)
    await services.accounts.subscribe(user, provider)


async def test_an_edited_call_is_recorded_and_holders_are_told_nothing_trades(bot: SignalcordBot,
                                                                             services: Services) -> None:
    await _follow(services)
    posted = await dpytest.message(CALL, channel=dpytest.get_config().channels[0])
    orders = await OrderIntent.count()

    ids = {"channel_id": str(posted.channel.id), "guild_id": str(posted.guild.id)}
    edited = factories.dict_from_message(posted) | ids | {"content": CALL.replace("SL 41000", "SL 40500"),
                                                          "edited_timestamp": "2026-04-01T12:05:00+00:00"}
    bot._connection.parse_message_update(edited)  # type: ignore[attr-defined]  # Discord's MESSAGE_UPDATE
    await dpytest.run_all_events()

    message = await Message.find_one(Message.message_id == posted.id)
    assert message is not None and [e["text"] for e in message.edits] == [CALL.replace("SL 41000", "SL 40500")]
    assert await OrderIntent.count() == orders  # nothing placed or cancelled
    [position] = await Position.find_all().to_list()
    assert position.stop_loss == 41_000.0
    told = await Notification.find_one(Notification.kind == NotificationKind.CALL_EDITED)
    assert told is not None and "stop 41000 -> 40500" in told.text and "original levels" in told.text


async def test_a_deleted_call_is_recorded_and_the_position_stays(bot: SignalcordBot, services: Services) -> None:
    await _follow(services)
    posted = await dpytest.message(CALL, channel=dpytest.get_config().channels[0])

    bot._connection.parse_message_delete({  # type: ignore[attr-defined]
        "id": str(posted.id), "channel_id": str(posted.channel.id), "guild_id": str(posted.guild.id)})
    await dpytest.run_all_events()

    message = await Message.find_one(Message.message_id == posted.id)
    assert message is not None and message.deleted_at_ms is not None
    assert [p.status for p in await Position.find_all().to_list()] == ["open"]
    told = await Notification.find_one(Notification.kind == NotificationKind.CALL_DELETED)
    assert told is not None and "stays open" in told.text


async def test_after_being_away_the_bot_reads_what_it_missed_once_and_skips_stale_calls(
        bot: SignalcordBot, services: Services, clock: FakeClock) -> None:
    await _follow(services)
    channel = dpytest.get_config().channels[0]
    listener = bot.get_cog("SignalListener")
    assert isinstance(listener, SignalListener)
    await dpytest.message("gm, calls soon", channel=channel)  # read live
    await bot.remove_cog("SignalListener")  # the bot is away
    missed = await dpytest.message(CALL, channel=channel)
    await dpytest.message("ETH/USDT SHORT entry 2000 TP1 1900 SL 2100", channel=channel)
    await bot.add_cog(listener)
    clock.now = missed.created_at + timedelta(hours=2)  # back two hours later: past the default signal age

    assert await listener.backfill() >= 2
    again = await listener.backfill()  # a second start reads nothing twice

    texts = [m.text async for m in Message.find_all().sort("message_id")]
    assert texts == ["gm, calls soon", CALL, "ETH/USDT SHORT entry 2000 TP1 1900 SL 2100"]
    assert again <= 1 and await Message.count() == 3
    decisions = await Decision.find_all().to_list()
    assert decisions and all(d.outcome.value == "block" and "stale" in d.reason for d in decisions)
    assert await Position.count() == 0
