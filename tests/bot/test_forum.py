"""A forum followed as a provider: every post is a thread of the forum, so a call in a post belongs to the forum's
provider; an edit in a post is recorded against it. Driven by Discord's gateway payloads (CHANNEL_CREATE of a
forum, THREAD_CREATE of a post, MESSAGE_CREATE and MESSAGE_UPDATE in it) through discord.py's own parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import discord.ext.test as dpytest
from discord.ext.test import factories

from bot.client import SignalcordBot
from core.app import Services
from models import Message, Position

CALL = "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"
POSTED = datetime(2026, 4, 1, 12, tzinfo=UTC)  # the services' clock: the call is fresh
FORUM, POST = 700_000_000_000_000_001, 700_000_000_000_000_002
MESSAGE = discord.utils.time_snowflake(POSTED)  # a message id carries its time


async def test_a_call_in_a_forum_post_trades_for_the_forums_subscribers(bot: SignalcordBot,
                                                                        services: Services) -> None:
    config = dpytest.get_config()
    guild, trader = config.guilds[0], config.members[1]
    state = bot._connection  # type: ignore[attr-defined]
    state.parse_channel_create({"id": str(FORUM), "type": 15, "guild_id": str(guild.id), "name": "signals",
                                "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None,
                                "rate_limit_per_user": 0, "topic": None, "last_message_id": None,
                                "available_tags": [], "default_reaction_emoji": None, "flags": 0,
                                "default_thread_rate_limit_per_user": 0, "default_sort_order": None,
                                "default_forum_layout": 0})
    state.parse_thread_create({"id": str(POST), "guild_id": str(guild.id), "parent_id": str(FORUM), "type": 11,
                               "name": "BTC idea", "owner_id": str(trader.id), "message_count": 1,
                               "member_count": 1, "rate_limit_per_user": 0, "applied_tags": [],
                               "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                                   "archive_timestamp": "2026-04-01T12:00:00+00:00",
                                                   "locked": False}})
    await dpytest.run_all_events()
    assert isinstance(bot.get_channel(FORUM), discord.ForumChannel)
    provider = await services.accounts.register_provider("Forum calls", FORUM, guild_id=guild.id)
    await services.accounts.subscribe(await services.accounts.ensure_user(trader.id, trader.name), provider)

    post = bot.get_channel(POST)
    assert isinstance(post, discord.Thread) and post.parent_id == FORUM
    state.parse_message_create(factories.make_message_dict(post, config.members[0], MESSAGE, content=CALL,
                                                           guild_id=guild.id))
    await dpytest.run_all_events()

    stored = await Message.find_one(Message.message_id == MESSAGE)
    assert stored is not None and stored.channel_id == FORUM and stored.kind == "signal"
    assert await Position.count() == 1

    edited = CALL.replace("SL 41000", "SL 40500")
    cached = state._get_message(MESSAGE)
    assert cached is not None
    state.parse_message_update(factories.dict_from_message(cached) | {
        "channel_id": str(POST), "guild_id": str(guild.id), "content": edited,
        "edited_timestamp": "2026-04-01T12:05:00+00:00"})
    await dpytest.run_all_events()
    again = await Message.find_one(Message.message_id == MESSAGE)
    assert again is not None and [e["text"] for e in again.edits] == [edited]
