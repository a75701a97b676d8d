"""Forwards messages from provider channels to the signal pipeline."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from core.api import SignalcordAPI
from core.domain import RawMessage

logger = logging.getLogger(__name__)


def raw_message(message: discord.Message) -> RawMessage:
    reply_to = message.reference.message_id if message.reference else None
    return RawMessage(
        channel_id=message.channel.id,
        message_id=message.id,
        guild_id=message.guild.id if message.guild else None,
        author=str(message.author),
        text=message.content,
        created_at=message.created_at,
        reply_to=reply_to,
    )


class SignalListener(commands.Cog):
    def __init__(self, api: SignalcordAPI) -> None:
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
