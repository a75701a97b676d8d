from __future__ import annotations

from pathlib import Path

from pytest_aiohttp import AiohttpClient

from core.app import Services, build_services
from dashboard.app import create_app
from dashboard.config import WebConfig
from models.embedded import EmbeddedMongo
from tests.conftest import make_settings


async def test_healthz_ok(services: Services, aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(services.api))
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "db": "ok"}
    page = await client.get("/status")
    assert page.status == 200 and "Running: engine, scheduler and database are up." in await page.text()


async def test_healthz_reports_a_dead_database_with_503(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    server = EmbeddedMongo(None)
    server.start()
    try:
        settings = make_settings(tmp_path, MONGODB_URI=server.uri)
        async with build_services(settings) as services:
            config = WebConfig(public_url="http://127.0.0.1", health_timeout=0.5)
            client = await aiohttp_client(create_app(services.api, config))
            assert (await client.get("/healthz")).status == 200
            server.stop()  # the database goes away under a running app
            response = await client.get("/healthz")
            assert response.status == 503
            body = await response.json()
            assert body["status"] == "degraded" and body["db"].startswith("error: ")
            page = await client.get("/status")
            assert "Degraded: error: " in await page.text()
    finally:
        server.stop()
