"""The Discord DM sink: delivers notifications to users by direct message."""

from __future__ import annotations

import discord
from discord.ext import commands

from core.api import NotificationEvent, PermanentDeliveryError, SignalcordAPI

DISCORD_MESSAGE_LIMIT = 2000


def clip(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Alerts(commands.Cog):
    name = "discord_dm"

    def __init__(self, bot: commands.Bot, api: SignalcordAPI) -> None:
        self.bot = bot
        self.api = api

    async def cog_load(self) -> None:
        self.api.notifications.add_sink(self)

    async def cog_unload(self) -> None:
        self.api.notifications.remove_sink(self)

    async def deliver(self, event: NotificationEvent) -> None:
        """Called by the delivery job; a closed DM (Discord error 50007) or an unknown user is permanent."""
        try:
            user = self.bot.get_user(event.discord_id) or await self.bot.fetch_user(event.discord_id)
            await user.send(clip(event.text))
        except discord.Forbidden:
            raise PermanentDeliveryError("the user does not accept direct messages from the bot") from None
        except discord.NotFound:
            raise PermanentDeliveryError("Discord does not know this user") from None
