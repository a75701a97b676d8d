#!/usr/bin/env python3
"""The embedded database's own floor under the pipeline benchmark: the same commands, without the app.

    .venv/bin/python scripts/bench/write_floor.py [--users 1000] [--warm 50] [--trades 20]

- single user: after `--warm` trades, `--trades` more are recorded (every command the app sends, reads and
  writes, with the closing update between two trades). The database as it was before them is copied, a second
  embedded server is started on the copy, and the recorded commands are sent again one after another with the
  bare driver (no Beanie, no app logic); each trade's part is timed.
- fan-out: the pipeline benchmark's fan-out (one call, `--users` subscribers) is recorded the same way and only
  its write commands (inserts, updates, find-and-modify) are replayed, four at a time like the app's parts.

The fan-out's writes are what the invariants need stored (the decision, each intent before its exchange call
and its state after it, the paper exchange's own book, the fill, the position, the notification), so their
replay time is what the embedded server alone costs for that work. The server's CPU time is read from /proc.

The last line printed is JSON: {"single_user_ms", "single_user_replay_ms", "single_user_server_cpu_ms",
"fanout_s", "fanout_write_replay_s", "fanout_server_cpu_s", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))

import pipeline as bench  # noqa: E402

import core.app as app  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from core.market.prices import StaticPriceSource  # noqa: E402
from models.embedded import EmbeddedMongo  # noqa: E402

WRITES = {"insert", "update", "delete", "findAndModify"}
SKIPPED = {"getMore", "killCursors", "hello", "isMaster", "ping", "endSessions"}
SESSION_FIELDS = {"lsid", "$db", "$clusterTime", "txnNumber", "$readPreference", "autocommit", "startTransaction"}


class Recorder(monitoring.CommandListener):
    def __init__(self) -> None:
        self.on = False
        self.commands: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command_name not in SKIPPED:
            command = {k: v for k, v in event.command.items() if k not in SESSION_FIELDS}
            self.commands.append((event.database_name, copy.deepcopy(command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def snapshot(data_dir: Path, into: Path) -> Path:
    """A consistent copy of the embedded server's SQLite file (SQLite's online backup)."""
    into.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data_dir / "signalcord.sqlite") as source, \
            sqlite3.connect(into / "signalcord.sqlite") as target:
        source.backup(target)
    return into


class Replay:
    """A second embedded server on a copied database, and the bare driver to send it recorded commands."""

    def __init__(self, data_dir: Path) -> None:
        self.server = EmbeddedMongo(data_dir)
        self.client: AsyncMongoClient[dict[str, Any]] | None = None

    async def __aenter__(self) -> Replay:
        self.client = AsyncMongoClient(await asyncio.to_thread(self.server.start), tz_aware=True)
        await self.client.admin.command("ping")
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.client is not None:
            await self.client.close()
        await asyncio.to_thread(self.server.stop)

    async def send(self, commands: list[tuple[str, dict[str, Any]]], together: int = 1) -> tuple[float, float]:
        """Send the commands `together` at a time in their order: (wall s, server CPU s)."""
        assert self.client is not None and self.server.pid is not None
        client, gate = self.client, asyncio.Semaphore(together)

        async def one(database: str, command: dict[str, Any]) -> None:
            async with gate:
                await client[database].command(command)

        cpu, started = server_cpu(self.server.pid), time.perf_counter()
        await asyncio.gather(*(one(database, command) for database, command in commands))
        return time.perf_counter() - started, server_cpu(self.server.pid) - cpu


def recorded(recorder: Recorder) -> list[tuple[str, dict[str, Any]]]:
    out = list(recorder.commands)
    recorder.commands.clear()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--trades", type=int, default=20)
    args = parser.parse_args()
    recorder = Recorder()
    original = app.make_client
    app.make_client = lambda uri, **options: original(uri, event_listeners=[recorder], **options)
    with tempfile.TemporaryDirectory() as tmp:
        data, copies = Path(tmp) / "data", Path(tmp) / "copies"
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=str(data),
                                 SIGNALCORD_PAPER_START_BALANCE="100000")
        segments: list[tuple[bool, list[tuple[str, dict[str, Any]]]]] = []  # (a trade?, its commands)
        single_ms: list[float] = []
        async with app.build_services(settings, prices=StaticPriceSource({"BTC/USDT": 42_250.0})) as services:
            channel = 9_000_001
            await bench._subscribe(services, channel, 1, 1)
            for n in range(args.warm + args.trades):
                if n == args.warm:
                    before_single = snapshot(data, copies / "single")
                    recorder.on = True
                started = time.perf_counter()
                await services.pipeline.ingest(bench._raw(channel, 2 * n + 1, bench.SIGNAL))
                if n >= args.warm:
                    single_ms.append((time.perf_counter() - started) * 1000)
                segments.append((True, recorded(recorder)))
                await services.pipeline.ingest(bench._raw(channel, 2 * n + 2, "Close #BTCUSDT"))
                segments.append((False, recorded(recorder)))
            recorder.on = False
            await bench._subscribe(services, 9_000_002, args.users, 100_000)
            before_fanout = snapshot(data, copies / "fanout")
            recorder.on = True
            started = time.perf_counter()
            await services.pipeline.ingest(bench._raw(9_000_002, 1, bench.SIGNAL))
            fanout_s = time.perf_counter() - started
            recorder.on = False
            fanout = [(database, command) for database, command in recorded(recorder)
                      if next(iter(command)) in WRITES]
        trades = [commands for trade, commands in segments if trade and commands]
        replay_ms: list[float] = []
        replay_cpu = 0.0
        async with Replay(before_single) as again:
            for trade, commands in segments:
                if not commands:
                    continue
                wall, cpu = await again.send(commands)
                if trade:
                    replay_ms.append(wall * 1000)
                    replay_cpu += cpu
        async with Replay(before_fanout) as again:
            fan_wall, fan_cpu = await again.send(fanout, together=4)
    documents = sum(len(c.get("documents", c.get("updates", [None]))) for _, c in fanout)
    print(json.dumps({
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "single_user_trades": len(trades),
        "single_user_ms": round(statistics.median(single_ms), 2),
        "single_user_commands": round(statistics.median(len(c) for c in trades)),
        "single_user_replay_ms": round(statistics.median(replay_ms), 2),
        "single_user_server_cpu_ms": round(replay_cpu / len(trades) * 1000, 1),
        "fanout_users": args.users,
        "fanout_s": round(fanout_s, 3),
        "fanout_write_commands": len(fanout),
        "fanout_documents_written": documents,
        "fanout_write_replay_s": round(fan_wall, 3),
        "fanout_server_cpu_s": round(fan_cpu, 2),
    }))


if __name__ == "__main__":
    asyncio.run(main())
