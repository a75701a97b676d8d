"""MongoDB storage for the paper exchange: its orders (unique client id), holdings and account balances."""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from core.execution.gateway import OrderRequest
from core.execution.paper import OPEN_STATES, PaperHolding, PaperOrderState
from models import ExchangeAccount, PaperHoldingDoc, PaperOrder

_REQUEST_FIELDS = ("client_order_id", "account_id", "symbol", "side", "order_type", "amount", "price",
                   "stop_price", "reduce_only", "leverage", "margin_mode", "ref_price")


def _state(order: PaperOrder) -> PaperOrderState:
    request = OrderRequest(**{name: getattr(order, name) for name in _REQUEST_FIELDS})
    return PaperOrderState(request=request, status=order.status, created_at=order.created_at, filled=order.filled,
                           cost=order.cost, fee=order.fee, triggered=order.triggered, price_source=order.price_source)


def _mutable(state: PaperOrderState) -> dict[str, Any]:
    return {"status": state.status.value, "filled": state.filled, "cost": state.cost, "fee": state.fee,
            "triggered": state.triggered, "price_source": state.price_source}


class MongoPaperStore:
    async def find(self, client_order_id: str) -> PaperOrderState | None:
        order = await PaperOrder.find_one(PaperOrder.client_order_id == client_order_id)
        return _state(order) if order else None

    async def insert(self, state: PaperOrderState) -> PaperOrderState:
        fields = {name: getattr(state.request, name) for name in _REQUEST_FIELDS}
        order = PaperOrder(**fields, status=state.status, filled=state.filled, cost=state.cost, fee=state.fee,
                           triggered=state.triggered, price_source=state.price_source, created_at=state.created_at)
        try:
            await order.insert()
        except DuplicateKeyError:
            existing = await self.find(state.request.client_order_id)
            if existing is None:  # pragma: no cover - the unique index just said it exists
                raise
            return existing
        return state

    async def save(self, state: PaperOrderState) -> None:
        await PaperOrder.find_one(PaperOrder.client_order_id == state.request.client_order_id).update(
            {"$set": _mutable(state)})

    async def open_orders(self, account_id: str | None, symbol: str | None) -> list[PaperOrderState]:
        query: dict[str, Any] = {"status": {"$in": [s.value for s in OPEN_STATES]}}
        if account_id is not None:
            query["account_id"] = account_id
        if symbol is not None:
            query["symbol"] = symbol
        return [_state(o) for o in await PaperOrder.find(query).sort("created_at").to_list()]

    async def holding(self, account_id: str, symbol: str) -> PaperHolding:
        doc = await PaperHoldingDoc.find_one(PaperHoldingDoc.account_id == account_id,
                                             PaperHoldingDoc.symbol == symbol)
        return PaperHolding(doc.amount, doc.entry_price, doc.leverage) if doc else PaperHolding()

    async def settle(self, account_id: str, symbol: str, holding: PaperHolding, cash: dict[str, float],
                     volume: float) -> None:
        await PaperHoldingDoc.get_pymongo_collection().update_one(
            {"account_id": account_id, "symbol": symbol},
            {"$set": {"account_id": account_id, "symbol": symbol, "amount": holding.amount,
                      "entry_price": holding.entry_price, "leverage": holding.leverage}},
            upsert=True)
        increments = {f"paper_balances.{currency}": amount for currency, amount in cash.items()}
        await ExchangeAccount.find_one(ExchangeAccount.id == PydanticObjectId(account_id)).update(
            {"$inc": {**increments, "paper_volume": volume}})

    async def balances(self, account_id: str) -> tuple[dict[str, float], float, float]:
        account = await ExchangeAccount.get(account_id)
        if account is None:
            return {}, 0.0, 0.0
        in_use = 0.0
        async for doc in PaperHoldingDoc.find(PaperHoldingDoc.account_id == account_id):
            in_use += abs(doc.amount) * doc.entry_price / (doc.leverage or 1)
        return dict(account.paper_balances), in_use, account.paper_volume
