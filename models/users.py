"""Users, their risk profile, and their exchange accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from beanie import Document, Indexed
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from core.domain import NotificationTopic, RiskProfile, TradeMode
from models.refs import Ref


def utcnow() -> datetime:
    return datetime.now(UTC)


class NotificationPrefs(BaseModel):
    dm_enabled: bool = True
    muted: list[NotificationTopic] = Field(default_factory=list)  # topics not sent as direct messages
    summary_at: str | None = None  # "HH:MM" in the user's timezone: a daily summary then (None: off)
    summary_sent_on: str | None = None  # the local date (YYYY-MM-DD) of the last summary sent


class UserSettings(BaseModel):
    risk: RiskProfile = Field(default_factory=RiskProfile)
    notifications: NotificationPrefs = Field(default_factory=NotificationPrefs)
    timezone: str = "UTC"
    theme: str = "dark"


class User(Document):
    discord_id: Indexed(int, unique=True)  # type: ignore[valid-type]
    name: str
    settings: UserSettings = Field(default_factory=UserSettings)
    presets: dict[str, RiskProfile] = Field(default_factory=dict)  # saved by name (lower case)
    trading_paused: bool = False
    paused_reason: str | None = None
    paused_until_ms: int | None = None  # epoch ms; None with trading_paused: until a manual resume
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "users"


class SealedSecret(BaseModel):
    """An encrypted credential (see core.crypto): never the plaintext."""

    key_id: str
    nonce: str
    ciphertext: str


class ExchangeAccount(Document):
    user_id: Ref
    label: str = "paper"
    exchange: str = "binance"
    # what a testnet or live account trades: USDT-margined perpetuals, or spot (Binance; long calls only, no
    # leverage). The paper exchange trades like perpetuals whatever this says.
    market: Literal["futures", "spot"] = "futures"
    mode: TradeMode = TradeMode.PAPER
    live_opt_in: bool = False
    api_key: SealedSecret | None = None
    api_secret: SealedSecret | None = None
    api_passphrase: SealedSecret | None = None  # OKX and a few others
    permissions: list[str] = Field(default_factory=list)
    is_default: bool = True
    paper_balances: dict[str, float] = Field(default_factory=dict)
    paper_volume: float = 0.0  # traded notional on the paper exchange (tiered fees)
    paper_journal: str | None = None  # the last paper batch whose cash moves were applied (see PaperJournal)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "exchange_accounts"
        indexes = [IndexModel([("user_id", ASCENDING), ("label", ASCENDING)], unique=True)]
