"""The paper exchange's own state: its order book (one record per client order id) and net holdings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document, Indexed
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from core.domain import OrderSide, OrderStatus
from models.refs import Ref
from models.users import utcnow


class PaperOrder(Document):
    client_order_id: Indexed(str, unique=True)  # type: ignore[valid-type]
    account_id: Ref
    symbol: str
    side: OrderSide
    order_type: str
    amount: float
    price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    leverage: float | None = None
    margin_mode: str | None = None
    ref_price: float | None = None
    status: OrderStatus
    filled: float = 0.0
    cost: float = 0.0
    fee: float = 0.0
    triggered: bool = False
    price_source: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    filled_at_ms: int | None = None  # the last fill's time (the tick or bar that filled it), set in place: epoch ms

    class Settings:
        name = "paper_orders"
        indexes = [IndexModel([("status", ASCENDING), ("symbol", ASCENDING)]),
                   IndexModel([("account_id", ASCENDING), ("status", ASCENDING)])]


class PaperHoldingDoc(Document):
    account_id: Ref
    symbol: str
    amount: float = 0.0  # signed: > 0 long, < 0 short
    entry_price: float = 0.0
    leverage: float = 1.0

    class Settings:
        name = "paper_holdings"
        indexes = [IndexModel([("account_id", ASCENDING), ("symbol", ASCENDING)], unique=True)]


class PaperJournal(Document):
    """One paper-exchange batch written as a whole before any of it is applied, on a server without
    transactions: its new orders, order changes, holdings and cash moves. Applying it is idempotent (orders by
    their unique client id, holdings by absolute values, cash guarded by the account's `paper_journal`), so a
    batch cut off half-way is finished by the next paper call instead of leaving a fill without its holding."""

    orders: list[dict[str, Any]] = Field(default_factory=list)  # new PaperOrder documents as stored
    changed: list[dict[str, Any]] = Field(default_factory=list)  # {"client_order_id", "set"}
    new_holdings: list[dict[str, Any]] = Field(default_factory=list)  # new PaperHoldingDoc documents as stored
    holdings: list[dict[str, Any]] = Field(default_factory=list)  # {"id", "set"}
    cash: list[dict[str, Any]] = Field(default_factory=list)  # {"account_id", "inc"}

    class Settings:
        name = "paper_journal"
