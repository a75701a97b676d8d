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


async def rotate_keys(settings: Settings, *, retire: bool = False) -> list[str]:
    """Move every stored exchange credential to the newest key (adding one to the key file first when all are
    already on the newest), or with `retire` drop the keys no record names any more. Returns lines to print."""
    from core.app import load_secret_box
    from core.crypto import SecretBox, decode_keys, new_key_text, write_key_file
    from core.services.intake.key_rotation import key_ids_in_use, reseal_all

    from_env = settings.secret_key is not None
    box = load_secret_box(settings)
    keys = decode_keys(settings.secret_key.get_secret_value(), "SIGNALCORD_SECRET_KEY") if settings.secret_key \
        else decode_keys(settings.key_file.read_text(), str(settings.key_file))
    async with database(settings):
        in_use = await key_ids_in_use()
        older = {k: n for k, n in in_use.items() if k != box.current_key_id}
        if retire:
            if older:
                return [f"not retired: {n} account(s) still use key {k}; run `signalcord rotate-keys` first"
                        for k, n in older.items()]
            if from_env:
                return [f"every record uses key {box.current_key_id}: keep only the first key in "
                        "SIGNALCORD_SECRET_KEY"]
            write_key_file(settings.key_file, keys[:1])
            return [f"retired {len(keys) - 1} old key(s); {settings.key_file} holds only key {box.current_key_id}"]
        lines = []
        if not older:  # nothing pending: start a rotation with a new key
            if from_env:
                return ["SIGNALCORD_SECRET_KEY is set in the environment, so the new key cannot be added for you: "
                        f"set SIGNALCORD_SECRET_KEY={new_key_text()},<the current key> and run rotate-keys again"]
            keys = decode_keys(new_key_text(), "new key") + keys
            write_key_file(settings.key_file, keys)
            box = SecretBox(keys)
            lines.append(f"added key {box.current_key_id} to {settings.key_file}")
        else:
            lines.append(f"resuming: {sum(older.values())} account(s) still on older keys")
        report = await reseal_all(box)
        lines.append(f"re-sealed {report.resealed} account(s); {report.current} already on key {box.current_key_id}")
        lines.extend(f"not re-sealed: {line}" for line in report.failed)
        if not report.failed:
            lines.append("every credential is on the newest key: `signalcord rotate-keys --retire` drops the old ones")
        return lines


async def create_webhook(settings: Settings, name: str) -> tuple[str, str]:
    """A webhook provider (the operator running this is the admin); returns its id and its secret token."""
    from core.api import Caller
    from core.api.webhooks import create_provider

    async with database(settings):
        provider, token = await create_provider(Caller(discord_id=0, name="operator", admin=True), name)
        return provider.id, token
