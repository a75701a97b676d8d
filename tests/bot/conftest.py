"""The bot without Discord: dpytest's fake gateway for messages, and a fake of Discord's interaction HTTP
endpoints so a slash command goes through discord.py's real tree (option parsing, transformers, checks) and its
answer is captured as the payload Discord would receive."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

from bot.client import SignalcordBot, intents
from core.app import Services

_ids = itertools.count(910_000_000_000_000_001)


class InteractionHttp:
    """Discord's interaction endpoints: the first answer (or defer) and the follow-ups, as sent."""

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.attachments: list[bytes] = []

    async def create_interaction_response(self, interaction_id: int, token: str, *, session: Any,
                                          proxy: Any = None, proxy_auth: Any = None, params: Any) -> dict[str, Any]:
        self.responses.append(params.payload)
        return {"interaction": {"id": str(interaction_id), "type": 2}}

    async def execute_webhook(self, webhook_id: int, token: str, *, session: Any, proxy: Any = None,
                              proxy_auth: Any = None, payload: dict[str, Any] | None = None,
                              multipart: Any = None, files: Any = None, thread_id: Any = None, wait: bool = False,
                              with_components: bool = False) -> dict[str, Any]:
        body = dict(payload or {})
        if multipart:  # a message with files: the JSON part rides along with them
            body = json.loads(next(part["value"] for part in multipart if part["name"] == "payload_json"))
            body["files"] = [f.filename for f in files or []]
            self.attachments += [f.fp.read() for f in files or []]
        self.followups.append(body)
        return {"id": str(next(_ids)), "channel_id": "1", "type": 0, "content": body.get("content", ""),
                "author": {"id": str(webhook_id), "username": "Signalcord", "discriminator": "0000",
                           "avatar": None}, "attachments": [], "embeds": body.get("embeds", []), "mentions": [],
                "mention_roles": [], "pinned": False, "tts": False, "timestamp": "2026-04-01T12:00:00+00:00",
                "edited_timestamp": None, "flags": body.get("flags", 0), "components": []}

    @property
    def answers(self) -> list[dict[str, Any]]:
        """What the user saw: the immediate answers' data, then the follow-ups."""
        return [r.get("data") or {} for r in self.responses if r.get("type") == 4] + self.followups


async def started_bot(services: Services, members: int) -> SignalcordBot:
    """The real bot on dpytest's fake gateway, in a guild with this many members (member 0 is the bot's owner)."""
    wanted = intents()
    wanted.members = True  # dpytest builds its member list from the member cache
    instance = SignalcordBot(services.api, gateway_intents=wanted)
    await instance._async_setup_hook()
    await instance.setup_hook()
    dpytest.configure(instance, members=members)
    instance._connection._command_tree = instance.tree  # type: ignore[attr-defined]
    return instance


@pytest.fixture
async def bot(services: Services) -> AsyncIterator[SignalcordBot]:
    yield await started_bot(services, 2)
    await dpytest.empty_queue()


@pytest.fixture
def http() -> InteractionHttp:
    adapter = InteractionHttp()
    discord.webhook.async_.async_context.set(adapter)  # type: ignore[arg-type]
    return adapter


async def invoke(bot: SignalcordBot, name: str, options: list[dict[str, Any]] | None = None, *,
                 member: int = 1, admin: bool = False, kind: int = 2) -> None:
    """Run one slash command (or `group sub` command) through the real tree, as `member` of the guild."""
    config = dpytest.get_config()
    guild, channel, who = config.guilds[0], config.channels[0], config.members[member]
    parts = name.split()
    data: dict[str, Any] = {"id": str(next(_ids)), "name": parts[0], "type": 1, "options": options or []}
    if len(parts) == 2:
        data["options"] = [{"name": parts[1], "type": 1, "options": options or []}]
    permissions = str(discord.Permissions(manage_guild=True).value if admin else 0)
    payload = {"id": str(next(_ids)), "application_id": "1", "type": kind, "token": "token", "version": 1,
               "guild_id": str(guild.id), "channel_id": str(channel.id), "locale": "en-US",
               "guild_locale": "en-US", "app_permissions": "8", "entitlements": [],
               "authorizing_integration_owners": {}, "attachment_size_limit": 8_388_608,
               "member": {"user": {"id": str(who.id), "username": who.name, "discriminator": "0001",
                                   "avatar": None, "global_name": None},
                          "roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                          "permissions": permissions, "flags": 0},
               "data": data}
    await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
