"""Access by role, for admins: /admin role (who manages providers besides Manage Server), /admin allow (which
roles may subscribe or trade beyond paper), /admin limit (how many providers a role may follow), /admin show."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog
from core.api.servers import mentions
from core.api.views import AccessView


def _roles(ids: list[int]) -> str:
    return mentions(ids) or "everyone"


def access_embed(view: AccessView) -> discord.Embed:
    embed = discord.Embed(title="Who may do what here", colour=embeds.BLUE)
    embed.add_field(name="Manage provider channels",
                    value="Manage Server" + (f", <@&{view.admin_role_id}>" if view.admin_role_id else ""),
                    inline=False)
    embed.add_field(name="Subscribe", value=_roles(view.subscriber_roles), inline=False)
    limits = ", ".join(f"<@&{role}>: {n}" for role, n in view.provider_limits.items()) or "no limit"
    embed.add_field(name="Providers per member", value=limits, inline=False)
    embed.add_field(name="Trade on testnet or live", value=_roles(view.trading_roles), inline=False)
    return embed


class Admin(ApiCog):
    admin = app_commands.Group(name="admin", description="Who may use Signalcord here, by role",
                               default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    @admin.command(name="show", description="The access rules of this server")
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(embed=access_embed(await self.api.servers.show(caller(interaction))),
                                        ephemeral=True)

    @admin.command(name="role", description="The role that manages provider channels (besides Manage Server)")
    @app_commands.describe(role="Leave empty to clear it")
    async def role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.servers.set_admin_role(caller(interaction), role.id if role else None)
        await interaction.followup.send(embed=access_embed(view), ephemeral=True)

    @admin.command(name="allow", description="Let a role subscribe, or trade on testnet/live (or take it back)")
    async def allow(self, interaction: discord.Interaction, what: Literal["subscribe", "trade"], role: discord.Role,
                    allowed: bool = True) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.servers.allow(caller(interaction), what, role.id, allowed)
        await interaction.followup.send(embed=access_embed(view), ephemeral=True)

    @admin.command(name="limit", description="How many providers a role may follow (leave empty: no limit)")
    async def limit(self, interaction: discord.Interaction, role: discord.Role,
                    providers: app_commands.Range[int, 0, 100] | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.servers.set_provider_limit(caller(interaction), role.id, providers)
        await interaction.followup.send(embed=access_embed(view), ephemeral=True)
