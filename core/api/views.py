"""What the API returns: plain typed results (never database documents), the same for Discord and the web."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field


class Caller(BaseModel):
    """Who asks: the Discord user, and whether the front-end found them an admin (Manage Server, or the role an
    admin set) for provider management."""

    discord_id: int
    name: str = ""
    admin: bool = False  # Manage Server (the role an admin set is checked here, from `role_ids`)
    guild_id: int | None = None  # the server the request comes from (None: a DM or the dashboard)
    role_ids: list[int] = Field(default_factory=list)  # the caller's roles in that server


class AccessView(BaseModel):
    """A server's access rules (role ids; an empty list means everyone)."""

    guild_id: int
    admin_role_id: int | None
    subscriber_roles: list[int]
    provider_limits: dict[str, int]
    trading_roles: list[int]


class ProviderView(BaseModel):
    id: str
    name: str
    channel_id: int
    guild_id: int | None
    enabled: bool
    disabled_reason: str | None
    default_quote: str
    default_leverage: float | None
    prices_in_satoshis: bool
    language: str
    taught_formats: int


class SubscriptionView(BaseModel):
    provider_id: str
    provider: str
    enabled: bool
    priority: int
    overrides: dict[str, Any]
    preset: str | None


class ProfileView(BaseModel):
    profile: dict[str, Any]
    timezone: str
    paused: bool
    paused_reason: str | None
    presets: list[str]


class PositionView(BaseModel):
    id: str
    symbol: str
    side: str
    status: str
    mode: str
    amount: float
    entry_price: float
    leverage: float
    stop_loss: float | None
    take_profits: list[float]
    targets_hit: int
    realized_pnl: float
    close_reason: str | None
    protection: str = ""  # open positions: "on the exchange", "while Signalcord runs" or "no working stop"


class OrderView(BaseModel):
    id: str
    position_id: str | None
    symbol: str
    leg: str
    role: str
    side: str
    order_type: str
    amount: float
    filled: float
    price: float | None
    stop_price: float | None
    status: str
    on_exchange: bool  # False: armed here, fired by Signalcord while it runs


class ParseView(BaseModel):
    """How a message is read, for admins testing a provider's format."""

    record: dict[str, Any]
    explanation: list[str]


class PreviewView(BaseModel):
    """How a channel's recent messages read: counts by kind, and the first calls in one line each."""

    calls: int
    updates: int
    ignored: int
    first: list[str]


class AccountView(BaseModel):
    """An exchange account as its owner sees it: never a key or a secret."""

    id: str
    label: str
    exchange: str
    market: str = "futures"  # futures (USDT-M perpetuals) | spot
    mode: str
    is_default: bool
    has_keys: bool
    live_opt_in: bool
    checked_for: list[str] = []  # the modes its key passed the check for (testnet, live)
    key_check: list[str] = []  # what the latest check found, one line each (only right after a check)


class NotificationView(BaseModel):
    id: str
    kind: str
    text: str
    delivery: str
    delivery_error: str | None


class PnlView(BaseModel):
    """Realised P&L from closed trades over a period, per day (the user's days), in the account's quote."""

    period: str
    total: float
    trades: int
    days: list[tuple[str, float]]  # (YYYY-MM-DD, that day's realised P&L), oldest first


class ProviderResultView(BaseModel):
    """One provider's closed trades for the caller over a period."""

    provider: str
    trades: int
    win_rate: float  # 0..1
    profit_factor: float | None  # gross profit / gross loss (None: no losing trade)
    net_pnl: float


class TopicView(BaseModel):
    topic: str
    label: str
    on: bool
    locked: bool  # safety notices are always delivered


class PreferencesView(BaseModel):
    dm_enabled: bool
    summary_at: str | None = None  # the daily summary's local time
    theme: str = "dark"  # the dashboard's colours
    topics: list[TopicView]


@dataclass(frozen=True)
class WhyView:
    signal: str
    outcome: str
    rule: str
    reason: str
    checks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CallTestView:
    """A message as read for a provider, and what the caller's own profile would decide on it (None: not a
    call)."""

    reading: ParseView
    decision: WhyView | None
