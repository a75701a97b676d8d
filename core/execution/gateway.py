"""The one protocol every execution gateway (paper, ccxt) implements, its request/result types, and the
error classes that decide what the engine does next (see the architecture's invariants):

- `OrderRejected`: final (invalid order, insufficient funds, auth, below the exchange minimum). Never retried;
  the user is told the reason.
- `RateLimited`: the exchange asked us to slow down. Retried with the same client id after a backoff.
- `OrderOutcomeUnknown`: timeout, network error, exchange unavailable. The order may or may not exist; it
  becomes UNKNOWN and is reconciled by client id, never re-sent blind.

A duplicate client id on create means an earlier attempt landed: gateways return that order (adopt it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.domain import MarketRules, OrderSide, OrderStatus

ORDER_TYPES = ("market", "limit", "stop_market", "stop_limit", "take_profit")
TRIGGERED = frozenset({"stop_market", "stop_limit", "take_profit"})


class OrderRejected(Exception):
    """Final: the exchange refused the order. `kind` is invalid | funds | auth | minimum | unsupported |
    triggered (a stop whose trigger the price has already passed: the engine then exits at market)."""

    def __init__(self, reason: str, kind: str = "invalid") -> None:
        super().__init__(reason)
        self.kind = kind


class NotSent(OrderRejected):
    """The venue failed while the order was being prepared (its markets could not be loaded): nothing was sent,
    so the outcome is known. An armed trigger stays armed; any other order is refused with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "unreachable")


class RateLimited(Exception):
    """The exchange rate-limited the call; retry the same request (same client id) after a backoff."""


class OrderOutcomeUnknown(Exception):
    """The request may or may not have landed (timeout, network). Reconcile by client id, never re-send."""


CLASSIFIED = (OrderRejected, RateLimited, OrderOutcomeUnknown)  # what a batch reports per order


@dataclass(frozen=True)
class OrderRequest:
    client_order_id: str
    account_id: str
    symbol: str
    side: OrderSide
    order_type: str  # one of ORDER_TYPES
    amount: float
    price: float | None = None  # the limit price (limit, stop_limit)
    stop_price: float | None = None  # the trigger (stop_market, stop_limit, take_profit)
    reduce_only: bool = False
    leverage: float | None = None  # futures: set on the symbol before an opening order
    margin_mode: str | None = None  # futures: isolated | cross
    ref_price: float | None = None  # market orders: the price the minimum-notional check uses


@dataclass(frozen=True)
class OrderResult:
    client_order_id: str
    exchange_order_id: str
    status: OrderStatus
    filled: float  # cumulative
    average_price: float | None
    fee: float  # cumulative, in fee_currency
    fee_currency: str
    at: datetime
    price_source: str = ""
    symbol: str = ""
    side: OrderSide | None = None
    order_type: str = ""
    amount: float = 0.0
    price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False


class ExecutionGateway(Protocol):
    mode: str

    def supports(self, order_type: str) -> bool:
        """Whether this venue holds orders of this type itself (else the engine emulates them)."""
        ...

    def holds_coins(self) -> bool:
        """Whether a resting sell holds the coins it would sell (spot): an exit must first cancel the stop that
        holds them, and a moved stop can only be placed once the old one is cancelled."""
        ...

    def stop_limit_gap(self) -> float | None:
        """How far past its trigger a held stop may fill (the venue holds stops only as stop-limits: its limit), as
        a fraction; None where a held stop sells at market."""
        ...

    async def rules(self, symbol: str) -> MarketRules:
        """The venue's precision and minimums for `symbol` (what sizing and protective legs round with);
        raises OrderRejected when the venue does not trade it, OrderOutcomeUnknown when it cannot be asked."""
        ...

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        """The request with amount and prices rounded to the market's precision; raises OrderRejected
        (kind "minimum") when the rounded order would be refused, so a doomed order is never sent."""
        ...

    async def create_order(self, request: OrderRequest) -> OrderResult:
        """Place an order once. A repeated client id returns the order that already exists."""
        ...

    async def replace_order(self, replaced: str, request: OrderRequest) -> OrderResult:
        """Cancel the order with client id `replaced` and place `request` (in one venue request where the venue
        has one). The new order is placed even if the old one is no longer open; raises as `create_order` does."""
        ...

    async def create_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult | Exception]:
        """Place several orders (one signal's, for many accounts): per request its result, or the classified
        error (OrderRejected, RateLimited, OrderOutcomeUnknown) it raised; anything else propagates."""
        ...

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                          ) -> OrderResult | None:
        """The order with this client id, or None when the venue has never seen it. `order_type` (the intent's)
        says where a venue keeps it (conditional orders apart on some); None when it is not known."""
        ...

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                           ) -> OrderResult | None:
        """Cancel; returns the order's final state (it may have filled first), None if unknown."""
        ...

    async def open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderResult]: ...

    async def balance(self, account_id: str) -> dict[str, float]:
        """Free balance per currency."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
