"""The dashboard on the real services and database, with helpers to log in and post forms with the CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.app import Services
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
