"""A member's trades: /positions, /orders, /close, /cancel, /entry, /stop, /calc, /why."""

from __future__ import annotations

import re

import discord
from discord import app_commands

from bot import embeds
from bot.access import caller
from bot.cogs.base import ApiCog
from bot.views import Confirm
from core.api import Invalid

LINK = re.compile(r"discord(?:app)?\.com/channels/(?:\d+|@me)/(\d+)/(\d+)")


def message_ref(text: str, channel_id: int) -> tuple[int, int]:
    """(channel id, message id) from a message link, or a bare message id in this channel."""
    found = LINK.search(text)
    if found:
        return int(found.group(1)), int(found.group(2))
    digits = text.strip()
    if not digits.isdigit():
        raise Invalid(["message: give a message link (Copy Message Link) or a message id"])
    return channel_id, int(digits)


def _numbers(text: str | None) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"\d+(?:\.\d+)?", text or ""))


class Trading(ApiCog):
    async def _positions(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = await self.api.positions.open(caller(interaction))
        choices = [app_commands.Choice(name=f"{p.symbol} {p.side} {p.amount:g} @ {p.entry_price:g}", value=p.id)
                   for p in found if current.lower() in p.symbol.lower()]
        return choices[:25]

    @app_commands.command(name="positions", description="Your open positions and who holds their stops")
    async def positions(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(embed=embeds.positions(await self.api.positions.open(caller(interaction))),
                                        ephemeral=True)

    @app_commands.command(name="orders", description="Your working orders")
    async def orders(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        found = await self.api.positions.orders(caller(interaction))
        lines = [f"`{o.id}` {o.symbol} {o.leg} {o.side} {o.amount:g}"
                 + (f" @ {o.price:g}" if o.price else "") + (f" trigger {o.stop_price:g}" if o.stop_price else "")
                 + f" — {o.status}" + ("" if o.on_exchange else " (held by Signalcord)") for o in found]
        await interaction.followup.send("\n".join(lines)[:2000] or "No working orders.", ephemeral=True)

    @app_commands.command(name="close", description="Close a position (or all of them) at market")
    @app_commands.describe(position="The position; leave empty to close all")
    async def close(self, interaction: discord.Interaction, position: str | None = None) -> None:
        who = caller(interaction)

        async def closing(pressed: discord.Interaction) -> str:
            if position is None:
                return "\n".join(await self.api.positions.close_all(who)) or "You had no open position."
            return await self.api.positions.close(who, position)

        what = "all your open positions" if position is None else "this position"
        await interaction.response.send_message(f"Close {what} at market?", ephemeral=True,
                                                view=Confirm(interaction.user.id, closing, "Close"))

    @app_commands.command(name="cancel", description="Cancel a waiting entry order")
    @app_commands.describe(order="The order's id (from /orders)")
    async def cancel(self, interaction: discord.Interaction, order: str) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(await self.api.positions.cancel_order(caller(interaction), order),
                                        ephemeral=True)

    @app_commands.command(name="entry", description="Change a waiting entry order's price")
    @app_commands.describe(order="The order's id (from /orders)", price="The new entry price")
    async def entry(self, interaction: discord.Interaction, order: str,
                    price: app_commands.Range[float, 0.0, None]) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(await self.api.positions.reprice_entry(caller(interaction), order, price),
                                        ephemeral=True)

    @app_commands.command(name="stop", description="Move a position's stop-loss")
    @app_commands.describe(position="The position", price="The new stop price")
    async def stop(self, interaction: discord.Interaction, position: str,
                   price: app_commands.Range[float, 0.0, None]) -> None:
        await interaction.response.defer(ephemeral=True)
        moved = await self.api.positions.move_stop(caller(interaction), position, price)
        await interaction.followup.send(f"{moved.symbol} stop moved to {price:g}.", ephemeral=True)

    @app_commands.command(name="calc", description="Size a trade on your own balance and limits")
    @app_commands.describe(entry="Entry price", stop="Stop-loss price", targets="Take-profit prices, e.g. 43000 44000",
                           leverage="Leverage", symbol="The pair, e.g. BTC/USDT (its exchange rules)")
    async def calc(self, interaction: discord.Interaction, entry: app_commands.Range[float, 0.0, None],
                   stop: app_commands.Range[float, 0.0, None], targets: str | None = None,
                   leverage: app_commands.Range[float, 1.0, 125.0] = 1.0, symbol: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        result = await self.api.accounts.calculate(caller(interaction), entry=entry, stop=stop,
                                                   targets=_numbers(targets), leverage=leverage, symbol=symbol)
        embed = discord.Embed(title=f"{result.side.upper()} {result.quantity:g} (notional {result.notional:,.2f})",
                              colour=embeds.BLUE, description=result.reason)
        embed.add_field(name="Risk", value=f"{result.risk_amount:,.2f} ({result.risk_pct:g}% of the balance)")
        embed.add_field(name="Margin", value=f"{result.margin:,.2f} at {leverage:g}x")
        embed.add_field(name="Binding rule", value=result.binding_rule)
        if result.rr:
            embed.add_field(name="Reward:risk", value=", ".join(f"TP{n}: {rr:.2f}" for n, rr in
                                                                enumerate(result.rr, 1)), inline=False)
        embed.add_field(name="Positions like this allowed", value=str(result.positions_allowed))
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="why", description="Why a call did or did not trade for you")
    @app_commands.describe(message="The call's message link (or its id in this channel)")
    async def why(self, interaction: discord.Interaction, message: str) -> None:
        channel_id, message_id = message_ref(message, interaction.channel_id or 0)
        await interaction.response.defer(ephemeral=True)
        found = await self.api.activity.why(caller(interaction), channel_id, message_id)
        embed = embeds.why_embed(found)
        await interaction.followup.send(embed=embed, ephemeral=True)

    async def _symbols(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s, value=s) for s in self.api.intake.symbols(current)]

    calc.autocomplete("symbol")(_symbols)
    close.autocomplete("position")(_positions)
    stop.autocomplete("position")(_positions)
