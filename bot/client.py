"""The discord.py client: intents, cogs, the error layer, and nothing else. Cogs call the front-end API
(core.api) only."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import reply_error
from core.api import SignalcordAPI


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.message_content = True  # provider messages are read as text (a privileged intent)
    return wanted


class SignalcordTree(app_commands.CommandTree[discord.Client]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if not interaction.extras.get("handled"):  # a cog's own layer answered already
            await reply_error(interaction, error)


class SignalcordBot(commands.Bot):
    def __init__(self, api: SignalcordAPI, *, gateway_intents: discord.Intents | None = None,
                 dashboard_url: str = "http://localhost:8080", events: bool = True) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=gateway_intents or intents(),
                         tree_cls=SignalcordTree)
        self.api = api
        self.dashboard_url = dashboard_url
        self.events = events  # False: a bot built only to register its commands

    async def setup_hook(self) -> None:
        await add_cogs(self, self.api, self.dashboard_url, events=self.events)


async def add_cogs(bot: commands.Bot, api: SignalcordAPI, dashboard_url: str, *, events: bool = True) -> None:
    """Every cog (`events=False`: the command cogs only, to list or register the tree). Slash commands are
    registered with Discord by `signalcord sync-commands`, never on start."""
    from bot.cogs.accounts import Accounts
    from bot.cogs.admin import Admin
    from bot.cogs.alerts import Alerts
    from bot.cogs.listener import SignalListener
    from bot.cogs.members import Members
    from bot.cogs.performance import Performance
    from bot.cogs.providers import Providers
    from bot.cogs.risk import Risk
    from bot.cogs.settings import Settings
    from bot.cogs.trading import Trading

    if events:
        await bot.add_cog(SignalListener(bot, api))
        await bot.add_cog(Alerts(bot, api))
    for cog in (Members(api), Risk(api), Trading(api), Performance(api), Accounts(api), Providers(api),
                Admin(api), Settings(api, dashboard_url)):
        await bot.add_cog(cog)


def startup_problem(exc: BaseException) -> str | None:
    """One clear line for a start-up failure a server owner can fix, or None."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord refused the bot token: copy it again from the Developer Portal (Bot > Reset Token) into " \
               "DISCORD_TOKEN"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "the Message Content intent is off: turn it on in the Developer Portal (Bot > Privileged Gateway " \
               "Intents > Message Content Intent)"
    return None
