"""The discord.py client: intents, cogs, and nothing else. Cogs call core.services only."""

from __future__ import annotations

import discord
from discord.ext import commands

from core.app import Services


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.message_content = True  # provider messages are read as text
    return wanted


class SignalcordBot(commands.Bot):
    def __init__(self, services: Services, *, gateway_intents: discord.Intents | None = None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=gateway_intents or intents())
        self.services = services

    async def setup_hook(self) -> None:
        from bot.cogs.alerts import Alerts
        from bot.cogs.listener import SignalListener

        await self.add_cog(SignalListener(self.services))
        await self.add_cog(Alerts(self, self.services))
