"""A canary API key, secret and passphrase go through every path a credential takes — the dashboard's add form
(checked through ccxt against the fake Binance, which accepts exactly these), a refused variant, trading on the
account, an exception carrying the key, every page and API answer, the notifications (DMs) — with logging at
DEBUG. None of the three appears anywhere: not in a log line, not on stdout/stderr, not in a page, an answer, a
direct message or the database."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient

from core.api import Caller
from core.app import Services, build_services
from core.config.logs import RedactingFilter
from core.domain import RawMessage
from core.market.prices import StaticPriceSource
from dashboard.app import create_app
from dashboard.config import WebConfig
from models import ExchangeAccount, Notification
from tests.conftest import FakeClock, make_settings
from tests.dashboard.conftest import post_form
from tests.fakes.binance import FakeBinance

CANARY_KEY = "CanaryKey0123456789abcdefKEYCANARY"
CANARY_SECRET = "CanarySecret9876543210fedcbaSECRETCANARY"
CANARY_PHRASE = "canary-pass-7"
CANARIES = (CANARY_KEY, CANARY_SECRET, CANARY_PHRASE)
POSTED = datetime(2026, 4, 1, 11, 59, tzinfo=UTC)
ALICE = Caller(discord_id=11, name="alice")
ADMIN = Caller(discord_id=1, name="admin", admin=True)


@pytest.fixture
async def canary_exchange() -> AsyncIterator[tuple[FakeBinance, str]]:
    fake = FakeBinance(api_key=CANARY_KEY, secret=CANARY_SECRET)
    server = TestServer(fake.app())
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def venue(mongo_url: str, tmp_path: Path, canary_exchange: tuple[FakeBinance, str]
                ) -> AsyncIterator[Services]:
    _, url = canary_exchange
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name,
                             SIGNALCORD_EXCHANGE_BASE_URL=url, SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1")
    async with build_services(settings, prices=StaticPriceSource({"BTC/USDT": 42_250.0}),
                              clock=FakeClock(POSTED)) as built:
        yield built
        await built.client.drop_database(name)


@pytest.fixture
def debug_log() -> AsyncIterator[io.StringIO]:  # type: ignore[misc]
    """Every log line at DEBUG, written the way the app writes them (through the redacting filter)."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield sink
    root.removeHandler(handler)
    root.setLevel(level)


async def test_the_canary_never_appears(venue: Services, aiohttp_client: AiohttpClient, debug_log: io.StringIO,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    web: TestClient = await aiohttp_client(create_app(venue.api, WebConfig(public_url="http://127.0.0.1")))  # type: ignore[type-arg]
    token = await venue.api.login_links.issue(ALICE)
    assert (await web.get(f"/auth/link/{token}", allow_redirects=False)).status == 303
    seen: list[str] = []

    added = await post_form(web, "/dashboard/exchanges", {
        "exchange": "binance", "label": "main", "api_key": CANARY_KEY, "api_secret": CANARY_SECRET,
        "passphrase": CANARY_PHRASE, "mode": "testnet"}, page="/dashboard/exchanges")
    assert added.status == 303 and "testnet+mode" in added.headers["Location"]
    seen.append(added.headers["Location"])
    refused = await post_form(web, "/dashboard/exchanges", {
        "exchange": "binance", "label": "wrong", "api_key": CANARY_KEY, "api_secret": CANARY_SECRET[::-1],
        "mode": "testnet"}, page="/dashboard/exchanges")
    seen.append(refused.headers["Location"])
    assert "refused+the+key" in refused.headers["Location"]

    # an error carrying the credentials before the account ever connected to trade
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError(f"exchange said: bad key {CANARY_KEY} / {CANARY_SECRET} / {CANARY_PHRASE}")
    monkeypatch.setattr(venue.api.standing, "overview", broken)
    crashed = await web.get("/dashboard")
    assert crashed.status == 500
    seen.append(await crashed.text())
    monkeypatch.undo()
    [main] = [a for a in await venue.api.accounts.list(ALICE) if a.label == "main"]
    await venue.api.accounts.set_default(ALICE, main.id)
    alpha = await venue.api.providers.register(ADMIN, "Alpha", 777)
    await venue.api.subscriptions.subscribe(ALICE, alpha.id)
    await venue.pipeline.ingest(RawMessage(
        channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
        created_at=POSTED, guild_id=7))
    await venue.delivery.run()


    for path in ("/dashboard", "/dashboard/signals", "/dashboard/risk", "/dashboard/positions", "/dashboard/exchanges",
                 "/dashboard/analytics", "/dashboard/settings", "/api/v1/exchanges", "/api/v1/positions",
                 "/api/v1/standing", "/api/v1/risk"):
        answer = await web.get(path)
        assert answer.status == 200, path
        seen.append(await answer.text())
    seen.extend(n.text for n in await Notification.find_all().to_list())
    seen.extend(json.dumps(a.model_dump(mode="json")) for a in await ExchangeAccount.find_all().to_list())
    out = capsys.readouterr()
    seen.extend([debug_log.getvalue(), out.out, out.err])

    assert "exchange said: bad key ***" in debug_log.getvalue(), "the exception was logged, masked"
    assert any("Opened" in n.text for n in await Notification.find_all().to_list()), "the account traded"
    for text in seen:
        for canary in CANARIES:
            assert canary not in text
