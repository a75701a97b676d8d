"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; never a browser
download): log in locally, watch the calculator follow the typing, get an inline refusal, add an account, close a
position, change a waiting entry's price, switch the theme, check the install assets and a 360 px phone width; a
screenshot of every main page in both themes lands in the test's output directory (SIGNALCORD_SCREENSHOTS names
another one)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from pytest_aiohttp import AiohttpServer

from core.api import Caller
from core.app import Services, build_services
from core.domain import RawMessage
from dashboard.app import create_app
from dashboard.config import WebConfig
from dashboard.live import INTERVAL_S
from tests.conftest import make_settings
from tests.dashboard.conftest import resting_entry
from tests.fakes.binance import API_KEY, SECRET, FakeBinance

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = ("overview", "signals", "providers", "risk", "positions", "exchanges", "analytics", "settings")
LOCAL = Caller(discord_id=0, name="Local user")
ADMIN = Caller(discord_id=1, name="admin", admin=True)
pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def site(services: Services, aiohttp_server: AiohttpServer) -> str:
    app = create_app(services.api, WebConfig(public_url="http://127.0.0.1", local_login=True))
    app[INTERVAL_S] = 0.2
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


def _screenshot_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("SIGNALCORD_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    return shots


async def _log_in(page: Page, site: str) -> None:
    await page.goto(f"{site}/dashboard")
    await page.click("#local-login")
    await expect(page.locator("nav")).to_contain_text("Risk")


async def test_home_page_shows_the_running_state(site: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{site}/status")
    assert await page.title() == "Signalcord"
    await expect(page.locator("#status")).to_have_text("Running: engine, scheduler and database are up.")


async def test_risk_calculator_and_inline_refusal(site: str, browser: Browser) -> None:
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await _log_in(page, site)
    await page.goto(f"{site}/dashboard/risk")
    await page.fill("#calc-entry", "100")
    await page.fill("#calc-stop", "95")
    await expect(page.locator("#calc-risk")).to_contain_text("100")  # 1 % of 10,000 on the paper balance
    await page.fill("#calc-balance", "2000")
    await expect(page.locator("#calc-risk")).to_contain_text("20 (1 %)")
    await page.fill("#calc-stop", "100")
    await expect(page.locator("#calc-rule")).to_contain_text("stop equals the entry")
    await page.fill("#risk-risk_pct", "0.5")
    await page.click("#risk-save")
    await expect(page.locator("#toasts")).to_contain_text("Saved: risk_pct")
    await page.fill("#calc-entry", "100")
    await page.fill("#calc-stop", "95")
    await page.fill("#calc-balance", "")
    await expect(page.locator("#calc-risk")).to_contain_text("50 (0.5 %)")
    await page.fill("#risk-max_leverage", "500")
    await page.locator("#risk-form").evaluate("f => f.submit()")  # past the browser's own check: the server's
    await expect(page.locator(".field.invalid")).to_contain_text("max_leverage")
    assert errors == []


async def test_accounts_positions_theme_install_and_phone_width(site: str, browser: Browser, services: Services,
                                                                 tmp_path: Path) -> None:
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    await services.api.subscriptions.subscribe(LOCAL, alpha.id)
    await services.pipeline.ingest(RawMessage(
        channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
        created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))
    shots = _screenshot_dir(tmp_path)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, site)

    await page.goto(f"{site}/dashboard/exchanges")
    await page.select_option("#exchange", "binance")
    await page.fill("#label", "main")
    await page.fill("#api_key", "CANARYKEY-1234567890")
    await page.fill("#api_secret", "CANARYSECRET-1234567890")
    await page.click("#add-account-submit")
    await expect(page.locator("#toasts")).to_contain_text("main added")
    assert "CANARY" not in await page.content()

    for theme in ("dark", "light"):
        for name in PAGES:
            await page.goto(f"{site}/dashboard" + ("" if name == "overview" else f"/{name}"))
            await page.screenshot(path=str(shots / f"{name}-{theme}.png"), full_page=True)
        await expect(page.locator("html")).to_have_attribute("data-theme", theme)
        await page.click("#theme-toggle")
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(
        f"{name}-{theme}.png" for name in PAGES for theme in ("dark", "light"))

    await page.goto(f"{site}/dashboard/positions")
    await page.click("details.confirm summary:has-text('Close')")
    await page.click("button:has-text('Yes, close')")
    await expect(page.locator("#toasts")).to_contain_text("closed BTC/USDT")
    assert await services.api.positions.open(LOCAL) == []

    manifest = await page.evaluate("fetch('/static/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    await page.goto(f"{site}/dashboard")
    assert await page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")

    phone = await browser.new_page(viewport={"width": 360, "height": 740})
    await _log_in(phone, site)
    for name in PAGES:
        await phone.goto(f"{site}/dashboard" + ("" if name == "overview" else f"/{name}"))
        overflow = await phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways at 360 px by {overflow} px"


async def test_a_waiting_entry_is_re_priced_from_the_orders_table(site: str, browser: Browser,
                                                                  services: Services) -> None:
    await resting_entry(services, LOCAL)
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    await _log_in(page, site)
    await page.goto(f"{site}/dashboard/positions")
    await page.click("details.confirm summary:has-text('change')")
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the open price form scrolls sideways at 360 px by {overflow} px"
    await page.fill("input[name=price] >> nth=-1", "40900")
    await page.click("button:has-text('Change price')")
    await expect(page.locator("main")).to_contain_text("is not above the stop 41000")
    await page.goto(f"{site}/dashboard/positions")
    await page.click("details.confirm summary:has-text('change')")
    await page.fill("input[name=price] >> nth=-1", "41900")
    await page.click("button:has-text('Change price')")
    await expect(page.locator("#toasts")).to_contain_text("entry moved from 41800 to 41900")
    [entry] = await services.api.positions.orders(LOCAL)
    assert (entry.price, entry.status) == (41_900, "open")


async def test_the_overview_updates_itself(site: str, browser: Browser, services: Services) -> None:
    alpha = await services.api.providers.register(ADMIN, "Alpha", 777)
    await services.api.subscriptions.subscribe(LOCAL, alpha.id)
    page = await browser.new_page()
    await _log_in(page, site)
    await expect(page.locator("#live")).to_have_attribute("data-version", re.compile(r"^[0-9a-f]{16}$"))
    await expect(page.locator("main")).to_contain_text("No open positions.")
    await services.pipeline.ingest(RawMessage(
        channel_id=777, message_id=1, author="p", text="BTC/USDT LONG entry 42000-42500 TP1 43000 SL 41000 10x",
        created_at=datetime(2026, 4, 1, 12, tzinfo=UTC), guild_id=7))
    await expect(page.locator("#open-positions")).to_contain_text("BTC/USDT")  # no reload: the socket said so
    await expect(page.locator("#toasts")).to_contain_text("Updated")


@pytest.fixture
async def venue_site(mongo_url: str, tmp_path: Path, fake_binance: tuple[FakeBinance, str],
                     aiohttp_server: AiohttpServer) -> AsyncIterator[tuple[str, FakeBinance]]:
    fake, url = fake_binance
    name = f"t_{uuid.uuid4().hex[:10]}"
    settings = make_settings(tmp_path, MONGODB_URI=mongo_url, SIGNALCORD_DB_NAME=name,
                             SIGNALCORD_EXCHANGE_BASE_URL=url, SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1")
    async with build_services(settings) as built:
        server = await aiohttp_server(create_app(built.api, WebConfig(public_url="http://127.0.0.1",
                                                                      local_login=True)))
        yield str(server.make_url("")).rstrip("/"), fake
        await built.client.drop_database(name)


async def test_testnet_key_checked_and_a_withdrawal_key_refused(venue_site: tuple[str, FakeBinance],
                                                                 browser: Browser) -> None:
    site, fake = venue_site
    page = await browser.new_page()
    await _log_in(page, site)
    await page.goto(f"{site}/dashboard/exchanges")
    for field, value in (("#label", "tn"), ("#api_key", API_KEY), ("#api_secret", SECRET)):
        await page.fill(field, value)
    await page.select_option("#mode", "testnet")
    await page.click("#add-account-submit")
    await expect(page.locator("#toasts")).to_contain_text("tn added in testnet mode: binance accepted the key")
    await expect(page.locator("#account-tn")).to_contain_text("checked: testnet")

    fake.restrictions["enableWithdrawals"] = True
    for field, value in (("#label", "main"), ("#api_key", API_KEY), ("#api_secret", SECRET), ("#confirm", "main")):
        await page.fill(field, value)
    await page.select_option("#mode", "live")
    await page.click("#add-account-submit")
    await expect(page.locator("#toasts")).to_contain_text(
        "withdrawals are enabled: create a key without withdrawal permission")
    await expect(page.locator("#toasts")).to_contain_text("main stays on paper")
    await expect(page.locator("#account-main")).to_contain_text("paper")
