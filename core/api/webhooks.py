"""Webhook providers: alerts posted to /webhook/{token} (TradingView style, JSON or plain text) become provider
messages and go through the same pipeline as Discord messages (same dedupe, same decisions). Each webhook
provider has its own secret token; only its SHA-256 is stored, and it is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any, Final

from beanie import PydanticObjectId
from bson import ObjectId

from core.api.channels import IngestSummary
from core.api.errors import Invalid, NotFound
from core.api.providers import view
from core.api.servers import require_admin
from core.api.views import Caller, ProviderView
from core.api.web import digest
from core.clock import Clock
from core.domain import RawMessage
from core.services.intake.pipeline import Pipeline
from models import Provider
from models.query import where

MAX_TEXT: Final = 4000
SIDES: Final = {"buy": "LONG", "long": "LONG", "sell": "SHORT", "short": "SHORT"}


def _first(alert: dict[str, Any], *names: str) -> Any:
    return next((alert[n] for n in names if alert.get(n) not in (None, "")), None)


def _prices(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",") if value else []
    return [str(v).strip() for v in items if str(v).strip()]


def alert_text(body: bytes, content_type: str) -> str:
    """The message an alert carries: its `message`/`text` field, a call written from its fields (symbol, side,
    entry, targets, stop, leverage), or the body itself when it is plain text."""
    raw = body.decode("utf-8", errors="replace").strip()
    if not raw:
        raise Invalid(["the alert is empty"])
    if content_type == "application/json" or raw.startswith("{"):
        try:
            alert = json.loads(raw)
        except ValueError:
            if content_type == "application/json":
                raise Invalid(["the alert is not valid JSON"]) from None
            return raw[:MAX_TEXT]
        if not isinstance(alert, dict):
            raise Invalid(["a JSON alert is an object, e.g. {\"symbol\": \"BTCUSDT\", \"side\": \"buy\", ...}"])
        text = _first(alert, "message", "text")
        if isinstance(text, str):
            return text[:MAX_TEXT]
        symbol, side = _first(alert, "symbol", "ticker"), str(_first(alert, "side", "action") or "").lower()
        if symbol is None or side not in SIDES:
            raise Invalid(["a JSON alert needs `message`, or `symbol` (or `ticker`) and `side` (buy/sell, long/short)"])
        parts = [str(symbol), SIDES[side]]
        entry = _first(alert, "entry", "price")
        parts += [f"entry {'-'.join(_prices(entry))}"] if entry is not None else ["market"]
        parts += [f"TP{n} {p}" for n, p in enumerate(_prices(_first(alert, "tp", "take_profit", "targets")), 1)]
        stop = _first(alert, "sl", "stop", "stop_loss")
        parts += [f"SL {stop}"] if stop is not None else []
        leverage = _first(alert, "leverage")
        parts += [f"{leverage}x"] if leverage is not None else []
        return " ".join(parts)
    return raw[:MAX_TEXT]


async def create_provider(caller: Caller, name: str) -> tuple[ProviderView, str]:
    """A webhook provider and its secret token (shown once: only its digest is stored)."""
    await require_admin(caller, "creating a webhook provider")
    if not name.strip():
        raise Invalid(["name: give the provider a name"])
    token = secrets.token_urlsafe(32)
    provider = Provider(name=name.strip(), channel_id=-(secrets.randbits(52) + 1), source="webhook",
                        webhook_key=digest(token))
    await provider.insert()
    return view(provider), token


class Webhooks:
    def __init__(self, pipeline: Pipeline, clock: Clock) -> None:
        self.pipeline = pipeline
        self.clock = clock

    async def create(self, caller: Caller, name: str) -> tuple[ProviderView, str]:
        return await create_provider(caller, name)

    async def rotate(self, caller: Caller, provider_id: str) -> str:
        """A new token for a webhook provider; the old one stops working at once."""
        await require_admin(caller, "changing a webhook token")
        provider = await Provider.get(PydanticObjectId(provider_id)) if ObjectId.is_valid(provider_id) else None
        if provider is None or provider.source != "webhook":
            raise NotFound(f"no webhook provider with id {provider_id}")
        token = secrets.token_urlsafe(32)
        await provider.set({Provider.webhook_key: digest(token)})
        return token

    async def receive(self, token: str, body: bytes, content_type: str) -> IngestSummary:
        """An alert for the provider this token belongs to: stored at most once (the same body within the same
        minute is a duplicate), parsed, decided for every subscriber."""
        key = digest(token)
        provider = await Provider.find_one(where(Provider.webhook_key == key))
        if provider is None or not hmac.compare_digest(provider.webhook_key or "", key):
            raise NotFound("no webhook with this token")
        text = alert_text(body, content_type)
        now: datetime = self.clock()
        stamp = hashlib.sha256(body + now.strftime("%Y%m%d%H%M").encode()).hexdigest()
        result = await self.pipeline.ingest(RawMessage(channel_id=provider.channel_id, message_id=int(stamp[:13], 16),
                                                       author=f"webhook:{provider.name}", text=text, created_at=now))
        return IngestSummary(status=result.status, kind=result.kind, reason=result.reason,
                             decisions=len(result.outcomes))
