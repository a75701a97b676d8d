"""Slash commands through discord.py's real command tree (options, transformers, checks) with Discord's
interaction endpoints faked: what each answers, ephemeral or not, and that it went through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord.ext.test as dpytest
import pytest

from bot.client import SignalcordBot
from core.api.views import Caller
from core.app import Services
from core.domain import RawMessage, Side, TradeMode
from models import ExchangeAccount, Position, Provider, RealizedPnl, Subscription, User
from tests.bot.conftest import InteractionHttp, invoke

EPHEMERAL = 64
CALL = "BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x"


async def _provider(services: Services) -> Provider:
    channel = dpytest.get_config().channels[0]
    await services.accounts.register_provider("Alpha", channel.id, guild_id=dpytest.get_config().guilds[0].id)
    found = await Provider.find_one(Provider.channel_id == channel.id)
    assert found is not None
    return found


async def _member(services: Services) -> tuple[Any, User]:
    """The guild's first member (the one `invoke` acts as) and their Signalcord user."""
    member = dpytest.get_config().members[1]
    return member, await services.accounts.ensure_user(member.id, member.name)


async def test_subscribe_then_list_subscriptions(bot: SignalcordBot, services: Services,
                                                  http: InteractionHttp) -> None:
    provider = await _provider(services)
    await invoke(bot, "subscribe", [{"name": "provider", "type": 3, "value": str(provider.id)}])
    await invoke(bot, "subscriptions")

    assert http.responses[0]["type"] == 5 and http.responses[0]["data"]["flags"] == EPHEMERAL  # deferred first
    assert http.answers[0]["content"].startswith("You now follow **Alpha**")
    assert http.answers[0]["flags"] == EPHEMERAL
    assert http.answers[1]["embeds"][0]["title"] == "Your providers"
    member = dpytest.get_config().members[1]
    user = await User.find_one(User.discord_id == member.id)
    assert user is not None and await Subscription.find(Subscription.user_id == str(user.id)).count() == 1


async def test_a_refusal_is_a_friendly_ephemeral_answer(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "risk set", [{"name": "field", "type": 3, "value": "risk_pct"},
                                   {"name": "value", "type": 3, "value": "250"}])
    [answer] = http.answers
    assert answer["flags"] == EPHEMERAL and "risk_pct" in answer["content"]
    assert "error id" not in answer["content"]


async def test_risk_set_then_show_groups_the_profile(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "risk set", [{"name": "field", "type": 3, "value": "risk_pct"},
                                   {"name": "value", "type": 3, "value": "0.5"}])
    await invoke(bot, "risk show")
    assert http.answers[0]["content"] == "`risk_pct` is now 0.5."
    embed = http.answers[1]["embeds"][0]
    assert embed["title"] == "Your risk profile"
    sizing = next(f for f in embed["fields"] if f["name"] == "Sizing")
    assert "`risk_pct`: 0.5" in sizing["value"]


async def test_a_paused_member_gets_a_resume_button(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "pause")
    await invoke(bot, "risk show")
    shown = http.answers[1]
    assert shown["embeds"][0]["title"].endswith("trading paused")
    [row] = shown["components"]
    assert row["components"][0]["label"] == "Resume trading"


async def test_provider_commands_need_manage_server(bot: SignalcordBot, services: Services,
                                                   http: InteractionHttp) -> None:
    await _provider(services)
    provider = await Provider.find_one()
    assert provider is not None
    await invoke(bot, "provider disable", [{"name": "provider", "type": 3, "value": str(provider.id)}])
    await invoke(bot, "provider disable", [{"name": "provider", "type": 3, "value": str(provider.id)},
                                           {"name": "reason", "type": 3, "value": "on holiday"}], admin=True)
    refused, done = http.answers
    assert refused["flags"] == EPHEMERAL and "admin" in refused["content"].lower()
    assert done["content"] == "Alpha is disabled: on holiday."
    assert (await Provider.find_one()).enabled is False  # type: ignore[union-attr]


async def test_provider_test_shows_the_reading_and_a_dry_run_of_the_callers_profile(
        bot: SignalcordBot, services: Services, http: InteractionHttp) -> None:
    provider = await _provider(services)
    orders_before = await services.api.positions.orders(Caller(discord_id=dpytest.get_config().members[1].id))
    await invoke(bot, "provider test", [{"name": "message", "type": 3, "value": CALL},
                                        {"name": "provider", "type": 3, "value": str(provider.id)}], admin=True)
    [answer] = http.answers
    assert answer["content"].startswith("Read as **signal**") and "41000" in answer["content"]
    [decision] = answer["embeds"]
    assert decision["title"].startswith("Your profile would TRADE")
    assert any(f["name"] == "Every check" and "`" in f["value"] for f in decision["fields"])
    assert orders_before == [] and await Position.count() == 0  # a dry run: nothing traded, nothing stored


async def test_why_explains_the_members_decision(bot: SignalcordBot, services: Services,
                                                 http: InteractionHttp) -> None:
    provider = await _provider(services)
    _, user = await _member(services)
    await services.accounts.subscribe(user, provider)
    channel = dpytest.get_config().channels[0]
    await services.pipeline.ingest(RawMessage(channel_id=channel.id, message_id=4242, author="provider",
                                              text=CALL, created_at=services.clock()))
    link = f"https://discord.com/channels/{dpytest.get_config().guilds[0].id}/{channel.id}/4242"

    await invoke(bot, "why", [{"name": "message", "type": 3, "value": link}])

    embed = http.answers[0]["embeds"][0]
    assert embed["title"].startswith("TRADE")
    assert any(f["name"] == "Every check" for f in embed["fields"])


async def test_entry_moves_a_waiting_entry_and_says_why_it_refuses(bot: SignalcordBot, services: Services,
                                                                    http: InteractionHttp) -> None:
    provider = await _provider(services)
    member, user = await _member(services)
    await services.accounts.subscribe(user, provider)
    who = Caller(discord_id=member.id, name=member.name)
    await services.api.risk.patch(who, {"entry_style": "limit", "ladder_steps": 1})
    await services.pipeline.ingest(RawMessage(  # below the market (42,250): the entry waits
        channel_id=dpytest.get_config().channels[0].id, message_id=7, author="provider",
        text="BTC/USDT LONG entry 41800 TP1 44000 SL 41000 10x", created_at=services.clock()))
    [order] = await services.api.positions.orders(who)

    await invoke(bot, "entry", [{"name": "order", "type": 3, "value": order.id},
                                {"name": "price", "type": 10, "value": 40_500}])
    await invoke(bot, "entry", [{"name": "order", "type": 3, "value": order.id},
                                {"name": "price", "type": 10, "value": 41_900}])

    refused, moved = (a["content"] for a in http.answers[-2:])
    assert "40500 is not above the stop 41000" in refused
    assert moved.startswith("BTC/USDT: entry moved from 41800 to 41900")
    assert [o.price for o in await services.api.positions.orders(who)] == [41_900]


async def test_close_asks_for_confirmation_first(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "close")
    [answer] = http.answers
    assert answer["content"] == "Close all your open positions at market?" and answer["flags"] == EPHEMERAL
    labels = [c["label"] for c in answer["components"][0]["components"]]
    assert labels == ["Close", "Keep it"]


async def test_an_unexpected_failure_apologises_with_an_error_id_that_is_logged(
        bot: SignalcordBot, services: Services, http: InteractionHttp, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(type(services.api.positions), "open", broken)
    await invoke(bot, "positions")
    [answer] = http.answers
    assert answer["flags"] == EPHEMERAL and "error id" in answer["content"]
    error_id = answer["content"].split("`")[1]
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_notifications_switch_a_topic_off(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "notifications", [{"name": "topic", "type": 3, "value": "skipped"},
                                        {"name": "on", "type": 5, "value": False}])
    topics = http.answers[0]["embeds"][0]["fields"][0]["value"]
    assert "⛔ `skipped`" in topics and "✅ `opened`" in topics


async def test_help_lists_every_command(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "help")
    assert all(len(a["content"]) <= 2000 for a in http.answers)  # Discord's limit: the list goes on in follow-ups
    content = "\n".join(a["content"] for a in http.answers)
    for name in ("/subscribe", "/risk set", "/provider add", "/why", "/close", "/notifications", "/entry"):
        assert f"`{name}`" in content


async def test_pnl_answers_with_a_chart_of_the_realised_days(bot: SignalcordBot, services: Services,
                                                             http: InteractionHttp) -> None:
    _, user = await _member(services)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    for n, pnl in enumerate((25.0, -10.0)):
        await RealizedPnl(trade_id=f"t{n}", position_id="a" * 24, user_id=str(user.id), account_id="b" * 24,
                          exchange="binance", symbol="BTC/USDT", pnl=pnl, at_ms=now_ms - n).insert()

    await invoke(bot, "pnl", [{"name": "period", "type": 3, "value": "week"}])

    [answer] = http.answers
    assert answer["embeds"][0]["title"] == "Realised P&L (week): +15.00"
    assert answer["embeds"][0]["image"]["url"] == "attachment://pnl.png" and answer["files"] == ["pnl.png"]
    assert http.attachments[0].startswith(b"\x89PNG")


async def test_mode_live_asks_to_confirm_naming_the_account(bot: SignalcordBot, services: Services,
                                                            http: InteractionHttp) -> None:
    _, user = await _member(services)
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == str(user.id))
    assert account is not None

    await invoke(bot, "mode", [{"name": "mode", "type": 3, "value": "live"},
                               {"name": "account", "type": 3, "value": str(account.id)}])
    await invoke(bot, "mode", [{"name": "mode", "type": 3, "value": "testnet"},
                               {"name": "account", "type": 3, "value": str(account.id)}])

    confirm, refused = http.answers
    assert f"**{account.label} on {account.exchange}**" in confirm["content"]
    assert confirm["components"][0]["components"][0]["label"] == "Go live"
    assert "add this account's exchange keys on the dashboard first" in refused["content"]
    assert (await ExchangeAccount.get(account.id)).mode.value == "paper"  # type: ignore[union-attr]


async def test_a_member_without_the_role_is_refused_naming_it(bot: SignalcordBot, services: Services,
                                                             http: InteractionHttp) -> None:
    provider = await _provider(services)
    guild_id = dpytest.get_config().guilds[0].id
    owner = Caller(discord_id=1, admin=True, guild_id=guild_id)
    await services.api.servers.allow(owner, "subscribe", 4242, True)

    await invoke(bot, "subscribe", [{"name": "provider", "type": 3, "value": str(provider.id)}])

    [answer] = http.answers
    assert answer["flags"] == EPHEMERAL and "needs one of these roles: <@&4242>" in answer["content"]
    assert await Subscription.count() == 0


async def test_leaderboard_ranks_providers_by_the_members_closed_trades(bot: SignalcordBot, services: Services,
                                                                       http: InteractionHttp) -> None:
    provider = await _provider(services)
    other = await services.accounts.register_provider("Beta", 99)
    _, user = await _member(services)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    results = [(provider, 30.0), (provider, -10.0), (other, -5.0)]
    for n, (source, pnl) in enumerate(results):
        await Position(user_id=str(user.id), account_id="b" * 24, signal_id=f"{n:024d}", provider_id=str(source.id),
                       mode=TradeMode.PAPER, symbol="BTC/USDT", side=Side.LONG, leverage=1.0, status="closed",
                       realized_pnl=pnl, closed_at_ms=now_ms).insert()

    await invoke(bot, "leaderboard")

    fields = http.answers[0]["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["1. Alpha", "2. Beta"]
    assert fields[0]["value"] == "2 trade(s), win rate 50%, profit factor 3.00, net +20.00"


async def test_provider_names_are_autocompleted(bot: SignalcordBot, services: Services,
                                                http: InteractionHttp) -> None:
    provider = await _provider(services)
    await services.accounts.register_provider("Beta signals", 98)
    await invoke(bot, "subscribe", [{"name": "provider", "type": 3, "value": "alp", "focused": True}], kind=4)
    [response] = http.responses
    assert response["type"] == 8  # autocomplete result
    assert response["data"]["choices"] == [{"name": "Alpha", "value": str(provider.id)}]


async def test_calc_symbols_are_autocompleted(bot: SignalcordBot, http: InteractionHttp) -> None:
    await invoke(bot, "calc", [{"name": "entry", "type": 10, "value": 100},
                               {"name": "stop", "type": 10, "value": 90},
                               {"name": "symbol", "type": 3, "value": "et", "focused": True}], kind=4)
    [response] = http.responses
    names = [c["name"] for c in response["data"]["choices"]]
    assert "ETH/USDT" in names[:5] and all(n.startswith("ET") for n in names) and len(names) <= 25


async def test_admin_show_lists_the_servers_access_rules(bot: SignalcordBot, services: Services,
                                                         http: InteractionHttp) -> None:
    guild_id = dpytest.get_config().guilds[0].id
    await services.api.servers.allow(Caller(discord_id=1, admin=True, guild_id=guild_id), "trade", 4343, True)
    await invoke(bot, "admin show", admin=True)
    fields = {f["name"]: f["value"] for f in http.answers[0]["embeds"][0]["fields"]}
    assert fields["Trade on testnet or live"] == "<@&4343>" and fields["Subscribe"] == "everyone"


async def test_dashboard_gives_a_one_time_login_link(bot: SignalcordBot, services: Services,
                                                     http: InteractionHttp) -> None:
    await invoke(bot, "dashboard")
    [answer] = http.answers
    assert answer["flags"] == EPHEMERAL and "expires in 5 minutes" in answer["content"]
    token = answer["content"].split("/auth/link/", 1)[1].split()[0]
    who = await services.api.login_links.redeem(token)
    assert who.discord_id == dpytest.get_config().members[1].id
