"""Raw provider messages, parsed signals, and per-user decisions (each with its reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, Indexed
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from core.domain import DecisionOutcome, EntryType, Side, UpdateAction
from models.refs import Ref
from models.users import utcnow


class Message(Document):
    """A provider message exactly as received; stored before anything else happens to it."""

    provider_id: Ref
    channel_id: int
    message_id: int
    guild_id: int | None = None
    author: str
    text: str
    reply_to: int | None = None
    posted_at: datetime
    received_at: datetime = Field(default_factory=utcnow)
    status: str = "received"  # received -> processed
    kind: str | None = None  # signal | update | noise
    reason: str | None = None
    lease_until_ms: int | None = None  # a resumer's claim (epoch ms), so two processes never both resume it
    edits: list[dict[str, Any]] = Field(default_factory=list)  # {"text", "at_ms"}: recorded, never traded
    deleted_at_ms: int | None = None  # the provider deleted it (recorded, never traded); epoch ms, set in place

    class Settings:
        name = "messages"
        indexes = [
            IndexModel([("channel_id", ASCENDING), ("message_id", ASCENDING)], unique=True),
            IndexModel([("status", ASCENDING)]),
            IndexModel([("provider_id", ASCENDING), ("posted_at", DESCENDING)]),  # a provider's recent messages
            IndexModel([("kind", ASCENDING), ("posted_at", DESCENDING)]),  # the unparsed-message inbox
        ]


class Signal(Document):
    """A parsed trade call or update, linked to the message it came from."""

    message_id: Indexed(str, unique=True)  # type: ignore[valid-type]
    provider_id: Ref
    kind: str  # signal | update
    symbol: str | None = None
    side: Side | None = None
    entry_type: EntryType | None = None
    entries: list[float] = Field(default_factory=list)
    take_profits: list[float | str] = Field(default_factory=list)
    stop_loss: float | str | None = None
    leverage: float | None = None
    update_action: UpdateAction | None = None
    extras: dict[str, Any] = Field(default_factory=dict)
    status: str = "open"  # signals: open | rejected | closed | cancelled; updates: applied | unmatched
    reason: str | None = None  # why a signal was rejected / what an update did
    applies_to: Ref | None = None  # updates: the signal they were applied to
    targets_hit: int = 0
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "signals"
        indexes = [
            IndexModel([("provider_id", ASCENDING), ("symbol", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("symbol", ASCENDING), ("created_at", ASCENDING)]),  # a symbol's recent calls (conflicts)
        ]


class CheckRecord(BaseModel):
    """One risk rule's verdict on the call, in the order the engine ran them."""

    rule: str
    verdict: str  # allow | adjust | block
    reason: str


class ConflictRecord(BaseModel):
    """What conflict resolution said about the call against the user's other calls and positions."""

    action: str  # open | skip | close | replace | ...
    rule: str
    reason: str


class PlanRecord(BaseModel):
    """The trade as the user's profile shaped it (entry, stop, targets, leverage, size scale)."""

    entry: float
    stop: float | None = None
    targets: list[float] = Field(default_factory=list)
    leverage: float = 1.0
    scale: float = 1.0


class DecisionDetails(BaseModel):
    """Everything behind a decision: read back to open the position (a resumed run reads the stored copy), and
    shown by /why. The sizing fields are set only on a decision that trades."""

    checks: list[CheckRecord] = Field(default_factory=list)
    conflict: ConflictRecord | None = None
    plan: PlanRecord | None = None
    amount: float | None = None  # base-currency quantity
    price: float | None = None  # the price the size was computed at
    notional: float | None = None
    margin: float | None = None
    risk_amount: float | None = None
    leverage: float = 1.0
    tp_amounts: list[float] = Field(default_factory=list)
    close_position: Ref | None = None  # a position conflict resolution closes first

    def size(self) -> tuple[float, float]:
        """(amount, price) a trade opens with; a decision without them never opens a position."""
        if self.amount is None or self.price is None:
            raise ValueError("the decision holds no size, so nothing is opened from it")
        return self.amount, self.price


class Decision(Document):
    """Why a signal did or did not trade for one user; one per (signal, user)."""

    signal_id: Ref
    user_id: Ref
    provider_id: Ref
    outcome: DecisionOutcome
    rule: str
    reason: str
    details: DecisionDetails = Field(default_factory=DecisionDetails)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "decisions"
        indexes = [
            IndexModel([("signal_id", ASCENDING), ("user_id", ASCENDING)], unique=True),
            IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]),
        ]
