"""Webhook providers: an alert posted to /webhook/{token} (JSON or plain text) goes through the same pipeline as a
Discord message (same dedupe, same decisions); an unknown token is 404, a bad alert 422, and a token gets at most
100 alerts a minute."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from core.api import Caller, Forbidden, Invalid
from core.api.webhooks import alert_text
from core.app import Services
from models import Decision, Message, Provider
from tests.dashboard.conftest import csrf_of

ADMIN = Caller(discord_id=1, name="admin", admin=True)
ALICE = Caller(discord_id=11, name="alice")


@pytest.fixture
async def hook(services: Services) -> tuple[str, str]:
    provider, token = await services.api.webhooks.create(ADMIN, "TV strategy")
    await services.api.subscriptions.subscribe(ALICE, provider.id)
    return provider.id, token


async def test_a_json_alert_trades_and_a_repeat_is_a_duplicate(web: TestClient, hook: tuple[str, str],  # type: ignore[type-arg]
                                                                services: Services) -> None:
    _, token = hook
    alert = {"ticker": "BTCUSDT", "action": "buy", "price": "42000-42500", "tp": [43000, 44000], "sl": 41000,
             "leverage": 10}
    first = await web.post(f"/webhook/{token}", json=alert)
    body = await first.json()
    assert first.status == 202 and body == {"status": "processed", "kind": "signal", "reason": None, "decisions": 1}
    [decision] = await Decision.find_all().to_list()
    assert decision.outcome == "trade"
    [position] = await services.api.positions.open(ALICE)
    assert (position.symbol, position.side, position.stop_loss) == ("BTC/USDT", "long", 41_000)
    again = await web.post(f"/webhook/{token}", json=alert)
    assert again.status == 200 and (await again.json())["status"] == "duplicate"
    assert await Message.find_all().count() == 1


async def test_plain_text_alerts_and_refusals(web: TestClient, hook: tuple[str, str]) -> None:  # type: ignore[type-arg]
    _, token = hook
    text = await web.post(f"/webhook/{token}", data="ETH/USDT SHORT entry 2000 TP1 1900 SL 2100 5x",
                          headers={"Content-Type": "text/plain"})
    assert text.status == 202 and (await text.json())["kind"] == "signal"
    noise = await web.post(f"/webhook/{token}", data="just an opinion", headers={"Content-Type": "text/plain"})
    assert (await noise.json())["kind"] == "noise"
    unknown = await web.post("/webhook/not-a-token", json={"message": "BTC LONG"})
    assert unknown.status == 404
    broken = await web.post(f"/webhook/{token}", data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status == 422 and "not valid JSON" in (await broken.json())["detail"]
    partial = await web.post(f"/webhook/{token}", json={"ticker": "BTCUSDT"})
    assert partial.status == 422 and "needs `message`" in (await partial.json())["detail"]


async def test_a_token_gets_100_alerts_a_minute(web: TestClient, hook: tuple[str, str]) -> None:  # type: ignore[type-arg]
    _, token = hook
    statuses = [(await web.post(f"/webhook/{token}", data=f"note {n}", headers={"Content-Type": "text/plain"}))
                .status for n in range(101)]
    assert statuses[:100] == [202] * 100 and statuses[100] == 429


async def test_webhooks_need_an_admin_and_a_rotated_token_replaces_the_old(web: TestClient,  # type: ignore[type-arg]
                                                                          hook: tuple[str, str],
                                                                          services: Services) -> None:
    provider_id, old = hook
    with pytest.raises(Forbidden):
        await services.api.webhooks.create(ALICE, "mine")
    new = await services.api.webhooks.rotate(ADMIN, provider_id)
    assert (await web.post(f"/webhook/{old}", data="x", headers={"Content-Type": "text/plain"})).status == 404
    assert (await web.post(f"/webhook/{new}", data="x", headers={"Content-Type": "text/plain"})).status == 202
    stored = await Provider.find_one(Provider.source == "webhook")
    assert stored is not None and stored.webhook_key not in (old, new), "only the digest is stored"
    assert stored.channel_id not in await services.api.intake.channels(), "the Discord listener does not read it"
    assert await csrf_of(web)  # the rest of the dashboard is unaffected


def test_alert_text_writes_a_call_from_fields() -> None:
    assert alert_text(b'{"symbol": "SOLUSDT", "side": "sell", "sl": 150, "tp": "140,130"}', "application/json") == \
        "SOLUSDT SHORT market TP1 140 TP2 130 SL 150"
    assert alert_text(b'{"message": "BTC LONG now"}', "application/json") == "BTC LONG now"
    with pytest.raises(Invalid, match="empty"):
        alert_text(b"  ", "text/plain")
