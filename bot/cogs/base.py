"""What every command cog shares: the API, its caller, its error layer, and provider autocomplete."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import reply_error
from core.api import SignalcordAPI


class ApiCog(commands.Cog):
    def __init__(self, api: SignalcordAPI) -> None:
        self.api = api

    async def cog_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError
                                    ) -> None:
        await reply_error(interaction, error)
        interaction.extras["handled"] = True  # the tree's on_error leaves it be


async def provider_choices(api: SignalcordAPI, current: str) -> list[app_commands.Choice[str]]:
    """Providers whose name contains what was typed (the value is the provider's id)."""
    typed = current.lower()
    return [app_commands.Choice(name=p.name[:100], value=p.id) for p in await api.providers.list()
            if typed in p.name.lower()][:25]
