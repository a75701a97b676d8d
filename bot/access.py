"""Who is asking, as the API needs it: the Discord user, the server and their roles in it, and whether they
have Manage Server (the API adds the admin role an admin set)."""

from __future__ import annotations

import discord

from core.api import Caller


def caller(interaction: discord.Interaction) -> Caller:
    user = interaction.user
    # the member's permissions as Discord resolved them for this interaction (roles, overwrites, administrator)
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    roles = [role.id for role in getattr(user, "roles", [])]
    return Caller(discord_id=user.id, name=getattr(user, "display_name", "") or user.name, admin=admin,
                  guild_id=interaction.guild_id, role_ids=roles)
