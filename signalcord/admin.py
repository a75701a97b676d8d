"""Admin commands that need the database: they open it the way the app does (MONGODB_URI or the embedded
server in the data dir; the embedded one refuses while the app holds it, with a message saying so)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from core.app import database_uri
from core.config.settings import Settings
from core.services.intake.provider_formats import teach_provider
from models.bootstrap import make_client, open_database


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    async with database_uri(settings) as uri:
        client = make_client(uri)
        try:
            await open_database(client, settings.db_name)
            yield
        finally:
            await client.close()


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
