"""What a server owner runs once: the invite URL, the command tree as JSON (to review it), and the explicit
registration of the slash commands with Discord (never done on every start: Discord rate-limits it)."""

from __future__ import annotations

import base64
from typing import Any

import discord

from bot.client import SignalcordBot, add_cogs
from bot.invite import NEEDED, SCOPES, invite_url
from core.api import SignalcordAPI

# the commands' callbacks never run here: the tree is built to be listed or registered, not used
TREE_ONLY = object.__new__(SignalcordAPI)


def application_id(token: str) -> int:
    """The bot's application id, which a bot token starts with (base64 of the id)."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
    except ValueError:
        raise ValueError("DISCORD_TOKEN does not look like a bot token (copy it again from the Developer "
                         "Portal)") from None


def invite_text(client_id: int) -> str:
    lines = [invite_url(client_id), "", f"scopes: {' '.join(SCOPES)}", "permissions:"]
    lines += [f"  {name.replace('_', ' ')}: {reason}" for name, reason in NEEDED.items()]
    return "\n".join(lines)


async def command_tree(dashboard_url: str = "") -> list[dict[str, Any]]:
    """Every slash command as Discord receives it (names, options, descriptions, default permissions)."""
    bot = SignalcordBot(TREE_ONLY, dashboard_url=dashboard_url, events=False)
    async with bot:
        await add_cogs(bot, TREE_ONLY, dashboard_url, events=False)
        return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]


async def sync_commands(token: str, guild_id: int | None) -> int:
    """Register the commands with Discord (one guild: at once; everywhere: within the hour). Returns how many."""
    bot = SignalcordBot(TREE_ONLY, events=False)
    async with bot:
        await bot.login(token)  # runs setup_hook: the cogs and their commands
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        return len(await bot.tree.sync(guild=guild))
