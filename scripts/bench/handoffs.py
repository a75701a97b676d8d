#!/usr/bin/env python3
"""How many times one signal crosses from one service module to another (the service-layer issue's measure).

    .venv/bin/python scripts/bench/handoffs.py

One subscriber on the paper exchange; one call goes through `Pipeline.ingest` (parse, decide, open, send the
entry, fill, place the stop and targets). Every function call made while it runs is traced; a hand-off is a
call from a function in one module under `core/services/` (or `core/api/`) into a function of a different module
there. Each invocation counts once (a coroutine resumed later is not a new call). The last line is JSON:
{"handoffs", "modules", "pairs": {"caller -> callee": n}}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.app import build_services  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from core.domain import RawMessage  # noqa: E402
from core.market.prices import StaticPriceSource  # noqa: E402

SIGNAL = "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x"
SERVICES = tuple(str(ROOT / part) + "/" for part in ("core/services", "core/api"))


def _module(frame: FrameType | None) -> str | None:
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(SERVICES):
            return str(Path(path).relative_to(ROOT))
        if "/asyncio/" not in path and "site-packages" not in path:
            return None  # called from elsewhere in our code (models, core.execution ...): not a service hand-off
        frame = frame.f_back
    return None


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=tmp)
        async with build_services(settings, prices=StaticPriceSource({"BTC/USDT": 42_250.0})) as services:
            provider = await services.accounts.register_provider("handoffs", 9_100_001)
            user = await services.accounts.ensure_user(1, "trader")
            await services.accounts.subscribe(user, provider)
            raw = RawMessage(channel_id=9_100_001, message_id=1, author="provider", text=SIGNAL,
                             created_at=datetime.now(UTC))
            seen: dict[int, FrameType] = {}  # held, so a finished frame's id is not reused while tracing
            pairs: Counter[str] = Counter()

            def profile(frame: FrameType, event: str, _: Any) -> None:
                if event != "call" or id(frame) in seen:
                    return
                seen[id(frame)] = frame
                callee = frame.f_code.co_filename
                if not callee.startswith(SERVICES):
                    return
                caller = _module(frame.f_back)
                here = str(Path(callee).relative_to(ROOT))
                if caller is not None and caller != here:
                    pairs[f"{caller} -> {here}"] += 1

            sys.setprofile(profile)
            try:
                result = await services.pipeline.ingest(raw)
            finally:
                sys.setprofile(None)
            [outcome] = result.outcomes
            if outcome.outcome.value != "trade":
                raise SystemExit(f"the call was not traded: {outcome.reason}")
    modules = {name for pair in pairs for name in pair.split(" -> ")}
    print(json.dumps({"handoffs": sum(pairs.values()), "modules": len(modules),
                      "pairs": dict(sorted(pairs.items(), key=lambda kv: -kv[1]))}))


if __name__ == "__main__":
    asyncio.run(main())
