"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright
from pytest_aiohttp import AiohttpServer

from core.app import Services
from dashboard.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
async def test_home_page_shows_the_running_state(services: Services, aiohttp_server: AiohttpServer) -> None:
    server = await aiohttp_server(create_app(services.api))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(str(server.make_url("/")))
            assert await page.title() == "Signalcord"
            status = await page.text_content("#status")
            assert status is not None and status.strip() == "Running: engine, scheduler and database are up."
        finally:
            await browser.close()
