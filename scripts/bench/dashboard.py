#!/usr/bin/env python3
"""Dashboard speed: a user with 10,000 closed and 50 open positions; 50 concurrent clients, logged in, fetch the
overview and the positions page for 30 s. The app runs in its own process (as in production; the clients'
work does not slow it), on the embedded database (or MONGODB_URI).

    .venv/bin/python scripts/bench/dashboard.py [--closed 10000] [--open 50] [--clients 50] [--seconds 30]

Last line: {"clients", "requests", "overview_p50_ms", "overview_p99_ms", "positions_p99_ms", "errors", ...}.
Target on the embedded database: overview p99 <= 200 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from core.api import Caller  # noqa: E402
from core.app import build_services  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from core.domain import Side, TradeMode  # noqa: E402
from core.market.prices import StaticPriceSource  # noqa: E402
from dashboard.app import create_app  # noqa: E402
from dashboard.config import WebConfig  # noqa: E402
from models import Position  # noqa: E402
from models.refs import ref  # noqa: E402

USER = Caller(discord_id=4242, name="heavy trader")
NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)


async def seed(services: object, closed: int, opened: int) -> None:
    accounts = services.accounts  # type: ignore[attr-defined]
    user = await accounts.ensure_user(USER.discord_id, USER.name)
    account = await accounts.default_account(ref(user))
    docs = []
    for n in range(closed + opened):
        is_open = n >= closed
        at = NOW - timedelta(minutes=(closed + opened - n) * 7)
        docs.append(Position(
            user_id=ref(user), account_id=ref(account), signal_id=f"{n:024x}", provider_id="0" * 24,
            mode=TradeMode.PAPER, symbol="BTC/USDT", side=Side.LONG if n % 2 else Side.SHORT,
            amount=0.01 if is_open else 0.0, entry_price=42_000 + n % 500, planned_amount=0.01, entered=0.01,
            leverage=5, margin=84, stop_loss=41_000 if n % 2 else 43_500, take_profits=[43_000, 44_000],
            status="open" if is_open else "closed", realized_pnl=0.0 if is_open else (n % 7 - 3) * 4.2,
            close_reason=None if is_open else "last target hit", opened_at=at, opened_at_ms=int(at.timestamp() * 1000),
            closed_at_ms=None if is_open else int(at.timestamp() * 1000) + 600_000, close_handled=not is_open))
    for start in range(0, len(docs), 1000):
        await Position.insert_many(docs[start:start + 1000])


async def serve(closed: int, opened: int) -> None:
    """The child process: seed, start the dashboard, print `ready <port> <login token>`, serve until killed."""
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MONGODB_URI": os.environ["MONGODB_URI"]} if os.environ.get("MONGODB_URI") else {}
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=tmp, **env)
        async with build_services(settings, prices=StaticPriceSource({"BTC/USDT": 42_250.0}),
                                  clock=lambda: NOW) as services:
            await seed(services, closed, opened)
            runner = web.AppRunner(create_app(services.api, WebConfig(public_url="http://127.0.0.1")),
                                   access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            token = await services.api.login_links.issue(USER)
            print(f"ready {runner.addresses[0][1]} {token}", flush=True)
            await asyncio.Event().wait()


async def client(http: aiohttp.ClientSession, base: str, until: float, timings: dict[str, list[float]],
                 errors: list[str]) -> None:
    pages = (("overview", "/dashboard"), ("positions", "/dashboard/positions"))
    n = 0
    while time.monotonic() < until:
        name, path = pages[n % 2]
        n += 1
        started = time.perf_counter()
        try:
            async with http.get(base + path, allow_redirects=False) as answer:
                await answer.read()
                if answer.status != 200:
                    errors.append(f"{path}: {answer.status}")
                    continue
        except aiohttp.ClientError as exc:
            errors.append(f"{path}: {type(exc).__name__}")
            continue
        timings[name].append((time.perf_counter() - started) * 1000)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1) if ordered else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--closed", type=int, default=10_000)
    parser.add_argument("--open", type=int, default=50)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(args.closed, args.open)
        return
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", "--closed", str(args.closed),
                                                 "--open", str(args.open), stdout=asyncio.subprocess.PIPE)
    try:
        assert child.stdout is not None
        line = (await child.stdout.readline()).decode()
        _, port, token = line.split()
        seeded_s = time.monotonic() - started
        base = f"http://127.0.0.1:{port}"
        timings: dict[str, list[float]] = {"overview": [], "positions": []}
        errors: list[str] = []
        connector = aiohttp.TCPConnector(limit=args.clients)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{base}/auth/link/{token}", allow_redirects=False) as login:
                assert login.status == 303, login.status
            until = time.monotonic() + args.seconds
            await asyncio.gather(*(client(http, base, until, timings, errors) for _ in range(args.clients)))
    finally:
        child.terminate()
        await child.wait()
    result = {
        "clients": args.clients, "requests": sum(len(v) for v in timings.values()) + len(errors),
        "overview_p50_ms": round(statistics.median(timings["overview"]), 1) if timings["overview"] else 0.0,
        "overview_p99_ms": _p(timings["overview"], 0.99),
        "positions_p50_ms": round(statistics.median(timings["positions"]), 1) if timings["positions"] else 0.0,
        "positions_p99_ms": _p(timings["positions"], 0.99),
        "errors": len(errors), "error_kinds": sorted(set(errors))[:5], "closed_positions": args.closed,
        "open_positions": args.open, "seconds": args.seconds, "seed_s": round(seeded_s, 1),
        "targets": {"overview_p99_ms": 200, "errors": 0},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
