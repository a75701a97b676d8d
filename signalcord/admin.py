"""Admin commands that need the database: they open it the way the app does (MONGODB_URI or the embedded
server in the data dir; the embedded one refuses while the app holds it, with a message saying so)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from core.config.settings import Settings
from core.services.provider_formats import teach_provider
from models.bootstrap import make_client, open_database
from models.embedded import EmbeddedMongo


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    embedded: EmbeddedMongo | None = None
    if settings.mongodb_uri is not None:
        uri = settings.mongodb_uri.get_secret_value()
    else:
        embedded = EmbeddedMongo(settings.data_dir.resolve())
        uri = await asyncio.to_thread(embedded.start)
    client = make_client(uri)
    try:
        await open_database(client, settings.db_name)
        yield
    finally:
        await client.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def read_correction(message_file: Path, corrected: str) -> tuple[str, dict[str, Any]]:
    """The message text and its correct reading (inline JSON, or @file.json)."""
    text = message_file.read_text(encoding="utf-8")
    raw = Path(corrected[1:]).read_text(encoding="utf-8") if corrected.startswith("@") else corrected
    reading = json.loads(raw)
    if not isinstance(reading, dict):
        raise ValueError("--as must be a JSON object such as {\"side\": \"long\", \"entries\": [100], ...}")
    return text, reading


async def teach(settings: Settings, provider_id: str, text: str, reading: dict[str, Any]) -> dict[str, Any]:
    async with database(settings):
        return await teach_provider(provider_id, text, reading)
