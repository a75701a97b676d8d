"""The providers page: a member follows, prioritises and unfollows providers; an admin disables a provider,
edits its format hints, and marks an unparsed message as a call, after which the same format reads as a call."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.api import Caller
from core.app import Services
from core.domain import RawMessage
from tests.dashboard.conftest import post_form

LOCAL = Caller(discord_id=0, name="Local user")
ADMIN = Caller(discord_id=1, name="admin", admin=True)
ODD = "Buy zone 42000 for BITCOIN, exit at 43000, invalid below 41000"


async def test_follow_prioritise_unfollow(member: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    page = await (await member.get("/dashboard/providers")).text()
    assert "Alpha" in page and "Follow" in page
    path = f"/dashboard/providers/{alpha.id}/subscription"
    assert (await post_form(member, path, {"action": "subscribe"}, page="/dashboard/providers")).status == 303
    assert (await post_form(member, path, {"priority": "7"}, page="/dashboard/providers")).status == 303
    [sub] = await services.api.subscriptions.list(LOCAL)
    assert (sub.provider, sub.priority) == ("Alpha", 7)
    refused = await post_form(member, path, {"priority": "lots"}, page="/dashboard/providers")
    assert refused.status == 422 and "not a whole number" in await refused.text()
    assert (await post_form(member, path, {"action": "unsubscribe"}, page="/dashboard/providers")).status == 303
    assert [s.enabled for s in await services.api.subscriptions.list(LOCAL)] == [False]
    assert "Follow</button>" in await (await member.get("/dashboard/providers")).text()


async def test_an_admin_manages_providers_and_teaches_a_format(member: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    await services.pipeline.ingest(RawMessage(channel_id=777, message_id=1, author="p", text=ODD,
                                              created_at=datetime(2026, 4, 1, 12, tzinfo=UTC)))
    page = await (await member.get("/dashboard/providers")).text()
    assert 'id="inbox"' in page and "BITCOIN" in page
    taught = await post_form(member, f"/dashboard/providers/{alpha.id}/teach", {
        "text": ODD, "symbol": "btc/usdt", "side": "long", "entries": "42000", "take_profits": "43000",
        "stop_loss": "41000"}, page="/dashboard/providers")
    assert taught.status == 303, await taught.text()
    reading = await services.api.providers.test(ODD.replace("42000", "50000").replace("43000", "51000")
                                                .replace("41000", "49000"), alpha.id)
    assert reading.record["kind"] == "signal" and reading.record["entries"] == [50000]
    hints = await post_form(member, f"/dashboard/providers/{alpha.id}/settings", {"default_leverage": "5"},
                            page="/dashboard/providers")
    assert hints.status == 303 and (await services.api.providers.list())[0].default_leverage == 5
    off = await post_form(member, f"/dashboard/providers/{alpha.id}/settings", {"action": "disable"},
                          page="/dashboard/providers")
    assert off.status == 303 and not (await services.api.providers.list())[0].enabled


async def test_a_member_sees_no_admin_parts(services: Services, aiohttp_client: AiohttpClient,
                                            member: TestClient) -> None:  # type: ignore[type-arg]
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    other = await aiohttp_client(member.app)
    token = await services.api.login_links.issue(Caller(discord_id=55, name="member"))
    await other.get(f"/auth/link/{token}", allow_redirects=False)
    page = await (await other.get("/dashboard/providers")).text()
    assert 'id="inbox"' not in page
    refused = await post_form(other, f"/dashboard/providers/{alpha.id}/settings", {"action": "disable"},
                              page="/dashboard/providers")
    assert refused.status == 403 and (await services.api.providers.list())[0].enabled
