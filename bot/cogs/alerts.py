"""The Discord DM sink: delivers notifications to users by direct message, as an embed coloured by what happened
(within Discord's limits: a description of at most 4,096 characters)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot import embeds
from core.api import NotificationEvent, PermanentDeliveryError, SignalcordAPI


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
            pnl = event.payload.get("pnl")
            embed = embeds.notification(event.kind, event.text, pnl if isinstance(pnl, int | float) else None)
            # the notification's id as the nonce (discord.py sends it with enforce_nonce): a delivery repeated after
            # a crash within Discord's nonce window returns the first message instead of sending a second DM
            await user.send(embed=embed, nonce=event.notification_id)
        except discord.Forbidden:
            raise PermanentDeliveryError("the user does not accept direct messages from the bot") from None
        except discord.NotFound:
            raise PermanentDeliveryError("Discord does not know this user") from None
