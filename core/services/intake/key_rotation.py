"""Re-sealing every stored exchange credential under the newest encryption key (`signalcord rotate-keys`).
Resumable: each account is re-sealed on its own with a guarded update (only if its secrets are still the ones
read), so an interrupted run is finished by running it again; an account that fails is reported and skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core.crypto import DecryptionError, Sealed, SecretBox
from models import ExchangeAccount

logger = logging.getLogger(__name__)
FIELDS = ("api_key", "api_secret", "api_passphrase")


@dataclass
class Rotation:
    resealed: int = 0  # accounts moved to the newest key by this run
    current: int = 0  # accounts already on it
    failed: list[str] = field(default_factory=list)  # "account id: why" (left as they were)
    keys_in_use: set[str] = field(default_factory=set)  # key ids any record still names after the run


async def reseal_all(box: SecretBox) -> Rotation:
    report = Rotation()
    collection = ExchangeAccount.get_pymongo_collection()
    async for raw in collection.find({}, {f: 1 for f in ("user_id", *FIELDS)}):  # one per account: small
        sealed = {f: raw[f] for f in FIELDS if isinstance(raw.get(f), dict)}
        if not sealed:
            continue
        if all(s["key_id"] == box.current_key_id for s in sealed.values()):
            report.current += 1
            report.keys_in_use.add(box.current_key_id)
            continue
        try:
            fresh: dict[str, Any] = {
                f: box.seal(box.open(Sealed(**s), owner=raw["user_id"], field=f), owner=raw["user_id"], field=f
                            ).__dict__ for f, s in sealed.items()}
        except (DecryptionError, ValueError) as exc:  # a wrong key, or a damaged record (bad base64)
            report.failed.append(f"{raw['_id']}: {type(exc).__name__}: {exc}")
            report.keys_in_use.update(s["key_id"] for s in sealed.values())
            continue
        guard = {"_id": raw["_id"], **{f"{f}.ciphertext": s["ciphertext"] for f, s in sealed.items()}}
        result = await collection.update_one(guard, {"$set": fresh})
        if result.modified_count:
            report.resealed += 1
            report.keys_in_use.add(box.current_key_id)
        else:  # changed meanwhile (keys replaced or account removed): the next run looks at it again
            report.failed.append(f"{raw['_id']}: changed while being re-sealed; run rotate-keys again")
            report.keys_in_use.update(s["key_id"] for s in sealed.values())
    logger.info("key rotation: %d re-sealed, %d already current, %d failed", report.resealed, report.current,
                len(report.failed))
    return report


async def key_ids_in_use() -> dict[str, int]:
    """How many accounts name each key id."""
    counts: dict[str, int] = {}
    async for raw in ExchangeAccount.get_pymongo_collection().find({}, {f: 1 for f in FIELDS}):
        for key_id in {raw[f]["key_id"] for f in FIELDS if isinstance(raw.get(f), dict)}:
            counts[key_id] = counts.get(key_id, 0) + 1
    return counts
