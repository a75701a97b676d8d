"""The discord.py client: intents, cogs, and nothing else. Cogs call the front-end API (core.api) only."""

from __future__ import annotations

import discord
from discord.ext import commands

from core.api import SignalcordAPI


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.message_content = True  # provider messages are read as text
    return wanted


class SignalcordBot(commands.Bot):
    def __init__(self, api: SignalcordAPI, *, gateway_intents: discord.Intents | None = None) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=gateway_intents or intents())
        self.api = api

    async def setup_hook(self) -> None:
        from bot.cogs.alerts import Alerts
        from bot.cogs.listener import SignalListener

        await self.add_cog(SignalListener(self.api))
        await self.add_cog(Alerts(self, self.api))
