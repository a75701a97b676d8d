"""The pages do what they say, through the API: risk settings with inline errors from the API's validation, the
calculator, exchange accounts whose keys never come back, positions closed with a confirmation, settings and
theme."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from core.api import Caller
from core.app import Services
from core.domain import RawMessage
from models import ExchangeAccount
from tests.dashboard.conftest import csrf_of, post_form, resting_entry

LOCAL = Caller(discord_id=0, name="Local user")
ADMIN = Caller(discord_id=1, name="admin", admin=True)
KEY, SECRET = "CANARYKEY-1234567890abcdef", "CANARYSECRET-0987654321fedcba"


async def _open_a_position(services: Services) -> None:
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    await services.api.subscriptions.subscribe(LOCAL, alpha.id)
    await services.pipeline.ingest(RawMessage(
        channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
        created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))


async def test_a_risk_setting_is_saved_and_a_refused_one_is_shown_inline(member: TestClient,  # type: ignore[type-arg]
                                                                          services: Services) -> None:
    saved = await post_form(member, "/dashboard/risk", {"risk_pct": "0.5", "max_leverage": "10"},
                            page="/dashboard/risk")
    assert saved.status == 303 and "Saved" in saved.headers["Location"]
    assert (await services.api.risk.show(LOCAL)).profile["risk_pct"] == 0.5
    refused = await post_form(member, "/dashboard/risk", {"risk_pct": "250", "max_leverage": "5"},
                              page="/dashboard/risk")
    page = await refused.text()
    assert refused.status == 422
    assert 'class="field invalid"' in page and "risk_pct" in page and 'value="250"' in page, "what was typed stays"
    profile = (await services.api.risk.show(LOCAL)).profile
    assert (profile["risk_pct"], profile["max_leverage"]) == (0.5, 10), "nothing of a refused form is saved"


async def test_the_calculator_answers_on_the_callers_balance_or_a_typed_one(member: TestClient) -> None:  # type: ignore[type-arg]
    own = await (await member.get("/api/v1/calc", params={"entry": "100", "stop": "95", "targets": "110,120"})).json()
    assert (own["side"], own["risk_amount"], own["rr"]) == ("long", 100.0, [2.0, 4.0])
    typed = await (await member.get("/api/v1/calc", params={"entry": "100", "stop": "95", "balance": "2000"})).json()
    assert typed["risk_amount"] == 20.0
    wrong = await member.get("/api/v1/calc", params={"entry": "100", "stop": "100"})
    assert wrong.status == 422 and "stop equals the entry" in (await wrong.json())["detail"]
    garbage = await member.get("/api/v1/calc", params={"entry": "lots", "stop": "95"})
    assert garbage.status == 422 and "entry: 'lots' is not a number" in (await garbage.json())["detail"]
    page = await member.get("/dashboard/risk", params={"entry": "100", "stop": "95"})
    assert 'id="calc-size"' in await page.text(), "the calculator works without JavaScript too"


async def test_an_exchange_account_is_added_with_sealed_keys_and_removed(member: TestClient,  # type: ignore[type-arg]
                                                                       services: Services) -> None:
    added = await post_form(member, "/dashboard/exchanges", {"exchange": "binance", "label": "main", "api_key": KEY,
                                                             "api_secret": SECRET}, page="/dashboard/exchanges")
    assert added.status == 303
    page = await (await member.get("/dashboard/exchanges")).text()
    listed = await (await member.get("/api/v1/exchanges")).text()
    stored = await ExchangeAccount.find_one(ExchangeAccount.label == "main")
    assert stored is not None
    for shown in (page, listed, json.dumps(stored.model_dump(mode="json"))):
        assert KEY not in shown and SECRET not in shown
    assert "sealed" in page
    refused = await post_form(member, "/dashboard/exchanges", {"exchange": "kraken", "label": "x", "api_key": "k",
                                                               "api_secret": "s"}, page="/dashboard/exchanges")
    assert refused.status == 422 and "exchange: &#39;kraken&#39; is not one of" in await refused.text()
    removed = await post_form(member, f"/dashboard/exchanges/{stored.id}/remove", page="/dashboard/exchanges")
    assert removed.status == 303 and await ExchangeAccount.find_one(ExchangeAccount.label == "main") is None


async def test_a_spot_account_is_added_on_binance_and_refused_elsewhere(member: TestClient) -> None:  # type: ignore[type-arg]
    added = await post_form(member, "/dashboard/exchanges", {"exchange": "binance", "market": "spot", "label": "spot",
                                                             "api_key": KEY, "api_secret": SECRET},
                            page="/dashboard/exchanges")
    assert added.status == 303
    told = added.headers["Location"].replace("+", " ")
    assert "long calls only" in told and "stop-limit" in told
    stored = await ExchangeAccount.find_one(ExchangeAccount.label == "spot")
    assert stored is not None and stored.market == "spot"
    page = await (await member.get("/dashboard/exchanges")).text()
    assert "<td>spot</td>" in page
    refused = await post_form(member, "/dashboard/exchanges", {"exchange": "bybit", "market": "spot", "label": "by",
                                                               "api_key": KEY, "api_secret": SECRET},
                              page="/dashboard/exchanges")
    assert refused.status == 422 and "spot accounts are offered on binance only" in await refused.text()
    assert await ExchangeAccount.find_one(ExchangeAccount.label == "by") is None


async def test_positions_are_listed_with_protection_and_closed(member: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    await _open_a_position(services)
    overview = await (await member.get("/dashboard")).text()
    assert "BTC/USDT" in overview and "stop on the exchange" in overview
    page = await (await member.get("/dashboard/positions")).text()
    [position] = await services.api.positions.open(LOCAL)
    assert f"/dashboard/positions/{position.id}/close" in page and "Yes, close" in page
    moved = await post_form(member, f"/dashboard/positions/{position.id}/stop", {"price": "41500"},
                            page="/dashboard/positions")
    assert moved.status == 303 and (await services.api.positions.open(LOCAL))[0].stop_loss == 41_500
    closed = await post_form(member, f"/dashboard/positions/{position.id}/close", page="/dashboard/positions")
    assert closed.status == 303 and "closed BTC/USDT" in closed.headers["Location"].replace("+", " ").replace(
        "%2F", "/")
    assert await services.api.positions.open(LOCAL) == []


async def test_a_waiting_entry_gets_a_new_price_from_the_orders_table(member: TestClient,  # type: ignore[type-arg]
                                                                        services: Services) -> None:
    await resting_entry(services, LOCAL)
    [entry] = await services.api.positions.orders(LOCAL)
    page = await (await member.get("/dashboard/positions")).text()
    assert f'action="/dashboard/orders/{entry.id}/price"' in page and "New entry price" in page
    refused = await post_form(member, f"/dashboard/orders/{entry.id}/price", {"price": "40900"},
                              page="/dashboard/positions")
    assert refused.status == 422 and "is not above the stop 41000" in await refused.text()
    typo = await post_form(member, f"/dashboard/orders/{entry.id}/price", {"price": "41.9k"},
                           page="/dashboard/positions")
    assert typo.status == 422 and "entry price: &#39;41.9k&#39; is not a price" in await typo.text()
    moved = await post_form(member, f"/dashboard/orders/{entry.id}/price", {"price": "41900"},
                            page="/dashboard/positions")
    assert moved.status == 303 and "entry moved from 41800 to 41900" in moved.headers["Location"].replace("+", " ")
    [new] = await services.api.positions.orders(LOCAL)
    assert (new.price, new.status, new.amount < entry.amount) == (41_900, "open", True)
    [position] = await services.api.positions.open(LOCAL)
    assert (position.status, position.entry_price) == ("pending", 41_900)


async def test_pause_resume_settings_and_theme(member: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    await post_form(member, "/dashboard/pause")
    overview = await (await member.get("/dashboard")).text()
    assert 'id="paused"' in overview and "/dashboard/resume" in overview
    await post_form(member, "/dashboard/resume")
    assert not (await services.api.risk.show(LOCAL)).paused
    saved = await post_form(member, "/dashboard/settings", {"timezone": "Europe/Berlin", "summary_at": "21:00",
                                                            "dm_enabled": "on", "topic_skipped": "off"},
                            page="/dashboard/settings")
    assert saved.status == 303
    prefs = await services.api.activity.preferences(LOCAL)
    assert prefs.summary_at == "21:00" and not next(t for t in prefs.topics if t.topic == "skipped").on
    assert (await services.api.risk.show(LOCAL)).timezone == "Europe/Berlin"
    assert 'data-theme="dark"' in await (await member.get("/dashboard")).text()
    await post_form(member, "/dashboard/theme")
    assert 'data-theme="light"' in await (await member.get("/dashboard")).text()
    refused = await member.post("/dashboard/theme", data={"csrf_token": await csrf_of(member, "/dashboard"),
                                                          "theme": "neon"}, allow_redirects=False)
    assert refused.status == 422 and "theme: &#39;neon&#39;" in await refused.text()


async def test_the_status_page_is_for_admins(member: TestClient, services: Services,  # type: ignore[type-arg]
                                             aiohttp_client: object) -> None:
    services.scheduler.start(paused=True)
    try:
        page = await member.get("/dashboard/status")
        text = await page.text()
        assert page.status == 200 and "not configured (DISCORD_TOKEN is not set)" in text
        assert "monitor" in text and "deliver_notifications" in text and "not run yet" in text
        services.api.status.jobs.runs["monitor"] = (1_775_044_800_000, "error: RuntimeError: boom")
        assert "error: RuntimeError: boom" in await (await member.get("/dashboard/status")).text()
    finally:
        services.scheduler.shutdown(wait=False)
    stranger = await services.api.login_links.issue(Caller(discord_id=77, name="member"))
    other = await aiohttp_client(member.app)  # type: ignore[operator]
    await other.get(f"/auth/link/{stranger}", allow_redirects=False)
    refused = await other.get("/dashboard/status")
    assert refused.status == 403
    assert 'href="/dashboard/status"' not in await (await other.get("/dashboard")).text()


def test_the_job_log_keeps_each_jobs_last_result() -> None:
    from datetime import UTC, datetime

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

    from core.api.status import JobLog
    log = JobLog()
    at = datetime(2026, 4, 1, 12, tzinfo=UTC)
    log(JobExecutionEvent(EVENT_JOB_EXECUTED, "monitor", "default", at))
    log(JobExecutionEvent(EVENT_JOB_ERROR, "reconcile", "default", at, exception=TimeoutError("venue")))
    assert log.runs == {"monitor": (1_775_044_800_000, "ok"),
                        "reconcile": (1_775_044_800_000, "error: TimeoutError: venue")}
