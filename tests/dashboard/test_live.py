"""The live socket: a logged-in page gets the overview at once and again when it changes (here: a call opens a
position); without a login the socket is refused."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.api import Caller
from core.app import Services
from core.domain import RawMessage
from dashboard.app import create_app
from dashboard.config import WebConfig
from dashboard.live import INTERVAL_S
from tests.dashboard.conftest import local_login

LOCAL = Caller(discord_id=0, name="Local user")
ADMIN = Caller(discord_id=1, name="admin", admin=True)


async def test_the_socket_pushes_the_overview_when_it_changes(services: Services,
                                                               aiohttp_client: AiohttpClient) -> None:
    app = create_app(services.api, WebConfig(public_url="http://127.0.0.1", local_login=True))
    app[INTERVAL_S] = 0.05
    client: TestClient = await aiohttp_client(app)  # type: ignore[type-arg]
    await local_login(client)
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    await services.api.subscriptions.subscribe(LOCAL, alpha.id)
    async with client.ws_connect("/ws") as socket:
        first = await socket.receive_json(timeout=10)
        assert first["type"] == "overview" and first["positions"] == [] and first["standing"]["equity"] == 10_000
        await services.pipeline.ingest(RawMessage(
            channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
            created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))
        updates = [await socket.receive_json(timeout=10)]
        while not updates[-1]["notifications"] and len(updates) < 10:  # the call is stored in steps
            updates.append(await socket.receive_json(timeout=10))
        last = updates[-1]
        assert len({u["version"] for u in [first, *updates]}) == len(updates) + 1, "sent only when it changed"
        assert [p["symbol"] for p in last["positions"]] == ["BTC/USDT"]
        assert last["notifications"][0]["kind"] == "trade_opened"
        await socket.send_str("ping")
        assert (await socket.receive_json(timeout=10))["type"] == "pong"


async def test_no_socket_without_a_login(web: TestClient) -> None:  # type: ignore[type-arg]
    handshake = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    answer = await web.get("/ws", headers=handshake, allow_redirects=False)
    assert answer.status == 303 and answer.headers["Location"] == "/auth/login"
    assert WSMsgType.TEXT  # the message kinds the socket speaks
