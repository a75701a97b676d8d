"""The invite URL: exactly the scopes and permissions the bot needs, each with its reason."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")
NEEDED: dict[str, str] = {
    "view_channel": "see the provider channels it follows",
    "read_message_history": "read a provider channel's recent calls when it is added, and catch up after a restart",
    "send_messages": "answer in channels where a command is used",
    "embed_links": "show positions, settings and explanations as embeds",
    "attach_files": "send the P&L chart as an image",
}


def permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(NEEDED, True))


def invite_url(client_id: int) -> str:
    return discord.utils.oauth_url(client_id, permissions=permissions(), scopes=SCOPES)
