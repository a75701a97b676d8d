"""Notifications, help and the dashboard link: /notifications, /help, /dashboard."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog
from core.api import SignalcordAPI

TOPICS = [app_commands.Choice(name=t, value=t) for t in
          ("opened", "targets", "stops", "closed", "skipped", "paused", "provider", "summary")]


class Settings(ApiCog):
    def __init__(self, api: SignalcordAPI, dashboard_url: str) -> None:
        super().__init__(api)
        self.dashboard_url = dashboard_url

    @app_commands.command(name="notifications", description="Which direct messages you get")
    @app_commands.describe(topic="A kind of message to switch on or off", on="On or off",
                           direct_messages="All direct messages on or off",
                           summary="Daily summary time in your timezone, e.g. 21:00 (off: no summary)")
    @app_commands.choices(topic=TOPICS)
    async def notifications(self, interaction: discord.Interaction, topic: app_commands.Choice[str] | None = None,
                            on: bool | None = None, direct_messages: bool | None = None,
                            summary: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        who = caller(interaction)
        if summary is not None:
            view = await self.api.activity.set_summary(who, None if summary.lower() == "off" else summary)
        elif direct_messages is not None:
            view = await self.api.activity.set_dm(who, direct_messages)
        elif topic is not None and on is not None:
            view = await self.api.activity.set_topic(who, topic.value, on)
        else:
            view = await self.api.activity.preferences(who)
        await interaction.followup.send(embed=embeds.preferences(view), ephemeral=True)

    @app_commands.command(name="dashboard", description="A one-time link that logs you in to the web dashboard")
    async def dashboard(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        token = await self.api.login_links.issue(caller(interaction))
        await interaction.followup.send(
            f"Your dashboard: {self.dashboard_url}/auth/link/{token}\nThis link logs you in once and expires in 5 "
            "minutes; do not share it. Exchange keys are entered there, never in chat.", ephemeral=True)

    @app_commands.command(name="help", description="Every command, one line each")
    async def help(self, interaction: discord.Interaction) -> None:
        tree: app_commands.CommandTree[discord.Client] | None = getattr(interaction.client, "tree", None)
        commands = sorted(tree.walk_commands(), key=lambda c: c.qualified_name) if tree is not None else []
        lines = [f"`/{c.qualified_name}` — {c.description}" for c in commands if isinstance(c, app_commands.Command)]
        parts = _messages(lines) or ["No commands."]
        await interaction.response.send_message(parts[0], ephemeral=True)
        for part in parts[1:]:  # a message holds 2,000 characters: the rest follow, never cut
            await interaction.followup.send(part, ephemeral=True)


def _messages(lines: list[str], limit: int = 2000) -> list[str]:
    """Whole lines packed into messages of at most `limit` characters."""
    parts: list[str] = []
    for line in lines:
        if parts and len(parts[-1]) + 1 + len(line) <= limit:
            parts[-1] += "\n" + line
        else:
            parts.append(line[:limit])
    return parts
