"""Provider channels in: new messages (replies keep the id they answer) go to the signal pipeline; edits and
deletions are recorded and never trade; after a start or a reconnect each provider channel is read from the
last message seen, oldest first, so nothing is missed and nothing runs twice (a call that is too old by then is
recorded and skipped as stale by each subscriber's `max_signal_age_s`)."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from core.api import SignalcordAPI
from core.domain import RawMessage

logger = logging.getLogger(__name__)
BACKFILL_LIMIT = 500  # per channel and start: more than that missed is read from the newest 500 back


def provider_channel_id(channel: object, channel_id: int) -> int:
    """The channel a message belongs to as a provider: a forum post is a thread of its forum, so its messages
    belong to the forum (message ids are unique across Discord, so the pair stays unique)."""
    if isinstance(channel, discord.Thread) and isinstance(channel.parent, discord.ForumChannel):
        return channel.parent.id
    return channel_id


def raw_message(message: discord.Message) -> RawMessage:
    reply_to = message.reference.message_id if message.reference else None
    return RawMessage(
        channel_id=provider_channel_id(message.channel, message.channel.id),
        message_id=message.id,
        guild_id=message.guild.id if message.guild else None,
        author=str(message.author),
        text=message.content,
        created_at=message.created_at,
        reply_to=reply_to,
    )


class SignalListener(commands.Cog):
    def __init__(self, bot: commands.Bot, api: SignalcordAPI) -> None:
        self.bot = bot
        self.api = api

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not message.content:
            return
        client_user = message.guild.me
        if client_user is not None and message.author.id == client_user.id:
            return
        result = await self.api.intake.ingest(raw_message(message))
        if result.status == "processed":
            logger.info("message %s in channel %s: %s (%d subscriber decision(s))",
                        message.id, message.channel.id, result.kind, result.decisions)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        if content is None:
            return  # an embed resolving, not the provider's edit
        edited = payload.data.get("edited_timestamp")
        at = discord.utils.parse_time(edited) if isinstance(edited, str) else discord.utils.utcnow()
        channel_id = provider_channel_id(self.bot.get_channel(payload.channel_id), payload.channel_id)
        outcome = await self.api.intake.edited(channel_id, payload.message_id, content, at)
        logger.info("edit of message %s in channel %s: %s", payload.message_id, payload.channel_id, outcome)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        channel_id = provider_channel_id(self.bot.get_channel(payload.channel_id), payload.channel_id)
        outcome = await self.api.intake.deleted(channel_id, payload.message_id, discord.utils.utcnow())
        logger.info("deletion of message %s in channel %s: %s", payload.message_id, payload.channel_id, outcome)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self.backfill()

    async def backfill(self) -> int:
        """Read what each provider channel got while the bot was away; returns how many messages were read."""
        read = 0
        for channel_id, last in (await self.api.intake.channels()).items():
            channel = self.bot_channel(channel_id)
            if channel is None:
                continue
            after = discord.Object(id=last) if last else None
            # a forum has no messages of its own: its posts (threads) have them; the cached active posts are read
            readable = list(channel.threads) if isinstance(channel, discord.ForumChannel) else [channel]
            for source in readable:
                try:
                    async for message in source.history(limit=BACKFILL_LIMIT, after=after, oldest_first=True):
                        await self.on_message(message)
                        read += 1
                except discord.HTTPException as exc:  # one unreadable channel never stops the others
                    logger.warning("backfill of channel %s failed: %s", source.id, exc)
        if read:
            logger.info("backfill: read %d message(s) posted while the bot was away", read)
        return read

    def bot_channel(self, channel_id: int) -> discord.TextChannel | discord.Thread | discord.ForumChannel | None:
        channel = self.bot.get_channel(channel_id)
        return channel if isinstance(channel, discord.TextChannel | discord.Thread | discord.ForumChannel) else None
