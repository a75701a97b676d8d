"""Following providers: /subscribe, /unsubscribe, /subscriptions."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog, provider_choices


class Members(ApiCog):
    async def _providers(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await provider_choices(self.api, current)

    @app_commands.command(name="subscribe", description="Copy a provider's calls with your own risk settings")
    @app_commands.describe(provider="The provider to follow")
    async def subscribe(self, interaction: discord.Interaction, provider: str) -> None:
        await interaction.response.defer(ephemeral=True)
        sub = await self.api.subscriptions.subscribe(caller(interaction), provider)
        await interaction.followup.send(f"You now follow **{sub.provider}**: its calls are sized with your risk "
                                        "profile (see /risk show).", ephemeral=True)

    @app_commands.command(name="unsubscribe", description="Stop copying a provider's calls")
    @app_commands.describe(provider="The provider to stop following")
    async def unsubscribe(self, interaction: discord.Interaction, provider: str) -> None:
        await interaction.response.defer(ephemeral=True)
        text = await self.api.subscriptions.unsubscribe(caller(interaction), provider)
        await interaction.followup.send(text[:1].upper() + text[1:] + ".", ephemeral=True)

    @app_commands.command(name="subscriptions", description="The providers you follow, with overrides and presets")
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        found = await self.api.subscriptions.list(caller(interaction))
        await interaction.followup.send(embed=embeds.subscriptions(found), ephemeral=True)

    subscribe.autocomplete("provider")(_providers)
    unsubscribe.autocomplete("provider")(_providers)
