"""MongoDB storage for the paper exchange: its orders (unique client id) and account balances."""

from __future__ import annotations

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from core.execution.gateway import OrderRequest, OrderResult
from models import ExchangeAccount, PaperOrder


def _result(order: PaperOrder) -> OrderResult:
    return OrderResult(
        client_order_id=order.client_order_id,
        exchange_order_id=order.exchange_order_id,
        status=order.status,
        filled=order.filled,
        average_price=order.average_price,
        fee=order.fee,
        fee_currency=order.fee_currency,
        at=order.created_at,
        price_source="stored",
    )


class MongoPaperStore:
    async def find(self, client_order_id: str) -> OrderResult | None:
        order = await PaperOrder.find_one(PaperOrder.client_order_id == client_order_id)
        return _result(order) if order else None

    async def record(self, request: OrderRequest, result: OrderResult) -> OrderResult:
        order = PaperOrder(
            client_order_id=request.client_order_id,
            exchange_order_id=result.exchange_order_id,
            account_id=request.account_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            amount=request.amount,
            price=request.price,
            status=result.status,
            filled=result.filled,
            average_price=result.average_price,
            fee=result.fee,
            fee_currency=result.fee_currency,
            created_at=result.at,
        )
        try:
            await order.insert()
        except DuplicateKeyError:
            existing = await self.find(request.client_order_id)
            if existing is None:  # pragma: no cover - the unique index just said it exists
                raise
            return existing
        await ExchangeAccount.find_one(ExchangeAccount.id == PydanticObjectId(order.account_id)).update(
            {"$inc": {f"paper_balances.{result.fee_currency}": -result.fee}}
        )
        return result
