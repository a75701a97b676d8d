"""Buttons that save typing: a confirmation for a close, and Resume on a paused member's profile. Each button
calls the API for the member who pressed it (only that member may press it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.errors import reply_error

Action = Callable[[discord.Interaction], Awaitable[str]]


class OwnedView(discord.ui.View):
    def __init__(self, owner_id: int, timeout: float = 120.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("This button is for someone else.", ephemeral=True)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[OwnedView]
                       ) -> None:
        await reply_error(interaction, error)


class Confirm(OwnedView):
    """Confirm / Cancel for something that cannot be undone (closing positions)."""

    def __init__(self, owner_id: int, action: Action, label: str) -> None:
        super().__init__(owner_id)
        self.action = action
        self.confirm.label = label

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]) -> None:
        await interaction.response.defer(ephemeral=True)
        self.stop()
        await interaction.followup.send(await self.action(interaction), ephemeral=True)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]) -> None:
        self.stop()
        await interaction.response.send_message("Nothing was closed.", ephemeral=True)


class Resume(OwnedView):
    def __init__(self, owner_id: int, action: Action) -> None:
        super().__init__(owner_id)
        self.action = action

    @discord.ui.button(label="Resume trading", style=discord.ButtonStyle.success)
    async def resume(self, interaction: discord.Interaction, button: discord.ui.Button[Resume]) -> None:
        await interaction.response.defer(ephemeral=True)
        self.stop()
        await interaction.followup.send(await self.action(interaction), ephemeral=True)
