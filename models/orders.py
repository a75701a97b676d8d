"""Order intents (one per signal x user x leg, stored before the exchange call), fills, positions."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, Indexed
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from core.domain import OrderSide, OrderStatus, Side, TradeMode
from models.refs import Ref
from models.users import utcnow


class Transition(BaseModel):
    status: OrderStatus
    at_ms: int
    cause: str


class OrderIntent(Document):
    client_order_id: Indexed(str, unique=True)  # type: ignore[valid-type]
    signal_id: Ref
    user_id: Ref
    account_id: Ref
    leg: str  # entry | sl | tp1 ...
    mode: TradeMode
    symbol: str
    side: OrderSide
    order_type: str  # market | limit | stop_market ...
    amount: float
    price: float | None = None
    reduce_only: bool = False
    status: OrderStatus = OrderStatus.PENDING
    exchange_order_id: str | None = None
    filled: float = 0.0
    average_price: float | None = None
    error: str | None = None
    history: list[Transition] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at_ms: int = 0

    class Settings:
        name = "order_intents"
        indexes = [
            IndexModel([("status", ASCENDING), ("updated_at_ms", ASCENDING)]),
            IndexModel([("user_id", ASCENDING), ("signal_id", ASCENDING)]),
        ]


class Fill(Document):
    client_order_id: str
    user_id: Ref
    account_id: Ref
    symbol: str
    side: OrderSide
    amount: float
    price: float
    fee: float
    fee_currency: str
    trade_id: str
    filled_at: datetime

    class Settings:
        name = "fills"
        indexes = [
            IndexModel([("trade_id", ASCENDING)], unique=True),
            IndexModel([("client_order_id", ASCENDING)]),
        ]


class Position(Document):
    user_id: Ref
    account_id: Ref
    signal_id: Ref
    provider_id: Ref
    mode: TradeMode
    exchange: str = "binance"
    symbol: str
    side: Side
    amount: float
    entry_price: float
    leverage: float
    margin: float
    stop_loss: float | None = None
    take_profits: list[float] = Field(default_factory=list)
    status: str = "open"
    realized_pnl: float = 0.0
    fees: float = 0.0
    exit_price: float | None = None
    close_reason: str | None = None
    opened_at: datetime = Field(default_factory=utcnow)
    opened_at_ms: int = 0  # epoch ms: range-queried (daily loss) and, for closed_at_ms, set in place
    closed_at_ms: int | None = None

    class Settings:
        name = "positions"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("signal_id", ASCENDING)], unique=True),
            IndexModel([("user_id", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("provider_id", ASCENDING), ("status", ASCENDING)]),
        ]
