#!/usr/bin/env python3
"""End-to-end pipeline speed on the embedded database with the paper exchange (the app's real services).

    .venv/bin/python scripts/bench/pipeline.py [--signals 200] [--users 1000]

- single user: one subscriber; each provider message goes in and the clock stops when `ingest` returns, i.e.
  the entry is filled and its stop and targets are resting (all orders submitted). Between two measured
  signals the position is closed by a provider update (not measured).
- fan-out: one signal, `--users` subscribers; the clock stops when every user's orders are submitted or the
  trade is blocked with its reason.

The last line printed is JSON: {"single_user_p50_ms", "single_user_p99_ms", "fanout_users", "fanout_s", ...}.
Targets: single-user p99 <= 20 ms; 1,000-user fan-out <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.app import Services, build_services  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from core.domain import DecisionOutcome, RawMessage  # noqa: E402
from core.market.prices import StaticPriceSource  # noqa: E402
from models import OrderIntent, Position  # noqa: E402

SIGNAL = "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x"


def _raw(channel: int, message_id: int, text: str) -> RawMessage:
    return RawMessage(channel_id=channel, message_id=message_id, author="provider", text=text,
                      created_at=datetime.now(UTC))


async def _subscribe(services: Services, channel: int, users: int, first_id: int) -> None:
    provider = await services.accounts.register_provider(f"bench-{channel}", channel)
    for n in range(users):
        user = await services.accounts.ensure_user(first_id + n, f"user{n}")
        await services.accounts.subscribe(user, provider)


async def single_user(services: Services, signals: int) -> list[float]:
    channel = 9_000_001
    await _subscribe(services, channel, 1, 1)
    timings: list[float] = []
    for n in range(signals + 5):  # the first five warm caches and are not counted
        started = time.perf_counter()
        result = await services.pipeline.ingest(_raw(channel, 2 * n + 1, SIGNAL))
        elapsed = time.perf_counter() - started
        [outcome] = result.outcomes
        if outcome.outcome is not DecisionOutcome.TRADE:
            raise SystemExit(f"signal {n} was not traded: {outcome.reason}")
        if n >= 5:
            timings.append(elapsed * 1000)
        await services.pipeline.ingest(_raw(channel, 2 * n + 2, "Close #BTCUSDT"))
    return timings


async def fanout(services: Services, users: int) -> tuple[float, dict[str, int]]:
    channel = 9_000_002
    await _subscribe(services, channel, users, 100_000)
    started = time.perf_counter()
    result = await services.pipeline.ingest(_raw(channel, 1, SIGNAL))
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for outcome in result.outcomes:
        outcomes[outcome.outcome.value] = outcomes.get(outcome.outcome.value, 0) + 1
    if sum(outcomes.values()) != users:
        raise SystemExit(f"{sum(outcomes.values())} outcomes for {users} users")
    return elapsed, outcomes


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=200)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=tmp, SIGNALCORD_PAPER_START_BALANCE="100000")
        prices = StaticPriceSource({"BTC/USDT": 42_250.0})
        async with build_services(settings, prices=prices) as services:
            timings = await single_user(services, args.signals)
            fan_s, outcomes = await fanout(services, args.users)
            orders = await OrderIntent.count()
            positions = await Position.count()
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    result = {
        "single_user_signals": len(timings),
        "single_user_p50_ms": round(statistics.median(timings), 2),
        "single_user_p99_ms": round(p99, 2),
        "fanout_users": args.users,
        "fanout_s": round(fan_s, 3),
        "fanout_outcomes": outcomes,
        "orders_stored": orders,
        "positions_stored": positions,
        "targets": {"single_user_p99_ms": 20, "fanout_s": 2.0},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
