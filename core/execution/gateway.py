"""The one protocol every execution gateway (paper, ccxt) implements, and its error types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.domain import OrderSide, OrderStatus


class OrderRejected(Exception):
    """Final: the exchange refused the order (invalid, insufficient funds, auth). Never retried."""


class OrderOutcomeUnknown(Exception):
    """The request may or may not have landed (timeout, network). Reconcile by client id, never re-send."""


@dataclass(frozen=True)
class OrderRequest:
    client_order_id: str
    account_id: str
    symbol: str
    side: OrderSide
    order_type: str
    amount: float
    price: float | None = None
    reduce_only: bool = False


@dataclass(frozen=True)
class OrderResult:
    client_order_id: str
    exchange_order_id: str
    status: OrderStatus
    filled: float
    average_price: float | None
    fee: float
    fee_currency: str
    at: datetime
    price_source: str = ""


class ExecutionGateway(Protocol):
    mode: str

    async def create_order(self, request: OrderRequest) -> OrderResult:
        """Place an order once. A repeated client id returns the order that already exists."""
        ...

    async def fetch_order(self, client_order_id: str, symbol: str) -> OrderResult | None: ...
