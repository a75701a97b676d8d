"""PaperGateway: a simulated exchange that fills market orders at the price source's price.

Its order book lives behind `PaperStore` (MongoDB in the app), keyed by client order id, so a repeated
create returns the first order instead of filling twice - the same contract a real exchange gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.clock import Clock
from core.domain import OrderStatus
from core.execution.gateway import OrderRejected, OrderRequest, OrderResult
from core.market.prices import PriceSource, PriceUnavailable
from core.market.rules import minimum_problem, paper_rules


class PaperStore(Protocol):
    async def find(self, client_order_id: str) -> OrderResult | None: ...

    async def record(self, request: OrderRequest, result: OrderResult) -> OrderResult:
        """Store the order; if the client id exists already, return the stored one instead."""
        ...


@dataclass
class PaperGateway:
    prices: PriceSource
    store: PaperStore
    clock: Clock
    fee_rate: float = 0.0004
    quote_currency: str = "USDT"
    mode: str = "paper"

    async def create_order(self, request: OrderRequest) -> OrderResult:
        existing = await self.store.find(request.client_order_id)
        if existing is not None:
            return existing
        if request.order_type != "market":
            raise OrderRejected(f"the paper exchange does not support {request.order_type} orders yet")
        if request.price is not None:
            problem = minimum_problem(request.amount, request.price, paper_rules(request.symbol))
            if problem:
                raise OrderRejected(problem)
        now = self.clock()
        try:
            quote = await self.prices.quote(request.symbol, now)
        except PriceUnavailable as exc:
            raise OrderRejected(str(exc)) from None
        fee = request.amount * quote.price * self.fee_rate
        result = OrderResult(
            client_order_id=request.client_order_id,
            exchange_order_id="paper-" + request.client_order_id,
            status=OrderStatus.FILLED,
            filled=request.amount,
            average_price=quote.price,
            fee=fee,
            fee_currency=self.quote_currency,
            at=now,
            price_source=f"{quote.source} {quote.at.isoformat()}",
        )
        return await self.store.record(request, result)

    async def fetch_order(self, client_order_id: str, symbol: str) -> OrderResult | None:
        return await self.store.find(client_order_id)

