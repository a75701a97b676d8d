"""A member's risk settings: /risk show|set|preset|override, /pause, /resume, /timezone."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog, provider_choices
from bot.views import Resume
from core.api.risk_fields import setting_value


class Risk(ApiCog):
    risk = app_commands.Group(name="risk", description="Your risk profile: how every call is sized and filtered")

    async def _resume(self, interaction: discord.Interaction) -> str:
        await self.api.risk.resume(caller(interaction))
        return "Trading resumed: new calls are traded again."

    @risk.command(name="show", description="Your risk profile, grouped by topic")
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.risk.show(caller(interaction))
        if view.paused:
            resume = Resume(interaction.user.id, self._resume)
            await interaction.followup.send(embed=embeds.profile(view), view=resume, ephemeral=True)
        else:
            await interaction.followup.send(embed=embeds.profile(view), ephemeral=True)

    async def _fields(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        view = await self.api.risk.show(caller(interaction))
        return [app_commands.Choice(name=f, value=f) for f in view.profile if current.lower() in f][:25]

    @risk.command(name="set", description="Change one setting (the reply names the allowed range if refused)")
    @app_commands.describe(field="The setting", value="Its new value (a number, true/false, or a list: a,b)")
    async def set_(self, interaction: discord.Interaction, field: str, value: str) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.risk.patch(caller(interaction), {field: setting_value(value)})
        await interaction.followup.send(f"`{field}` is now {view.profile.get(field)!r}.", ephemeral=True)

    @risk.command(name="preset", description="Save your profile as a preset, apply one, or list them")
    @app_commands.describe(action="What to do", name="The preset's name (save, apply)",
                           provider="Apply it to one provider only")
    async def preset(self, interaction: discord.Interaction, action: Literal["save", "apply", "list"],
                     name: str | None = None, provider: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        who = caller(interaction)
        if action == "list":
            names = await self.api.risk.presets(who)
            await interaction.followup.send("Presets: " + ", ".join(f"`{n}`" for n in names), ephemeral=True)
            return
        if not name:
            await interaction.followup.send(f"Give the preset's name to {action} it.", ephemeral=True)
            return
        if action == "save":
            await interaction.followup.send(await self.api.risk.save_preset(who, name), ephemeral=True)
            return
        await self.api.risk.apply_preset(who, name, provider)
        where = " for that provider" if provider else ""
        await interaction.followup.send(f"Preset `{name}` applied{where}.", ephemeral=True)

    @risk.command(name="override", description="A setting for one provider only")
    @app_commands.describe(provider="The provider", field="The setting", value="Its value for this provider")
    async def override(self, interaction: discord.Interaction, provider: str, field: str, value: str) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.subscriptions.set_overrides(caller(interaction), provider,
                                                          {field: setting_value(value)})
        await interaction.followup.send(f"For this provider `{field}` is now {view.profile.get(field)!r}.",
                                        ephemeral=True)

    async def _providers(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await provider_choices(self.api, current)

    async def _presets(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = await self.api.risk.presets(caller(interaction))
        return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n.lower()][:25]

    set_.autocomplete("field")(_fields)
    preset.autocomplete("name")(_presets)
    override.autocomplete("field")(_fields)
    override.autocomplete("provider")(_providers)
    preset.autocomplete("provider")(_providers)

    @app_commands.command(name="pause", description="Stop taking new calls (open positions stay protected)")
    async def pause(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await self.api.risk.pause(caller(interaction))
        await interaction.followup.send("Trading paused: new calls are recorded and skipped until you /resume. "
                                        "Open positions keep their stops and targets.", ephemeral=True)

    @app_commands.command(name="resume", description="Take new calls again")
    async def resume(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(await self._resume(interaction), ephemeral=True)

    @app_commands.command(name="timezone", description="Your timezone (daily loss resets and summaries)")
    @app_commands.describe(name="An IANA timezone, e.g. Europe/Berlin")
    async def timezone(self, interaction: discord.Interaction, name: str) -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.risk.set_timezone(caller(interaction), name)
        await interaction.followup.send(f"Your timezone is now {view.timezone}.", ephemeral=True)
