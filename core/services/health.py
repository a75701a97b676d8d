"""Liveness of each part, for /healthz and the Docker HEALTHCHECK."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from models.bootstrap import DatabaseUnavailable, ping


async def health(client: AsyncMongoClient[dict[str, Any]], timeout: float = 3.0) -> tuple[bool, dict[str, str]]:
    """(healthy, report) - the report names each part and says what is wrong with it."""
    try:
        await ping(client, timeout)
        db = "ok"
    except DatabaseUnavailable as exc:
        db = f"error: {exc}"
    healthy = db == "ok"
    return healthy, {"status": "ok" if healthy else "degraded", "db": db}
