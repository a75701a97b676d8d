"""How a member's trading went: /pnl (realised P&L per day, with a chart)."""

from __future__ import annotations

import asyncio
import io
from typing import Literal

import discord
from discord import app_commands

from bot import charts, embeds
from bot.access import caller
from bot.cogs.base import ApiCog


class Performance(ApiCog):
    @app_commands.command(name="pnl", description="Your realised P&L per day, with a chart")
    @app_commands.describe(period="How far back")
    async def pnl(self, interaction: discord.Interaction,
                  period: Literal["day", "week", "month", "all"] = "week") -> None:
        await interaction.response.defer(ephemeral=True)
        view = await self.api.activity.pnl(caller(interaction), period)
        colour = embeds.GREEN if view.total >= 0 else embeds.RED
        embed = discord.Embed(title=f"Realised P&L ({period}): {view.total:+,.2f}", colour=colour,
                              description=f"{view.trades} closed trade(s)" if view.days else "No closed trades.")
        if not view.days:
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        png = await asyncio.to_thread(charts.pnl_png, view)  # off the event loop
        embed.set_image(url="attachment://pnl.png")
        await interaction.followup.send(embed=embed, file=discord.File(io.BytesIO(png), "pnl.png"),
                                        ephemeral=True)


    @app_commands.command(name="leaderboard", description="Your providers ranked by your closed trades' results")
    @app_commands.describe(period="How far back")
    async def leaderboard(self, interaction: discord.Interaction,
                          period: Literal["day", "week", "month", "all"] = "month") -> None:
        await interaction.response.defer(ephemeral=True)
        rows = await self.api.activity.leaderboard(caller(interaction), period)
        embed = discord.Embed(title=f"Providers by your results ({period})", colour=embeds.BLUE)
        for n, row in enumerate(rows[:embeds.FIELDS_MAX], 1):
            factor = f"{row.profit_factor:.2f}" if row.profit_factor is not None else "no losses"
            embed.add_field(name=f"{n}. {row.provider}", inline=False,
                            value=f"{row.trades} trade(s), win rate {row.win_rate:.0%}, profit factor {factor}, "
                                  f"net {row.net_pnl:+,.2f}")
        if not rows:
            embed.description = "No closed trades in this period."
        await interaction.followup.send(embed=embed, ephemeral=True)
