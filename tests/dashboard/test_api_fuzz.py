"""Schemathesis against the generated OpenAPI document, with a logged-in session and its CSRF token: whatever
it sends to any endpoint, the dashboard never answers 5xx. The app runs on its own event loop in a thread (the
fuzzer's HTTP client is synchronous), on the real services and database."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from core.api import Caller
from core.app import build_services
from core.domain import RawMessage
from core.market.prices import StaticPriceSource
from dashboard.app import create_app
from dashboard.config import WebConfig
from tests.conftest import FakeClock, make_settings

ALICE = Caller(discord_id=11, name="alice")
ADMIN = Caller(discord_id=1, name="admin", admin=True)
POSTED = datetime(2026, 4, 1, 11, 59, tzinfo=UTC)


class LiveDashboard:
    """The dashboard on a real port, served from a background event loop."""

    def __init__(self, mongo_url: str, data_dir: Path) -> None:
        self.mongo_url, self.data_dir = mongo_url, data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stack = AsyncExitStack()
        self.url = ""
        self.db = f"t_{uuid.uuid4().hex[:10]}"

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(120)

    async def _up(self) -> str:
        settings_ = make_settings(self.data_dir, MONGODB_URI=self.mongo_url, SIGNALCORD_DB_NAME=self.db)
        services = await self.stack.enter_async_context(build_services(
            settings_, prices=StaticPriceSource({"BTC/USDT": 42_250.0}), clock=FakeClock(POSTED)))
        alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
        await services.api.subscriptions.subscribe(ALICE, alpha.id)
        await services.pipeline.ingest(RawMessage(
            channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
            created_at=POSTED, guild_id=7))
        runner = web.AppRunner(create_app(services.api, WebConfig(public_url="http://127.0.0.1")))
        await runner.setup()
        self.stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self.stack.push_async_callback(services.client.drop_database, self.db)
        return str(await services.api.login_links.issue(ALICE))

    def start(self) -> str:
        self.thread.start()
        return str(self.run(self._up()))

    def stop(self) -> None:
        self.run(self.stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveDashboard, requests.Session,
                                                                                      str]]:
    app = LiveDashboard(mongo_url, tmp_path_factory.mktemp("fuzz"))
    token = app.start()
    session = requests.Session()
    assert session.get(f"{app.url}/auth/link/{token}", timeout=10).status_code == 200
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', session.get(f"{app.url}/dashboard", timeout=10)
                     .text)
    assert csrf is not None
    yield app, session, csrf.group(1)
    session.close()
    app.stop()


@pytest.fixture(scope="module")
def api_schema(live: tuple[LiveDashboard, requests.Session, str]) -> Any:
    app, session, _ = live
    document = session.get(f"{app.url}/api/v1/openapi.json", timeout=10).json()
    assert len(document["paths"]) >= 10
    return schemathesis.openapi.from_dict(document)


def test_no_input_makes_the_api_fail(api_schema: Any, live: tuple[LiveDashboard, requests.Session, str]) -> None:
    """Every operation, 15 generated requests each (fixed seed), checked for a server error."""
    app, session, csrf = live
    tried = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def fuzz(case: Any) -> None:
            case.call_and_validate(base_url=app.url, session=session, headers={"X-CSRF-Token": csrf},
                                   checks=[not_a_server_error])

        fuzz()
        tried.append(operation.label)
    assert len(tried) >= 12, tried
