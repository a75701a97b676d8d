"""Every response's protections: security headers on every route, CSRF and Origin on every state change, rate
limits with Retry-After, errors without a stack trace, and the ownership matrix (user B against every route that
takes an id of user A's, every method: never a 2xx, and A's objects unchanged)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.api import Caller
from core.app import Services
from core.domain import RawMessage
from dashboard.app import create_app
from dashboard.config import WebConfig
from tests.dashboard.conftest import csrf_of

ADMIN = Caller(discord_id=1, name="admin", admin=True)
ALICE = Caller(discord_id=11, name="alice")
BOB = Caller(discord_id=12, name="bob")
CHANNEL = 777
PARAM = re.compile(r"\{(\w+)\}")


def _routes(client: TestClient) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(method, path with a made-up id) for every route of the app."""
    found = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path and route.method != "HEAD":
            found.append((route.method, PARAM.sub("0123456789abcdef01234567", str(path))))
    return sorted(set(found))


def _assert_protected(headers: object, path: str) -> None:
    h = getattr(headers, "get")  # noqa: B009
    csp = h("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, path
    assert h("X-Content-Type-Options") == "nosniff", path
    assert h("Referrer-Policy") == "same-origin", path
    if not path.startswith("/static/"):
        assert h("Cache-Control") == "no-store", path


async def test_security_headers_on_every_route_and_method(member: TestClient) -> None:  # type: ignore[type-arg]
    routes = _routes(member)
    assert len(routes) > 20
    for method, path in routes:
        answer = await member.request(method, path, allow_redirects=False)
        assert answer.status < 500, (method, path, await answer.text())
        _assert_protected(answer.headers, path)


async def test_state_changes_need_the_csrf_token(member: TestClient) -> None:  # type: ignore[type-arg]
    for method, path in _routes(member):
        if method in ("GET", "HEAD") or path.startswith("/webhook/"):  # other servers post alerts there
            continue
        bare = await member.request(method, path, allow_redirects=False)
        assert bare.status == 403, (method, path)
        assert "security token" in await bare.text()
    wrong = await member.post("/dashboard/pause", data={"csrf_token": "guess"}, allow_redirects=False)
    assert wrong.status == 403
    assert (await (await member.get("/api/v1/risk")).json())["paused"] is False


async def test_a_post_from_another_site_is_refused_even_with_the_token(member: TestClient) -> None:  # type: ignore[type-arg]
    token = await csrf_of(member, "/dashboard")
    answer = await member.post("/dashboard/pause", data={"csrf_token": token},
                               headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert answer.status == 403 and "another site" in await answer.text()
    same = await member.post("/dashboard/pause", data={"csrf_token": token}, headers={"Origin": str(member.make_url(""))
                                                                                      .rstrip("/")},
                             allow_redirects=False)
    assert same.status == 303
    assert (await (await member.get("/api/v1/risk")).json())["paused"] is True


async def test_the_api_takes_the_token_in_a_header(member: TestClient) -> None:  # type: ignore[type-arg]
    token = await csrf_of(member, "/dashboard")
    refused = await member.patch("/api/v1/risk", json={"risk_pct": 0.5})
    assert refused.status == 403 and refused.content_type == "application/problem+json"
    answer = await member.patch("/api/v1/risk", json={"risk_pct": 0.5}, headers={"X-CSRF-Token": token})
    assert answer.status == 200 and (await answer.json())["profile"]["risk_pct"] == 0.5
    bad = await member.patch("/api/v1/risk", json={"risk_pct": 500}, headers={"X-CSRF-Token": token})
    problem = await bad.json()
    assert bad.status == 422 and problem["errors"][0].startswith("risk_pct")


async def test_login_attempts_are_rate_limited_per_address_across_dashboard_processes(
        web: TestClient, services: Services, aiohttp_client: AiohttpClient, web_config: WebConfig  # type: ignore[type-arg]
) -> None:
    other = await aiohttp_client(create_app(services.api, web_config))  # a second dashboard process, same database
    statuses = [(await (web if n % 2 else other).get("/auth/login")).status for n in range(25)]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
    limited = await web.get("/auth/login")
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "too many requests" in await limited.text()
    _assert_protected(limited.headers, "/auth/login")


async def test_an_unexpected_error_shows_an_error_id_not_a_trace(member: TestClient, services: Services,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("internal detail that must not leak")
    monkeypatch.setattr(services.api.standing, "overview", broken)
    monkeypatch.setattr(services.api.standing, "now", broken)
    page = await member.get("/dashboard")
    text = await page.text()
    assert page.status == 500 and "Error id" in text and "internal detail" not in text and "Traceback" not in text
    api = await member.get("/api/v1/standing")
    body = await api.json()
    assert api.status == 500 and re.fullmatch(r"[0-9a-f]{12}", body["error_id"]) and "internal" not in body["detail"]


async def test_unknown_pages_are_friendly(member: TestClient) -> None:  # type: ignore[type-arg]
    page = await member.get("/dashboard/nope")
    assert page.status == 404 and "Page not found" in await page.text()


async def _alice_with_everything(services: Services) -> dict[str, str]:
    api = services.api
    alpha = await api.providers.register(ADMIN, "Alpha", CHANNEL)
    await api.subscriptions.subscribe(ALICE, alpha.id)
    await services.pipeline.ingest(RawMessage(
        channel_id=CHANNEL, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
        created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))
    [position] = await api.positions.open(ALICE)
    order = (await api.positions.orders(ALICE))[0]
    account = await api.accounts.add(ALICE, exchange="binance", label="main", api_key="A" * 20, api_secret="B" * 30)
    return {"position_id": position.id, "order_id": order.id, "account_id": account.id}


async def test_another_users_ids_never_answer_2xx(services: Services, aiohttp_client: AiohttpClient) -> None:
    ids = await _alice_with_everything(services)
    bob = await aiohttp_client(create_app(services.api, WebConfig(public_url="http://127.0.0.1")))
    token = await services.api.login_links.issue(BOB)
    assert (await bob.get(f"/auth/link/{token}", allow_redirects=False)).status == 303
    csrf = await csrf_of(bob, "/dashboard")
    tried = 0
    for route in bob.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        formatter = str(info.get("formatter", ""))
        names = PARAM.findall(formatter)
        if not names or not all(n in ids for n in names) or route.method == "HEAD":
            continue
        path = formatter.format(**ids)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            answer = await bob.request(method, path, data={"csrf_token": csrf, "price": "41500", "mode": "paper"},
                                       allow_redirects=False)
            tried += 1
            assert not 200 <= answer.status < 300 and answer.status != 303, (method, path, answer.status)
    assert tried >= 30
    api = services.api
    [position] = await api.positions.open(ALICE)
    assert (position.id, position.stop_loss) == (ids["position_id"], 41_000)
    assert any(o.id == ids["order_id"] for o in await api.positions.orders(ALICE))
    assert any(a.id == ids["account_id"] for a in await api.accounts.list(ALICE))
