"""Provider channels, for admins (Manage Server): /provider add|remove|list|enable|disable|hints|test."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog, provider_choices
from bot.cogs.trading import LINK
from bot.embeds import why_embed
from core.api import Invalid

READABLE = (discord.TextChannel, discord.Thread)  # announcement channels followed in are text channels too
HISTORY = 50


async def _recent_texts(channel: discord.TextChannel | discord.Thread | discord.ForumChannel) -> list[str]:
    """The channel's last 50 messages, oldest first (a forum's: those of its active posts)."""
    sources = list(channel.threads) if isinstance(channel, discord.ForumChannel) else [channel]
    found = [m for source in sources async for m in source.history(limit=HISTORY) if m.content]
    return [m.content for m in sorted(found, key=lambda m: m.created_at)[-HISTORY:]]


class Providers(ApiCog):
    provider = app_commands.Group(name="provider", description="Provider channels the bot copies calls from",
                                  default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    async def _providers(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await provider_choices(self.api, current)

    @provider.command(name="add", description="Follow a channel's calls; shows how its last 50 messages read")
    @app_commands.describe(channel="The provider's channel, thread or forum (or a followed announcement channel)",
                           name="The provider's name", quote="Quote currency when a call names none",
                           leverage="Leverage when a call names none", satoshis="Prices are in satoshis",
                           language="The channel's language (en, ru, zh, fa, pt, es, tr)")
    async def add(self, interaction: discord.Interaction,
                  channel: discord.TextChannel | discord.Thread | discord.ForumChannel, name: str,
                  quote: str = "USDT", leverage: app_commands.Range[float, 1.0, 125.0] | None = None,
                  satoshis: bool = False, language: str = "en") -> None:
        await interaction.response.defer(ephemeral=True)
        hints: dict[str, object] = {"default_quote": quote.upper(), "prices_in_satoshis": satoshis,
                                    "language": language}
        if leverage is not None:
            hints["default_leverage"] = leverage
        added = await self.api.providers.register(caller(interaction), name, channel.id,
                                                  interaction.guild_id, **hints)
        texts = await _recent_texts(channel)
        preview = await self.api.providers.preview(texts, added.id)
        lines = [f"Now following **{added.name}** in {channel.mention}.",
                 f"Its last {len(texts)} messages read as {preview.calls} call(s), {preview.updates} update(s), "
                 f"{preview.ignored} ignored."]
        lines += [f"• {line}" for line in preview.first]
        await interaction.followup.send("\n".join(lines)[:2000], ephemeral=True)

    @provider.command(name="list", description="The provider channels")
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(embed=embeds.providers(await self.api.providers.list()), ephemeral=True)

    @provider.command(name="remove", description="Stop following a provider (its history stays)")
    async def remove(self, interaction: discord.Interaction, provider: str) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(await self.api.providers.remove(caller(interaction), provider),
                                        ephemeral=True)

    @provider.command(name="enable", description="Take a provider's calls again")
    async def enable(self, interaction: discord.Interaction, provider: str) -> None:
        await interaction.response.defer(ephemeral=True)
        found = await self.api.providers.set_enabled(caller(interaction), provider, True)
        await interaction.followup.send(f"{found.name} is enabled.", ephemeral=True)

    @provider.command(name="disable", description="Stop taking a provider's calls (subscribers are told)")
    async def disable(self, interaction: discord.Interaction, provider: str, reason: str = "") -> None:
        await interaction.response.defer(ephemeral=True)
        found = await self.api.providers.set_enabled(caller(interaction), provider, False, reason)
        await interaction.followup.send(f"{found.name} is disabled: {found.disabled_reason}.", ephemeral=True)

    @provider.command(name="hints", description="Change how a provider's calls are read")
    async def hints(self, interaction: discord.Interaction, provider: str, quote: str | None = None,
                    leverage: app_commands.Range[float, 1.0, 125.0] | None = None, satoshis: bool | None = None,
                    language: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        changes = {k: v for k, v in {"default_quote": quote.upper() if quote else None, "default_leverage": leverage,
                                     "prices_in_satoshis": satoshis, "language": language}.items() if v is not None}
        found = await self.api.providers.set_hints(caller(interaction), provider, **changes)
        await interaction.followup.send(embed=embeds.providers([found]), ephemeral=True)

    @provider.command(name="test", description="How a message is read, and what your own profile would do with it")
    @app_commands.describe(message="A message link, or the text of a call", provider="The provider it comes from")
    async def test(self, interaction: discord.Interaction, message: str, provider: str) -> None:
        await interaction.response.defer(ephemeral=True)
        text = await self._text(interaction, message)
        tried = await self.api.activity.try_call(caller(interaction), text, provider)
        body = "\n".join(tried.reading.explanation)
        embeds_out = [] if tried.decision is None else [why_embed(tried.decision, "Your profile would")]
        await interaction.followup.send(f"Read as **{tried.reading.record['kind']}**\n```\n{body[:1800]}\n```",
                                        embeds=embeds_out, ephemeral=True)

    @staticmethod
    async def _text(interaction: discord.Interaction, message: str) -> str:
        found = LINK.search(message)
        if not found:
            return message
        channel = interaction.client.get_channel(int(found.group(1)))
        if not isinstance(channel, READABLE):
            raise Invalid(["message: the bot cannot read that channel"])
        return (await channel.fetch_message(int(found.group(2)))).content

    remove.autocomplete("provider")(_providers)
    enable.autocomplete("provider")(_providers)
    disable.autocomplete("provider")(_providers)
    hints.autocomplete("provider")(_providers)
    test.autocomplete("provider")(_providers)
