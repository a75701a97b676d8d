"""A member's exchange accounts from Discord: /mode (keys are entered on the dashboard, never in chat)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot.access import caller
from bot.cogs.base import ApiCog
from bot.views import Confirm


class Accounts(ApiCog):
    async def _accounts(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = await self.api.accounts.list(caller(interaction))
        return [app_commands.Choice(name=f"{a.label} ({a.exchange} {a.market}, {a.mode})"[:100], value=a.id)
                for a in found if current.lower() in a.label.lower()][:25]

    @app_commands.command(name="mode", description="Trade an account on paper, testnet or live")
    @app_commands.describe(mode="paper, testnet or live", account="The exchange account")
    async def mode(self, interaction: discord.Interaction, mode: Literal["paper", "testnet", "live"],
                   account: str) -> None:
        who = caller(interaction)

        async def switching(pressed: discord.Interaction) -> str:
            changed = await self.api.accounts.set_mode(who, account, mode)
            return f"{changed.label} ({changed.exchange} {changed.market}) now trades {changed.mode}."

        if mode != "live":
            await interaction.response.defer(ephemeral=True)
            await interaction.followup.send(await switching(interaction), ephemeral=True)
            return
        chosen = next((a for a in await self.api.accounts.list(who) if a.id == account), None)
        named = f"{chosen.label} on {chosen.exchange}" if chosen else "this account"
        await interaction.response.send_message(
            f"Trade **{named}** with real money? Every call you follow will place real orders.", ephemeral=True,
            view=Confirm(interaction.user.id, switching, "Go live"))

    mode.autocomplete("account")(_accounts)
