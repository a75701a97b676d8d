"""Domain types shared by every layer. Pure: no I/O, no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.domain.notifications import NotificationKind as NotificationKind
from core.domain.notifications import NotificationTopic as NotificationTopic
from core.domain.risk import ConflictPolicy as ConflictPolicy  # re-exported: models/ import core.domain only
from core.domain.risk import RiskProfile as RiskProfile


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def entry_order_side(self) -> OrderSide:
        return OrderSide.BUY if self is Side.LONG else OrderSide.SELL

    @property
    def exit_order_side(self) -> OrderSide:
        return OrderSide.SELL if self is Side.LONG else OrderSide.BUY


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class EntryType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    RANGE = "range"


class UpdateAction(StrEnum):
    CLOSE = "close"
    TP_HIT = "tp_hit"
    SL_HIT = "sl_hit"
    MOVE_SL = "move_sl"
    CANCEL = "cancel"
    OTHER = "other"


class TradeMode(StrEnum):
    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


class OrderStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


# the order status groups, defined once: what rests on the book, what a venue may hold, what is still alive
# (ours to watch or reconcile), and what is over
RESTING: frozenset[OrderStatus] = frozenset({OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
ON_VENUE: frozenset[OrderStatus] = RESTING | {OrderStatus.SUBMITTED, OrderStatus.UNKNOWN}
LIVE: frozenset[OrderStatus] = ON_VENUE | {OrderStatus.PENDING}
FINAL: frozenset[OrderStatus] = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED,
                                           OrderStatus.REJECTED})


class DecisionOutcome(StrEnum):
    TRADE = "trade"
    BLOCK = "block"


@dataclass(frozen=True)
class RawMessage:
    """A provider's message as the Discord listener saw it."""

    channel_id: int
    message_id: int
    author: str
    text: str
    created_at: datetime
    guild_id: int | None = None
    reply_to: int | None = None


@dataclass(frozen=True)
class NewSignal:
    symbol: str
    side: Side
    entry_type: EntryType
    entries: tuple[float, ...]
    take_profits: tuple[float | str, ...] = ()
    stop_loss: float | str | None = None
    leverage: float | None = None
    margin_mode: str | None = None
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "signal"


@dataclass(frozen=True)
class SignalUpdate:
    action: UpdateAction
    symbol: str | None = None
    target: int | None = None
    new_stop: float | None = None
    percentage: float | None = None
    reply_to: int | None = None

    @property
    def kind(self) -> str:
        return "update"


@dataclass(frozen=True)
class Noise:
    reason: str

    @property
    def kind(self) -> str:
        return "noise"


@dataclass(frozen=True)
class RejectedSignal:
    """A trade call that is not tradeable as written (inconsistent levels); kept with the reason."""

    draft: NewSignal
    reason: str

    @property
    def kind(self) -> str:
        return "rejected"


ParseResult = NewSignal | SignalUpdate | RejectedSignal | Noise


@dataclass(frozen=True)
class MarketRules:
    """An exchange's precision and minimums for one symbol (applied before any order is sent)."""

    amount_step: float
    price_tick: float
    min_amount: float = 0.0
    min_notional: float = 0.0


@dataclass(frozen=True)
class Bar:
    """One OHLCV candle: open time in epoch ms, prices, base-asset volume."""

    symbol: str
    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
