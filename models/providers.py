"""Signal providers (a Discord channel each) and users' subscriptions to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, Indexed
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.refs import Ref
from models.users import utcnow


class FormatHints(BaseModel):
    default_quote: str = "USDT"
    default_leverage: float | None = None
    prices_in_satoshis: bool = False
    language: str = "en"


class ProviderStats(BaseModel):
    signals: int = 0
    closed_trades: int = 0
    wins: int = 0
    losses: int = 0


class Provider(Document):
    name: str
    guild_id: int | None = None
    channel_id: Indexed(int, unique=True)  # type: ignore[valid-type]
    enabled: bool = True
    disabled_reason: str | None = None
    format_hints: FormatHints = Field(default_factory=FormatHints)
    # formats taught from corrected messages (core.parsing.templates), newest first, tried before the general rules
    format_templates: list[dict[str, Any]] = Field(default_factory=list)
    stats: ProviderStats = Field(default_factory=ProviderStats)
    source: str = "discord"  # discord (a channel the bot reads) | webhook (alerts posted to /webhook/{token})
    webhook_key: str | None = None  # webhook providers: the SHA-256 of their secret token
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "providers"


class Subscription(Document):
    user_id: Ref
    provider_id: Ref
    enabled: bool = True
    priority: int = 0
    overrides: dict[str, Any] = Field(default_factory=dict)  # partial RiskProfile on top of the user's
    preset: str | None = None  # the preset the overrides came from, for display
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "subscriptions"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("provider_id", ASCENDING)], unique=True),
            IndexModel([("provider_id", ASCENDING), ("enabled", ASCENDING)]),
        ]
