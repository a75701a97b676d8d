"""MongoDB storage for the paper exchange: its orders (unique client id), holdings and account balances."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beanie import PydanticObjectId

from core.execution.gateway import OrderRequest
from core.execution.paper import OPEN_STATES, PaperBook, PaperHolding, PaperOrderState
from models import ExchangeAccount, PaperHoldingDoc, PaperOrder
from models.bulk import insert_new, update_by_id

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
    async def find_many(self, client_order_ids: Sequence[str]) -> dict[str, PaperOrderState]:
        if len(client_order_ids) == 1:
            found = await PaperOrder.find_one(PaperOrder.client_order_id == client_order_ids[0])
            orders = [found] if found else []
        else:
            orders = await PaperOrder.find({"client_order_id": {"$in": list(client_order_ids)}}).to_list()
        return {o.client_order_id: _state(o) for o in orders}

    async def insert_many(self, states: Sequence[PaperOrderState]) -> set[str]:
        if not states:
            return set()
        docs = [PaperOrder(**{name: getattr(s.request, name) for name in _REQUEST_FIELDS}, status=s.status,
                           filled=s.filled, cost=s.cost, fee=s.fee, triggered=s.triggered,
                           price_source=s.price_source, created_at=s.created_at) for s in states]
        return await insert_new(PaperOrder, docs, "client_order_id")

    async def save(self, states: Sequence[PaperOrderState]) -> None:
        for state in states:  # by client id, one at a time: nx-27017 scans in bulk updates not keyed by _id
            await PaperOrder.find_one(PaperOrder.client_order_id == state.request.client_order_id).update(
                {"$set": _mutable(state)})

    async def open_orders(self, account_ids: Sequence[str] | None, symbol: str | None) -> list[PaperOrderState]:
        query: dict[str, Any] = {"status": {"$in": [s.value for s in OPEN_STATES]}}
        if account_ids is not None:
            query["account_id"] = {"$in": list(account_ids)}
        if symbol is not None:
            query["symbol"] = symbol
        return [_state(o) for o in await PaperOrder.find(query).sort("created_at").to_list()]

    async def book(self, account_ids: Sequence[str], balances: bool = True) -> PaperBook:
        ids = [PydanticObjectId(a) for a in account_ids]
        accounts = await ExchangeAccount.find({"_id": {"$in": ids}}).to_list() if balances else []
        holdings = await PaperHoldingDoc.find({"account_id": {"$in": list(account_ids)}}).to_list()
        return PaperBook(holdings={(h.account_id, h.symbol): PaperHolding(h.amount, h.entry_price, h.leverage,
                                                                          str(h.id)) for h in holdings},
                         balances={str(a.id): dict(a.paper_balances) for a in accounts},
                         volume={str(a.id): a.paper_volume for a in accounts})

    async def settle(self, holdings: dict[tuple[str, str], PaperHolding], cash: dict[str, dict[str, float]],
                     volume: dict[str, float]) -> None:
        new = [PaperHoldingDoc(account_id=account_id, symbol=symbol, amount=h.amount, entry_price=h.entry_price,
                               leverage=h.leverage) for (account_id, symbol), h in holdings.items() if h.ref is None]
        await insert_new(PaperHoldingDoc, new, "symbol")  # the caller holds the accounts' locks: no one else adds
        await update_by_id(PaperHoldingDoc, {
            PydanticObjectId(h.ref): {"$set": {"amount": h.amount, "entry_price": h.entry_price,
                                               "leverage": h.leverage}}
            for h in holdings.values() if h.ref is not None})
        increments = {account_id: {f"paper_balances.{c}": v for c, v in cash.get(account_id, {}).items()}
                      for account_id in set(cash) | set(volume)}
        await update_by_id(ExchangeAccount, {
            PydanticObjectId(account_id): {"$inc": {**inc, "paper_volume": volume.get(account_id, 0.0)}}
            for account_id, inc in sorted(increments.items())})
