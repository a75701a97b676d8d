"""User notifications (delivered by the bot's DM sink) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.refs import Ref
from models.users import utcnow


class Notification(Document):
    user_id: Ref
    kind: str  # trade_opened | trade_blocked | ...
    text: str
    signal_id: Ref | None = None
    dedupe_key: str  # "<signal id>:<kind>" for trade events, so a resumed pipeline never repeats a DM
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at_ms: int | None = None
    delivery_error: str | None = None
    # the delivery job's state (core.services.notify.delivery): pending -> delivered | failed (not retried) | skipped
    delivery: str = "pending"
    attempts: int = 0
    next_attempt_ms: int = 0  # epoch ms: a transient failure waits before the next try
    delivered_sinks: list[str] = Field(default_factory=list)  # a retry never repeats what a sink already sent

    class Settings:
        name = "notifications"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("delivered_at_ms", ASCENDING)]),
            IndexModel([("delivery", ASCENDING), ("next_attempt_ms", ASCENDING)]),
            IndexModel([("user_id", ASCENDING), ("dedupe_key", ASCENDING)], unique=True),
        ]


class AuditEvent(Document):
    actor: str  # "system", "user:<discord id>", ...
    action: str
    subject: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "audit_events"
        indexes = [IndexModel([("created_at", ASCENDING)]), IndexModel([("action", ASCENDING)])]
