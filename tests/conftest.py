"""Shared fixtures: one real MongoDB-wire server per test session (embedded nx-27017, or MONGODB_URI),
a fresh database per test, and the app's services built by the real composition root."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from beanie import init_beanie
from pymongo import AsyncMongoClient

from core.app import Services, build_services
from core.config.settings import Settings, load_settings
from core.market.prices import StaticPriceSource
from models import ALL_DOCUMENTS
from models.embedded import EmbeddedMongo
from tests.fakes.binance import FakeBinance
from tests.fakes.bybit import FakeBybit

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    with EmbeddedMongo(None) as server:
        yield server.uri


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[str]:
    """A fresh database (Beanie initialised) per test; yields its name."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url, tz_aware=True)
    name = f"t_{uuid.uuid4().hex[:10]}"
    await init_beanie(database=client[name], document_models=ALL_DOCUMENTS)
    yield name
    await client.drop_database(name)
    await client.close()


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def prices() -> StaticPriceSource:
    return StaticPriceSource({"BTC/USDT": 42_250.0, "ETH/USDT": 2_000.0})


def make_settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(_env_file=None, SIGNALCORD_DATA_DIR=str(tmp_path), **env)


@pytest.fixture
async def services(mongo_url: str, tmp_path: Path, prices: StaticPriceSource,
                   clock: FakeClock) -> AsyncIterator[Services]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name)
    async with build_services(settings, prices=prices, clock=clock) as built:
        yield built
        await built.client.drop_database(name)


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """A fake service's app behind a local server: its base URL (the real client library talks to it)."""
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def fake_binance() -> AsyncIterator[tuple[FakeBinance, str]]:
    """The fake Binance behind a local server, and its base URL."""
    fake = FakeBinance()
    async with served(fake.app()) as url:
        yield fake, url


@pytest.fixture
async def fake_bybit() -> AsyncIterator[tuple[FakeBybit, str]]:
    """The fake Bybit (v5, USDT perpetuals) behind a local server, and its base URL."""
    fake = FakeBybit()
    async with served(fake.app()) as url:
        yield fake, url
