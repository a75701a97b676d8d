"""Logging in: the local login (only on this machine), the bot's one-time link, Discord OAuth2 with PKCE against
a fake provider (a wrong state, a replayed code, a missing verifier), session cookies and their flags, logout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient

from core.api import Caller, Forbidden
from core.api.web import LoginLinks
from core.app import Services
from dashboard import oauth
from dashboard.app import create_app
from dashboard.config import OAuthConfig, WebConfig
from dashboard.security import CONFIG
from dashboard.sessions import COOKIE
from models import WebSession
from tests.dashboard.conftest import csrf_of, local_login, post_form
from tests.fakes.discord_oauth import FakeDiscordOAuth

ALICE = Caller(discord_id=11, name="alice")


def _set_cookie(answer: object) -> str:
    headers = getattr(answer, "headers")  # noqa: B009
    found = [h for h in headers.getall("Set-Cookie", []) if h.startswith(COOKIE + "=")]
    assert found, "the answer sets the session cookie"
    return str(found[-1])


async def test_local_login_sets_a_strict_cookie_with_a_fresh_id(web: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    assert (await web.get("/dashboard", allow_redirects=False)).headers["Location"] == "/auth/login"
    token = await csrf_of(web)
    before = web.session.cookie_jar.filter_cookies(web.make_url("/"))[COOKIE].value
    answer = await web.post("/auth/local", data={"csrf_token": token}, allow_redirects=False)
    assert answer.status == 303 and answer.headers["Location"] == "/dashboard"
    cookie = _set_cookie(answer)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    after = web.session.cookie_jar.filter_cookies(web.make_url("/"))[COOKIE].value
    assert after != before, "login issues a fresh session id"
    assert await WebSession.find_all().count() == 1, "the pre-login session is deleted"
    stored = await WebSession.find_one()
    assert stored is not None and stored.key != after and stored.discord_id == 0, "only the id's digest is stored"
    page = await web.get("/dashboard")
    assert page.status == 200 and "Local user" in await page.text()


async def test_logout_deletes_the_session(member: TestClient) -> None:  # type: ignore[type-arg]
    answer = await post_form(member, "/auth/logout")
    assert answer.status == 303 and answer.headers["Location"] == "/auth/login"
    assert await WebSession.find(WebSession.discord_id == 0).count() == 0
    assert (await member.get("/dashboard", allow_redirects=False)).status == 303


async def test_the_cookie_is_secure_over_https(services: Services, aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(services.api, WebConfig(public_url="https://127.0.0.1",
                                                                     local_login=True)))
    page = await client.get("/auth/login")
    assert "Secure" in _set_cookie(page)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_no_local_login_off_this_machine(services: Services, aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(services.api, WebConfig(public_url="http://203.0.113.5:8080")))
    page = await client.get("/auth/login")
    assert "local-login" not in await page.text()
    token = await csrf_of(client)
    answer = await client.post("/auth/local", data={"csrf_token": token}, allow_redirects=False)
    assert answer.status == 404 and "only on this machine" in await answer.text()


def test_the_local_login_exists_only_on_a_loopback_bind(tmp_path: object) -> None:
    from tests.conftest import make_settings
    local = WebConfig.from_settings(make_settings(tmp_path, SIGNALCORD_HOST="127.0.0.1"))
    public = WebConfig.from_settings(make_settings(tmp_path, SIGNALCORD_HOST="0.0.0.0"))  # noqa: S104
    with_oauth = WebConfig.from_settings(make_settings(tmp_path, SIGNALCORD_HOST="localhost", DISCORD_CLIENT_ID="1",
                                                       DISCORD_CLIENT_SECRET="s" * 16))
    assert (local.local_login, public.local_login, with_oauth.local_login) == (True, False, False)
    assert with_oauth.oauth is not None and with_oauth.oauth.redirect_uri == "http://localhost:8080/auth/discord/callback"


async def test_a_login_link_works_once(web: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    token = await services.api.login_links.issue(ALICE)
    answer = await web.get(f"/auth/link/{token}", allow_redirects=False)
    assert answer.status == 303
    assert "alice" in await (await web.get("/dashboard")).text()
    again = await web.get(f"/auth/link/{token}", allow_redirects=False)
    assert again.status == 403 and "already used" in await again.text()


async def test_a_login_link_expires_after_five_minutes(services: Services) -> None:
    now = [datetime(2026, 12, 1, 12, tzinfo=UTC)]
    links = LoginLinks(clock=lambda: now[0])
    token = await links.issue(ALICE)
    now[0] += timedelta(minutes=5, seconds=1)
    with pytest.raises(Forbidden, match="expired"):
        await links.redeem(token)
    with pytest.raises(Forbidden, match="already used"):
        await links.redeem(token)


@pytest.fixture
async def oauth_app(services: Services, aiohttp_client: AiohttpClient
                    ) -> AsyncIterator[tuple[TestClient, FakeDiscordOAuth]]:  # type: ignore[type-arg]
    fake = FakeDiscordOAuth()
    provider = TestServer(fake.app())
    await provider.start_server()
    config = OAuthConfig(client_id=fake.client_id, client_secret=fake.client_secret,
                         base_url=str(provider.make_url("")).rstrip("/"),
                         redirect_uri="http://127.0.0.1/auth/discord/callback")
    client = await aiohttp_client(create_app(services.api, WebConfig(public_url="http://127.0.0.1", oauth=config)))
    yield client, fake
    await provider.close()


async def _authorize(client: TestClient) -> tuple[str, dict[str, str]]:  # type: ignore[type-arg]
    """Start the login; ask the fake provider for a code as the browser would; return the callback query."""
    start = await client.get("/auth/discord", allow_redirects=False)
    assert start.status == 302
    sent = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
    assert (sent["scope"], sent["code_challenge_method"], sent["response_type"]) == ("identify", "S256", "code")
    async with ClientSession() as browser:
        granted = await browser.get(start.headers["Location"], allow_redirects=False)
    back = urlsplit(granted.headers["Location"])
    return back.path, {k: v[0] for k, v in parse_qs(back.query).items()}


async def test_discord_login_with_pkce(oauth_app: tuple[TestClient, FakeDiscordOAuth]) -> None:  # type: ignore[type-arg]
    client, fake = oauth_app
    assert "discord-login" in await (await client.get("/auth/login")).text()
    assert "local-login" not in await (await client.get("/auth/login")).text()
    path, query = await _authorize(client)
    answer = await client.get(path, params=query, allow_redirects=False)
    assert answer.status == 303, await answer.text()
    assert "Alice" in await (await client.get("/dashboard")).text()
    assert fake.token_calls == 1


async def test_a_wrong_state_is_refused_before_discord_is_asked(
        oauth_app: tuple[TestClient, FakeDiscordOAuth]) -> None:  # type: ignore[type-arg]
    client, fake = oauth_app
    path, query = await _authorize(client)
    answer = await client.get(path, params={**query, "state": "forged"}, allow_redirects=False)
    assert answer.status == 400 and "does not match" in await answer.text()
    assert fake.token_calls == 0
    retry = await client.get(path, params=query, allow_redirects=False)
    assert retry.status == 400, "the state is single-use: a refused attempt cannot be finished later"


async def test_a_replayed_code_is_refused(oauth_app: tuple[TestClient, FakeDiscordOAuth]) -> None:  # type: ignore[type-arg]
    client, fake = oauth_app
    path, query = await _authorize(client)
    assert (await client.get(path, params=query, allow_redirects=False)).status == 303
    await post_form(client, "/auth/logout")
    restart = await client.get("/auth/discord", allow_redirects=False)  # a new attempt, with its own state
    state = parse_qs(urlsplit(restart.headers["Location"]).query)["state"][0]
    replay = await client.get(path, params={"code": query["code"], "state": state}, allow_redirects=False)
    assert replay.status == 400 and "Discord refused the login (invalid_grant)" in await replay.text()
    assert fake.token_calls == 2
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303, "not logged in"


async def test_the_provider_refuses_a_replayed_code_and_a_missing_verifier(
        oauth_app: tuple[TestClient, FakeDiscordOAuth]) -> None:  # type: ignore[type-arg]
    client, _ = oauth_app
    path, query = await _authorize(client)
    assert (await client.get(path, params=query, allow_redirects=False)).status == 303
    app_config = client.app[CONFIG].oauth
    assert app_config is not None
    with pytest.raises(oauth.OAuthRefused, match="invalid_grant"):
        await oauth.identify(app_config, query["code"], "any-verifier")  # the code was spent
    _, second = await _authorize(client)
    with pytest.raises(oauth.OAuthRefused, match="invalid_grant"):
        await oauth.identify(app_config, second["code"], "")  # no verifier: PKCE refuses


async def test_a_callback_without_a_started_login_is_refused(
        oauth_app: tuple[TestClient, FakeDiscordOAuth]) -> None:  # type: ignore[type-arg]
    client, fake = oauth_app
    answer = await client.get("/auth/discord/callback", params={"code": "x", "state": "y"}, allow_redirects=False)
    assert answer.status == 400 and "does not match" in await answer.text()
    assert fake.token_calls == 0


async def test_local_login_helper(member: TestClient) -> None:  # type: ignore[type-arg]
    assert (await member.get("/dashboard/risk")).status == 200
    await local_login(member)  # logging in again replaces the session
    assert (await member.get("/dashboard")).status == 200


async def test_sessions_end_after_idle_and_absolute_time(services: Services) -> None:
    from core.api.web import SessionRules, WebSessions
    now = [datetime(2026, 12, 1, 12, tzinfo=UTC)]
    sessions = WebSessions(clock=lambda: now[0], rules=SessionRules(idle_s=3600, absolute_s=4 * 3600))
    await sessions.save("first", {"session": {"discord_id": 11}})
    now[0] += timedelta(minutes=50)
    assert await sessions.load("first") == {"session": {"discord_id": 11}}, "in use: the idle clock restarts"
    now[0] += timedelta(minutes=50)
    assert await sessions.load("first") is not None
    now[0] += timedelta(minutes=61)
    assert await sessions.load("first") is None, "an hour without use ends it"
    assert await WebSession.find_all().count() == 0, "and deletes it"
    await sessions.save("second", {"session": {"discord_id": 11}})
    for _ in range(5):
        now[0] += timedelta(minutes=55)
        await sessions.load("second")
    assert await sessions.load("second") is None, "4 hours after login it ends, however busy"


async def test_the_sweep_deletes_what_expired_and_keeps_what_lives(services: Services) -> None:
    from core.api.web import LoginLinks, SessionRules, WebSessions
    now = [datetime(2026, 12, 1, 12, tzinfo=UTC)]
    sessions = WebSessions(clock=lambda: now[0], rules=SessionRules(idle_s=3600, absolute_s=4 * 3600))
    links = LoginLinks(clock=lambda: now[0])
    await sessions.save("abandoned", {"session": {"csrf": "x"}})
    await links.issue(ALICE)
    now[0] += timedelta(minutes=59)
    await sessions.save("active", {"session": {"discord_id": 11}})
    assert await sessions.sweep() == 1, "the login link (5 minutes) expired; both sessions are inside an hour"
    now[0] += timedelta(minutes=2)
    assert await sessions.sweep() == 1, "the abandoned session passed its idle hour"
    assert await sessions.load("active") is not None and await WebSession.find_all().count() == 1
