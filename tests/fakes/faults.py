"""The faults a fake exchange can answer a request with, picked the same way on every fake: a fault queued for a
path (`inject`, consumed in order) or one a seeded campaign decides per request (`chaos`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Chaos = Callable[[str, str], str | None]  # (method, path) -> fault kind or None


def pick(queued: list[tuple[str, str]], chaos: Chaos | None, request: web.Request) -> tuple[str | None, bool]:
    """The fault for this request, if any, and whether the campaign (not the queue) chose it."""
    fault = next((f for f in queued if request.path.endswith(f[0])), None)
    if fault is not None:
        queued.remove(fault)
        return fault[1], False
    if chaos is not None and (picked := chaos(request.method, request.path)) is not None:
        return picked, True
    return None, False


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
