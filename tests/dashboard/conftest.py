"""The dashboard on the real services and database, with helpers to log in and post forms with the CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.api import Caller
from core.app import Services
from core.domain import RawMessage
from dashboard.app import create_app
from dashboard.config import WebConfig

META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


async def csrf_of(client: TestClient, path: str = "/auth/login") -> str:  # type: ignore[type-arg]
    page = await client.get(path)
    found = META.search(await page.text())
    assert found is not None and found.group(1), "the page carries a CSRF token"
    return found.group(1)


async def post_form(client: TestClient, path: str, data: dict[str, Any] | None = None, *,  # type: ignore[type-arg]
                    page: str = "/dashboard", **kwargs: Any) -> Any:
    token = await csrf_of(client, page)
    return await client.post(path, data={"csrf_token": token, **(data or {})}, allow_redirects=False, **kwargs)


async def local_login(client: TestClient) -> None:  # type: ignore[type-arg]
    token = await csrf_of(client, "/auth/login")
    answer = await client.post("/auth/local", data={"csrf_token": token}, allow_redirects=False)
    assert answer.status == 303, await answer.text()


async def resting_entry(services: Services, caller: Caller) -> None:
    """`caller` follows a provider whose limit call waits below the market (42,250): entry 41,800, stop 41,000."""
    admin = Caller(discord_id=1, name="admin", admin=True)
    await services.api.risk.patch(caller, {"entry_style": "limit", "ladder_steps": 1})
    alpha = await services.api.providers.register(admin, "Alpha", 777)
    await services.api.subscriptions.subscribe(caller, alpha.id)
    await services.pipeline.ingest(RawMessage(
        channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 41800 TP1 44000 SL 41000 10x",
        created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))


@pytest.fixture
def web_config() -> WebConfig:
    return WebConfig(public_url="http://127.0.0.1", local_login=True)


@pytest.fixture
async def web(services: Services, aiohttp_client: AiohttpClient, web_config: WebConfig) -> TestClient:  # type: ignore[type-arg]
    return await aiohttp_client(create_app(services.api, web_config))


@pytest.fixture
async def member(web: TestClient) -> TestClient:  # type: ignore[type-arg]
    """A client logged in by the local login."""
    await local_login(web)
    return web
