"""Rate-limit counts in MongoDB, so every dashboard process counts against one limit: a storage backend for the
`limits` library (whose own MongoDB backend needs motor, which this project does not use) on PyMongo's async
client through the `RateWindow` document.

Each key is one record; a hit is written only by a compare-and-set on the record's version: read the recent hits,
decide in Python, write if nobody wrote in between, otherwise read again. That needs no array-index query or
pipeline update (which the embedded database lacks) and holds across processes on a real MongoDB too."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from limits.aio.storage import MovingWindowSupport, Storage
from pymongo.errors import DuplicateKeyError, PyMongoError

from models import RateWindow

logger = logging.getLogger(__name__)
ATTEMPTS = 64  # writers racing for one key: each round one of them wins, so this many can all be decided
Change = Callable[[dict[str, Any], float], dict[str, Any] | None]


class MongoRateStorage(Storage, MovingWindowSupport):
    """`limits` storage (moving window and fixed window) shared by every process on the database."""

    STORAGE_SCHEME = None  # built directly, not from a storage URI

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.now = now

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return PyMongoError

    @staticmethod
    async def _read(key: str) -> dict[str, Any]:
        return await RateWindow.get_pymongo_collection().find_one({"key": key}) or {}

    async def _write(self, key: str, change: Change) -> dict[str, Any] | None:
        """Apply `change` (the stored fields and the time -> the new fields, or None for "no write") as one
        compare-and-set; returns the fields written, or None when `change` declined."""
        collection = RateWindow.get_pymongo_collection()
        for _ in range(ATTEMPTS):
            stored = await self._read(key)
            now = self.now()
            fields = change(stored, now)
            if fields is None:
                return None
            version = stored.get("version", 0)
            record = {**fields, "version": version + 1}
            if not stored:
                try:
                    await collection.insert_one({"key": key, **record})
                    return fields
                except DuplicateKeyError:
                    continue  # another process created it first: read it
            result = await collection.update_one({"key": key, "version": version}, {"$set": record})
            if result.modified_count == 1:
                return fields
        logger.warning("rate limit %s: still contended after %d attempts; refused this time", key, ATTEMPTS)
        return None

    # -- moving window (what the dashboard uses) ----------------------------------------------------------

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        def hit(stored: dict[str, Any], now: float) -> dict[str, Any] | None:
            recent = [h for h in stored.get("hits", []) if h > now - expiry]
            if len(recent) + amount > limit:
                return None
            return {"hits": ([now] * amount + recent)[:limit], "until": max(now + expiry, stored.get("until", 0.0))}

        return amount <= limit and await self._write(key, hit) is not None

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(the oldest hit still in the window, how many hits are in it)."""
        stored = await self._read(key)
        now = self.now()
        recent = [h for h in stored.get("hits", []) if h > now - expiry]
        return (min(recent), len(recent)) if recent else (now, 0)

    # -- fixed window (limits' other strategies) ----------------------------------------------------------

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        def add(stored: dict[str, Any], now: float) -> dict[str, Any]:
            if stored.get("counted_until", 0.0) <= now:
                return {"counted": amount, "counted_until": now + expiry, "until": max(now + expiry,
                                                                                    stored.get("until", 0.0))}
            return {"counted": stored.get("counted", 0) + amount}

        written = await self._write(key, add)
        return int(written["counted"]) if written else 0

    async def get(self, key: str) -> int:
        stored = await self._read(key)
        return int(stored.get("counted", 0)) if stored.get("counted_until", 0.0) > self.now() else 0

    async def get_expiry(self, key: str) -> float:
        stored = await self._read(key)
        return float(stored.get("counted_until") or self.now())

    # -- upkeep ----------------------------------------------------------------------------------------------

    async def check(self) -> bool:
        try:
            await RateWindow.get_pymongo_collection().database.command("ping")
        except PyMongoError:
            return False
        return True

    async def reset(self) -> int | None:
        return (await RateWindow.get_pymongo_collection().delete_many({})).deleted_count

    async def clear(self, key: str) -> None:
        await RateWindow.get_pymongo_collection().delete_one({"key": key})

    async def sweep(self) -> int:
        """Delete the records nothing in them counts for any more; returns how many went."""
        return (await RateWindow.get_pymongo_collection().delete_many({"until": {"$lt": self.now()}})).deleted_count
