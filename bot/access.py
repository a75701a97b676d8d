"""Who is asking, as the API needs it: the Discord user, and whether they may manage provider channels here
(the Manage Server permission)."""

from __future__ import annotations

import discord

from core.api import Caller


def caller(interaction: discord.Interaction) -> Caller:
    user = interaction.user
    # the member's permissions as Discord resolved them for this interaction (roles, overwrites, administrator)
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    return Caller(discord_id=user.id, name=getattr(user, "display_name", "") or user.name, admin=admin)
