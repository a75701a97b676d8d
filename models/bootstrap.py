"""Open the database: connect (to MONGODB_URI or the embedded server), wait until it answers, init Beanie."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from models import ALL_DOCUMENTS

logger = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The database did not answer; the message says where and why."""


def make_client(uri: str, **options: Any) -> AsyncMongoClient[dict[str, Any]]:
    options.setdefault("serverSelectionTimeoutMS", 5000)
    return AsyncMongoClient(uri, tz_aware=True, **options)


async def ping(client: AsyncMongoClient[dict[str, Any]], timeout: float = 3.0) -> None:
    """Raise DatabaseUnavailable unless the server answers a ping within `timeout` seconds."""
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout)
    except (TimeoutError, PyMongoError) as exc:
        raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}".splitlines()[0][:200]) from None


async def open_database(client: AsyncMongoClient[dict[str, Any]], name: str) -> AsyncDatabase[dict[str, Any]]:
    await ping(client, timeout=15.0)
    database = client[name]
    await init_beanie(database=database, document_models=ALL_DOCUMENTS)
    return database
