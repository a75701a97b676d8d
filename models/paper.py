"""The paper exchange's own order book: one record per client order id (the simulated exchange's state)."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, Indexed
from pydantic import Field

from core.domain import OrderSide, OrderStatus
from models.refs import Ref
from models.users import utcnow


class PaperOrder(Document):
    client_order_id: Indexed(str, unique=True)  # type: ignore[valid-type]
    exchange_order_id: str
    account_id: Ref
    symbol: str
    side: OrderSide
    order_type: str
    amount: float
    price: float | None = None
    status: OrderStatus
    filled: float = 0.0
    average_price: float | None = None
    fee: float = 0.0
    fee_currency: str = "USDT"
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "paper_orders"
