"""Order intents: recorded under their deterministic client id before any exchange call, sent at most once,
every status change kept in the intent's history with its time and cause.

`place` is the only way an order reaches a venue: an intent seen before is first looked up by its client id;
the request is rounded by the venue (`prepare`) and the rounded amounts stored before the send; a rate
limit is retried with the same client id after a backoff (tenacity); any other error propagates to the caller
as the gateway classified it (final rejection, or unknown outcome to reconcile).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from core.clock import Clock, epoch_ms
from core.domain import OrderSide, OrderStatus
from core.execution.gateway import (
    CLASSIFIED,
    ExecutionGateway,
    NotSent,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderRequest,
    OrderResult,
    RateLimited,
)
from core.execution.ids import client_order_id
from core.execution.lifecycle import check_transition
from core.services.orders.routing import GatewayRouter
from models import ExchangeAccount, OrderIntent
from models.bulk import insert_new
from models.orders import LIVE_VALUES, Transition

logger = logging.getLogger(__name__)

LIVE_QUERY = {"$in": LIVE_VALUES}  # the status filter for a position's few live intents


async def _write_if(intent: OrderIntent, stored: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Set `changes` on the intent only if its stored fields still equal `stored` (one atomic write): whether this
    runner won it."""
    guard = {"_id": intent.id, **{name: {"$eq": value} for name, value in stored.items()}}
    result = await OrderIntent.get_pymongo_collection().update_one(guard, {"$set": changes})
    return result.modified_count == 1


class LookUpFailed(Exception):
    """An order seen before could not be looked up by its client id, so it was not sent again: its record stays
    as it is (it may be on the venue) and the monitor or the reconciler looks again."""


class SentElsewhere(Exception):
    """Another runner claimed this intent first and sends it; its report is that runner's (or the reconciler's)."""


@dataclass
class Submitted:
    intent: OrderIntent
    outcome: OrderResult | Exception | None  # the venue's report, the classified error, or None: armed / seen
    seen: bool = False  # the intent existed before: not sent here


@dataclass(frozen=True)
class Leg:
    signal_id: str
    user_id: str
    leg: str  # entry | entry1 | sl | tp2 | exit ... (the client id is derived from signal, user and this)
    symbol: str
    side: OrderSide
    amount: float
    price: float | None  # the limit price; for market orders the reference price of the minimum checks
    cause: str
    reduce_only: bool = False
    order_type: str = "market"
    role: str = "entry"
    position_id: str | None = None
    stop_price: float | None = None
    leverage: float | None = None
    margin_mode: str | None = None
    emulated: bool = False
    expires_at_ms: int | None = None
    replaces: str | None = None  # a re-priced entry: the order it replaces


class OrderDesk:
    def __init__(self, gateways: GatewayRouter, clock: Clock, *, backoff: wait_base | None = None,
                 attempts: int = 4) -> None:
        self.gateways = gateways
        self.clock = clock
        self.backoff = backoff if backoff is not None else wait_exponential(multiplier=0.5, max=8)
        self.attempts = attempts
        self._position_locks: dict[str, asyncio.Lock] = {}

    def position_lock(self, position_id: str) -> asyncio.Lock:
        """This process's lock on a position's exits: protection claims its stop and targets under it, and on a venue
        where a resting stop holds the coins an exit frees them and is sent under it (no stop placed in between)."""
        return self._position_locks.setdefault(position_id, asyncio.Lock())

    async def gateway(self, intent: OrderIntent) -> ExecutionGateway:
        return await self.gateways.for_account(intent.account_id)

    def _intent(self, leg: Leg, account: ExchangeAccount) -> OrderIntent:
        cid = client_order_id(leg.signal_id, leg.user_id, leg.leg)
        now_ms = epoch_ms(self.clock())
        return OrderIntent(
            client_order_id=cid, signal_id=leg.signal_id, user_id=leg.user_id, account_id=str(account.id),
            leg=leg.leg, role=leg.role, position_id=leg.position_id, mode=account.mode, symbol=leg.symbol,
            side=leg.side, order_type=leg.order_type, amount=leg.amount, price=leg.price, stop_price=leg.stop_price,
            reduce_only=leg.reduce_only, leverage=leg.leverage, margin_mode=leg.margin_mode, emulated=leg.emulated,
            expires_at_ms=leg.expires_at_ms, replaces=leg.replaces,
            history=[Transition(status=OrderStatus.PENDING, at_ms=now_ms, cause=leg.cause)],
            created_at=self.clock(), updated_at_ms=now_ms,
        )

    async def claim(self, leg: Leg, account: ExchangeAccount) -> OrderIntent:
        """The intent for this (signal, user, leg), stored now if it is new."""
        intent = self._intent(leg, account)
        cid = intent.client_order_id
        try:
            return await intent.insert()
        except DuplicateKeyError:
            found = await OrderIntent.find_one(OrderIntent.client_order_id == cid)
            assert found is not None  # noqa: S101 - the unique index just said it exists
            return found

    def request(self, intent: OrderIntent) -> OrderRequest:
        market = intent.order_type == "market" or intent.emulated  # an emulated trigger is sent at market
        limit = intent.price if intent.order_type in ("limit", "stop_limit") and not intent.emulated else None
        return OrderRequest(
            client_order_id=intent.client_order_id, account_id=intent.account_id, symbol=intent.symbol,
            side=intent.side, order_type="market" if market else intent.order_type, amount=intent.amount,
            price=limit, stop_price=None if market else intent.stop_price, reduce_only=intent.reduce_only,
            leverage=intent.leverage, margin_mode=intent.margin_mode,
            ref_price=(intent.price or intent.stop_price) if market else None)

    async def place(self, intent: OrderIntent, replacing: OrderIntent | None = None) -> OrderResult:
        """Send the order once. An intent seen before is first looked up by its client id (never re-sent blind).
        `replacing`: the order it replaces, cancelled in the same venue request where the venue has one."""
        if intent.status is OrderStatus.REJECTED:
            raise OrderRejected(intent.error or "rejected earlier")
        gateway = await self.gateway(intent)
        if len(intent.history) > 1 or intent.status is not OrderStatus.PENDING:
            try:
                found = await gateway.fetch_order(intent.client_order_id, intent.symbol, intent.sent_as)
            except CLASSIFIED as exc:
                raise LookUpFailed(f"{intent.client_order_id} could not be looked up, so it was not sent again "
                                   f"({exc})") from None
            if found is not None:
                return found
        prepared = await self._prepared(gateway, intent)
        changes: dict[str, Any] = {}
        if prepared.amount != intent.amount:
            intent.amount = changes["amount"] = prepared.amount
        if intent.status is OrderStatus.PENDING and not await self._claim_send(intent, gateway.mode, changes):
            raise SentElsewhere(f"{intent.client_order_id} is being sent by another runner")
        async for attempt in AsyncRetrying(retry=retry_if_exception_type(RateLimited), wait=self.backoff,
                                           stop=stop_after_attempt(self.attempts), reraise=True):
            with attempt:
                if replacing is not None:
                    return await gateway.replace_order(replacing.client_order_id, prepared)
                return await gateway.create_order(prepared)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _prepared(self, gateway: ExecutionGateway, intent: OrderIntent) -> OrderRequest:
        """The order rounded to the venue's rules. Nothing has been sent yet, so a venue failure here (a market
        load timing out) is known to have sent nothing: it is NotSent, never an unknown outcome."""
        try:
            return await gateway.prepare(self.request(intent))
        except (OrderOutcomeUnknown, RateLimited) as exc:
            raise NotSent(f"the exchange could not be reached to check the order, so nothing was sent ({exc})"
                          ) from None

    async def submit(self, legs: Sequence[tuple[Leg, ExchangeAccount]]) -> list[Submitted]:
        """Claim and send many new legs at once (one call's orders for many users). Every intent is stored in one
        insert before any venue call: already SUBMITTED with its rounded amount, REJECTED with the reason when
        the venue's rules doom it, or PENDING when it is an emulated trigger (armed, not sent). Then each venue
        gets its orders in one batch. A leg whose intent existed already is not sent: it is returned `seen`,
        for `place` (which looks it up by client id first)."""
        intents: list[OrderIntent] = []
        ready: dict[str, tuple[ExecutionGateway, OrderRequest]] = {}
        refused: dict[str, Exception] = {}
        for leg, account in legs:
            intent = self._intent(leg, account)
            intents.append(intent)
            if intent.emulated:
                continue
            try:
                gateway = await self.gateways.route(account)
                prepared = await self._prepared(gateway, intent)
            except OrderRejected as exc:  # NotSent too: recorded and told, never left unsent and unrecorded
                self.step(intent, OrderStatus.REJECTED, f"rejected: {exc}")
                refused[intent.client_order_id], intent.error = exc, str(exc)
                continue
            intent.amount = prepared.amount
            self.step(intent, OrderStatus.SUBMITTED, "sent to " + gateway.mode)
            ready[intent.client_order_id] = (gateway, prepared)
        stored = await insert_new(OrderIntent, intents, "client_order_id")
        batches: dict[int, tuple[ExecutionGateway, list[OrderRequest]]] = {}
        for cid, (gateway, prepared) in ready.items():
            if cid in stored:
                batches.setdefault(id(gateway), (gateway, []))[1].append(prepared)
        outcomes: dict[str, OrderResult | Exception] = dict(refused)
        for gateway, requests in batches.values():
            for request, outcome in zip(requests, await gateway.create_orders(requests), strict=True):
                outcomes[request.client_order_id] = outcome
        seen = {i.client_order_id: i for i in await OrderIntent.find(
            {"client_order_id": {"$in": [i.client_order_id for i in intents if i.client_order_id not in stored]}}
        ).to_list()} if len(stored) < len(intents) else {}
        return [Submitted(seen[i.client_order_id], None, seen=True) if i.client_order_id in seen
                else Submitted(i, outcomes.get(i.client_order_id)) for i in intents]

    def step(self, intent: OrderIntent, status: OrderStatus, cause: str) -> dict[str, Any]:
        """Move the intent in memory; returns the fields to store."""
        check_transition(intent.status, status)
        now_ms = epoch_ms(self.clock())
        intent.status, intent.updated_at_ms = status, now_ms
        intent.history.append(Transition(status=status, at_ms=now_ms, cause=cause))
        # the whole list is $set: nx-27017 turns sub-documents into strings under $push (see README)
        return {"status": status.value, "updated_at_ms": now_ms,
                "history": [h.model_dump(mode="json") for h in intent.history]}

    async def _claim_send(self, intent: OrderIntent, mode: str, changes: dict[str, Any]) -> bool:
        """PENDING -> SUBMITTED, written only if the stored intent is still PENDING: of two runners of one intent
        (two processes, or a resume beside a live run) exactly one wins and sends it."""
        stored = self.step(intent, OrderStatus.SUBMITTED, "sent to " + mode)
        return await _write_if(intent, {"status": OrderStatus.PENDING.value}, {**stored, **changes})

    async def claim_resend(self, intent: OrderIntent) -> bool:
        """Claim an intent that never landed for sending again: written only if nobody touched it since it was
        read, so of two reconcilers (two processes) one resends it. Its timestamp moves on: a claimer that dies
        before sending leaves it to the pass after the grace period."""
        read_at, intent.updated_at_ms = intent.updated_at_ms, epoch_ms(self.clock())
        return await _write_if(intent, {"updated_at_ms": read_at}, {"updated_at_ms": intent.updated_at_ms})

    async def transition(self, intent: OrderIntent, status: OrderStatus, cause: str, **fields: object) -> bool:
        """Move the intent to `status`, written only if its stored status is still the one this runner read.
        False when another runner (another process) moved it meanwhile: nothing is written and `intent` is
        refreshed from the record, so the caller goes on from what is stored."""
        read = intent.status
        changes = self.step(intent, status, cause)
        if await _write_if(intent, {"status": read.value}, {**changes, **fields}):
            return True
        stored = await OrderIntent.get(intent.id)
        if stored is not None:
            for name in OrderIntent.model_fields:
                setattr(intent, name, getattr(stored, name))
        logger.info("%s was moved to %s by another runner; %s not written", intent.client_order_id,
                    intent.status.value, status.value)
        return False

    async def filled_more(self, intent: OrderIntent, filled: float, average_price: float | None, fee: float) -> None:
        """More of the order filled, its status the same: written only over a smaller filled amount (an older
        report read by another runner never sets it back)."""
        intent.filled, intent.average_price, intent.fee = filled, average_price, fee
        await OrderIntent.get_pymongo_collection().update_one(
            {"_id": intent.id, "filled": {"$lt": filled}},
            {"$set": {"filled": filled, "average_price": average_price, "fee": fee}})

    async def update(self, intent: OrderIntent, **fields: Any) -> None:
        """Change fields that are not a status (e.g. fills counted while the status stays the same)."""
        for name, value in fields.items():
            setattr(intent, name, value)
        await OrderIntent.find_one(OrderIntent.id == intent.id).update({"$set": fields})
