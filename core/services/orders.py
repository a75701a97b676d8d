"""Order intents: recorded under their deterministic client id before the gateway is called, sent at most
once, every status change kept in the intent's history. Entry and exit legs both go through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms
from core.domain import OrderSide, OrderStatus
from core.execution.gateway import ExecutionGateway, OrderRejected, OrderRequest, OrderResult
from core.execution.ids import client_order_id
from core.execution.lifecycle import check_transition
from models import ExchangeAccount, Fill, OrderIntent
from models.orders import Transition


@dataclass(frozen=True)
class Leg:
    signal_id: str
    user_id: str
    leg: str  # entry | exit ...
    symbol: str
    side: OrderSide
    amount: float
    price: float | None
    cause: str
    reduce_only: bool = False
    order_type: str = "market"


class OrderDesk:
    def __init__(self, gateway: ExecutionGateway, clock: Clock) -> None:
        self.gateway = gateway
        self.clock = clock

    async def claim(self, leg: Leg, account: ExchangeAccount) -> OrderIntent:
        """The intent for this (signal, user, leg), stored now if it is new."""
        cid = client_order_id(leg.signal_id, leg.user_id, leg.leg)
        now_ms = epoch_ms(self.clock())
        intent = OrderIntent(
            client_order_id=cid, signal_id=leg.signal_id, user_id=leg.user_id, account_id=str(account.id),
            leg=leg.leg, mode=account.mode, symbol=leg.symbol, side=leg.side, order_type=leg.order_type,
            amount=leg.amount, price=leg.price, reduce_only=leg.reduce_only,
            history=[Transition(status=OrderStatus.PENDING, at_ms=now_ms, cause=leg.cause)],
            created_at=self.clock(), updated_at_ms=now_ms,
        )
        try:
            return await intent.insert()
        except DuplicateKeyError:
            found = await OrderIntent.find_one(OrderIntent.client_order_id == cid)
            assert found is not None  # noqa: S101 - the unique index just said it exists
            return found

    async def place(self, intent: OrderIntent) -> OrderResult:
        """Send the order once. An intent seen before is first looked up by its client id (never re-sent blind)."""
        if intent.status is OrderStatus.REJECTED:
            raise OrderRejected(intent.error or "rejected earlier")
        if len(intent.history) > 1 or intent.status is not OrderStatus.PENDING:
            found = await self.gateway.fetch_order(intent.client_order_id, intent.symbol)
            if found is not None:
                return found
        request = OrderRequest(client_order_id=intent.client_order_id, account_id=str(intent.account_id),
                               symbol=intent.symbol, side=intent.side, order_type=intent.order_type,
                               amount=intent.amount, price=intent.price, reduce_only=intent.reduce_only)
        await self.transition(intent, OrderStatus.SUBMITTED, "sent to " + self.gateway.mode)
        return await self.gateway.create_order(request)

    async def transition(self, intent: OrderIntent, status: OrderStatus, cause: str, **fields: object) -> None:
        check_transition(intent.status, status)
        now_ms = epoch_ms(self.clock())
        step = Transition(status=status, at_ms=now_ms, cause=cause)
        intent.status, intent.updated_at_ms = status, now_ms
        intent.history.append(step)
        # the whole list is $set: nx-27017 turns sub-documents into strings under $push (see README)
        await OrderIntent.find_one(OrderIntent.id == intent.id).update(
            {"$set": {"status": status.value, "updated_at_ms": now_ms, **fields,
                      "history": [h.model_dump(mode="json") for h in intent.history]}}
        )

    async def record_fill(self, intent: OrderIntent, result: OrderResult) -> None:
        if intent.status is not OrderStatus.FILLED:
            await self.transition(intent, result.status, f"filled {result.filled:g} @ {result.average_price:g}",
                                  exchange_order_id=result.exchange_order_id, filled=result.filled,
                                  average_price=result.average_price)
        fill = Fill(client_order_id=intent.client_order_id, user_id=intent.user_id, account_id=intent.account_id,
                    symbol=intent.symbol, side=intent.side, amount=result.filled,
                    price=result.average_price or 0.0, fee=result.fee, fee_currency=result.fee_currency,
                    trade_id=result.exchange_order_id + ":1", filled_at=result.at)
        try:
            await fill.insert()
        except DuplicateKeyError:
            pass  # recorded by an earlier run
