"""What every fake exchange keeps alike (`FakeVenue`): its prices and clock, the accounts and their positions, the
requests it received, and the faults it answers with — a fault queued for a path (`inject`, consumed in order) or
one a seeded campaign decides per request (`chaos`). Each fake words its refusals as its venue does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Chaos = Callable[[str, str], str | None]  # (method, path) -> fault kind or None


@dataclass
class FakeVenue:
    prices: dict[str, float] = field(default_factory=lambda: {"BTCUSDT": 42_250.0, "ETHUSDT": 2_000.0})
    # each account's USDT-M position per symbol, (API key, symbol) -> a signed net quantity (one-way mode)
    positions: dict[tuple[str, str], float] = field(default_factory=dict)
    hedge_mode: bool = False
    other_accounts: dict[str, str] = field(default_factory=dict)  # accounts besides the main one: API key -> secret
    clock_ms: int = 1_775_044_800_000
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request received
    # (path suffix, kind, method or "" for any), consumed in order
    faults: list[tuple[str, str, str]] = field(default_factory=list)
    chaos: Chaos | None = None  # a fault for some requests, decided per request: a seeded fault campaign
    chaos_injected: int = 0

    def inject(self, path_suffix: str, kind: str, method: str = "") -> None:
        """The next request to a path ending so (and of this HTTP method, if given) meets this fault."""
        self.faults.append((path_suffix, kind, method))

    def fault_for(self, request: web.Request) -> str | None:
        """The fault this request meets, if any: one queued for its path first, else the campaign's pick."""
        queued = next((f for f in self.faults if request.path.endswith(f[0]) and f[2] in ("", request.method)),
                      None)
        if queued is not None:
            self.faults.remove(queued)
            return queued[1]
        picked = self.chaos(request.method, request.path) if self.chaos is not None else None
        self.chaos_injected += picked is not None
        return picked


async def transport_fault(kind: str, request: web.Request,
                          handler: Callable[[web.Request], Awaitable[Any]]) -> web.Response:
    """The faults every venue shows alike: a gateway timeout (504), the venue unavailable (503), and a dropped
    connection before the venue acted or after it (the order lands, the answer never arrives)."""
    if kind == "gateway_timeout":
        return web.Response(status=504, text="Gateway Time-out")
    if kind == "unavailable":
        return web.Response(status=503, text="Service Unavailable")
    if kind not in ("drop_before", "drop_after"):
        raise ValueError(f"unknown fault {kind!r}")
    if kind == "drop_after":
        await handler(request)
    assert request.transport is not None
    request.transport.close()
    raise ConnectionResetError("fake exchange dropped the connection")
