"""What a server owner runs once: the invite URL, the reviewed command tree, the one-line start-up errors, and
adding a provider channel (which reads its recent history first)."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import pytest

from bot.client import SignalcordBot, startup_problem
from bot.cogs.providers import Providers
from bot.invite import NEEDED, permissions
from bot.setup import application_id
from core.app import Services
from models import Provider
from signalcord.cli import main


def test_the_invite_url_asks_for_exactly_the_permissions_it_explains(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite-url", "--client-id", "123456789012345678"]) == 0
    printed = capsys.readouterr().out
    url = printed.splitlines()[0]
    assert "client_id=123456789012345678" in url and "scope=bot+applications.commands" in url
    assert f"permissions={permissions().value}" in url
    assert permissions().value == discord.Permissions(**dict.fromkeys(NEEDED, True)).value  # these, nothing more
    assert all(getattr(permissions(), name) for name in NEEDED)
    assert not permissions().administrator and not permissions().manage_messages
    for reason in NEEDED.values():
        assert reason in printed


def test_the_application_id_is_read_from_the_token() -> None:
    assert application_id("MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx.y") == 123456789012345678
    with pytest.raises(ValueError, match="does not look like a bot token"):
        application_id("not-a-token")


def test_the_command_tree_is_printed_for_review(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["commands", "--json"]) == 0
    tree = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert {"subscribe", "risk", "provider", "why", "close", "calc", "notifications", "help"} <= set(tree)
    assert int(tree["provider"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert tree["provider"]["contexts"] == [0] or tree["provider"].get("dm_permission") is False
    calc = {o["name"]: o for o in tree["calc"]["options"]}
    assert calc["entry"]["required"] and calc["leverage"]["max_value"] == 125
    assert all(c["description"] for c in tree.values())


@pytest.mark.parametrize(("error", "says"), [
    (discord.LoginFailure("Improper token has been passed."), "Discord refused the bot token"),
    (discord.PrivilegedIntentsRequired(None), "the Message Content intent is off"),
])
def test_start_up_problems_are_one_clear_line(error: BaseException, says: str) -> None:
    line = startup_problem(error)
    assert line is not None and line.startswith(says) and "\n" not in line
    assert startup_problem(RuntimeError("other")) is None


async def test_adding_a_provider_reads_its_last_messages_first(bot: SignalcordBot, services: Services) -> None:
    config = dpytest.get_config()
    channel = config.channels[0]
    for text in ("gm everyone", "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
                 "ETH/USDT SHORT entry 2000 TP1 1900 SL 2100", "Close #BTCUSDT"):
        await dpytest.message(text, channel=channel)
    cog = bot.get_cog("Providers")
    assert isinstance(cog, Providers)
    interaction: Any = MagicMock(spec=discord.Interaction)
    interaction.user = config.members[0]
    interaction.guild_id = config.guilds[0].id
    interaction.permissions = discord.Permissions(manage_guild=True)
    interaction.response = MagicMock(defer=AsyncMock())
    interaction.followup = MagicMock(send=AsyncMock())

    await cog.add.callback(cog, interaction, channel=channel, name="Alpha")  # type: ignore[arg-type]

    interaction.response.defer.assert_awaited_once_with(ephemeral=True)
    text = interaction.followup.send.await_args.args[0]
    assert "Now following **Alpha**" in text
    assert "2 call(s), 1 update(s), 1 ignored" in text
    assert "BTC/USDT LONG entry 42000-42500, targets 43000, stop 41000, 10x" in text
    assert await Provider.find_one(Provider.channel_id == channel.id) is not None


def test_direct_messages_are_coloured_by_what_happened_and_kept_within_discord_limits() -> None:
    from bot.embeds import GREEN, GREY, RED, notification

    assert notification("trade_opened", "Opened").colour == GREEN
    assert notification("fill_sl", "Stop hit").colour == RED
    assert notification("trade_blocked", "Did not trade").colour == GREY
    assert notification("fill_exit", "Closed", pnl=-3.0).colour == RED
    assert len(notification("trade_opened", "x" * 5000).description or "") == 4096
