#!/usr/bin/env python3
"""The README's screenshots: the demo transcript played on the bundled candles (time advanced, not waited), the
dashboard served, and Debian's Chromium (Playwright) photographing each main page in both themes.

    .venv/bin/python scripts/demo/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from core.app import build_services  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from dashboard.app import create_app  # noqa: E402
from dashboard.config import WebConfig  # noqa: E402
from signalcord import demo  # noqa: E402

SHOTS = (("overview", "/dashboard"), ("signals", "/dashboard/signals"), ("risk", "/dashboard/risk"),
         ("positions", "/dashboard/positions"), ("exchanges", "/dashboard/exchanges"))


class SteppedClock:
    def __init__(self, start: object) -> None:
        self.now = start

    def __call__(self) -> object:
        return self.now


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.CRITICAL)
    transcript = demo.Transcript.load()
    clock = SteppedClock(transcript.start)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=tmp)
        async with build_services(settings, clock=clock) as services:  # type: ignore[arg-type]
            from datetime import timedelta

            async def advance(seconds: float) -> None:
                clock.now += timedelta(seconds=seconds * demo.SPEED)  # type: ignore[operator]
                await services.monitor.tick()

            await demo.play(services, transcript, clock, wait=advance)  # type: ignore[arg-type]
            for _ in range(40):
                await advance(1)
            runner = web.AppRunner(create_app(services.api, WebConfig(public_url="http://127.0.0.1",
                                                                      local_login=True, demo=True)))
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                           args=["--no-sandbox", "--disable-gpu"])
                page = await browser.new_page(viewport={"width": 1100, "height": 760})
                await page.goto(f"{base}/auth/login")
                await page.click("#local-login")
                for theme in ("dark", "light"):
                    for name, path in SHOTS:
                        await page.goto(base + path)
                        await page.screenshot(path=str(args.out / f"{name}-{theme}.png"))
                    await page.click("#theme-toggle")
                await browser.close()
            await runner.cleanup()
    print(f"wrote {len(SHOTS) * 2} screenshots to {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
