"""Access by Discord role, per server (the seed's paid plans): who manages providers, who may subscribe and how
many providers a role may follow, who may trade beyond paper; each refusal names the roles."""

from __future__ import annotations

import pytest

from core.api.errors import Forbidden
from core.api.views import Caller
from core.app import Services

GUILD, VIP, STAFF, BASIC = 1, 11, 12, 13


def member(discord_id: int, *roles: int, admin: bool = False) -> Caller:
    return Caller(discord_id=discord_id, name=f"m{discord_id}", admin=admin, guild_id=GUILD, role_ids=list(roles))


OWNER = member(1, admin=True)


async def test_only_allowed_roles_subscribe_and_a_role_caps_how_many_providers(services: Services) -> None:
    api = services.api
    providers = [await api.providers.register(OWNER, f"P{n}", 500 + n) for n in range(3)]
    await api.servers.allow(OWNER, "subscribe", VIP, True)
    await api.servers.allow(OWNER, "subscribe", BASIC, True)
    await api.servers.set_provider_limit(OWNER, BASIC, 1)

    with pytest.raises(Forbidden, match=f"needs one of these roles: <@&{VIP}>, <@&{BASIC}>"):
        await api.subscriptions.subscribe(member(2), providers[0].id)
    basic = member(3, BASIC)
    await api.subscriptions.subscribe(basic, providers[0].id)
    await api.subscriptions.subscribe(basic, providers[0].id)  # the same one again is not a second provider
    with pytest.raises(Forbidden, match="let you follow 1 provider"):
        await api.subscriptions.subscribe(basic, providers[1].id)
    vip = member(4, VIP)
    for provider in providers:  # no limit on VIP
        await api.subscriptions.subscribe(vip, provider.id)


async def test_the_admin_role_manages_providers_but_cannot_name_itself(services: Services) -> None:
    api = services.api
    with pytest.raises(Forbidden, match="needs a server admin"):
        await api.providers.register(member(5, STAFF), "Alpha", 777)
    await api.servers.set_admin_role(OWNER, STAFF)
    added = await api.providers.register(member(5, STAFF), "Alpha", 777)
    assert added.name == "Alpha"
    with pytest.raises(Forbidden, match="Manage Server"):
        await api.servers.set_admin_role(member(5, STAFF), None)


async def test_testnet_and_live_need_a_trading_role_where_one_is_set(services: Services) -> None:
    api = services.api
    await api.servers.allow(OWNER, "trade", VIP, True)
    plain = member(6)
    [account] = await api.accounts.list(plain)
    with pytest.raises(Forbidden, match=f"testnet trading here needs one of these roles: <@&{VIP}>"):
        await api.accounts.set_mode(plain, account.id, "testnet")
    assert (await api.accounts.set_mode(plain, account.id, "paper")).mode == "paper"
    shown = await api.servers.show(OWNER)
    assert shown.trading_roles == [VIP] and shown.subscriber_roles == []
