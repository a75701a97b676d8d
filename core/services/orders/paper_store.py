"""MongoDB storage for the paper exchange: its orders (unique client id), holdings and account balances. Each
batch (new orders, changed orders, what their fills did) is written in one transaction where the server has
isolated transactions (a replica set), else in order (see `models.bulk.transactions`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from beanie import Document, PydanticObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError

from core.clock import epoch_ms, from_ms
from core.execution.gateway import OrderRequest
from core.execution.paper import OPEN_STATES, Moves, PaperBook, PaperHolding, PaperOrderState, Settle
from models import ExchangeAccount, PaperHoldingDoc, PaperJournal, PaperOrder
from models.bulk import DUPLICATE_KEY, in_transaction, stored_form, update_by_id
from models.query import find_in, one_of

_REQUEST_FIELDS = ("client_order_id", "account_id", "symbol", "side", "order_type", "amount", "price",
                   "stop_price", "reduce_only", "leverage", "margin_mode", "ref_price")


def _state(order: PaperOrder) -> PaperOrderState:
    request = OrderRequest(**{name: getattr(order, name) for name in _REQUEST_FIELDS})
    return PaperOrderState(request=request, status=order.status, created_at=order.created_at, filled=order.filled,
                           cost=order.cost, fee=order.fee, triggered=order.triggered, price_source=order.price_source,
                           filled_at=None if order.filled_at_ms is None else from_ms(order.filled_at_ms))


def _ms(at: datetime | None) -> int | None:
    return epoch_ms(at) if at is not None else None


def _mutable(state: PaperOrderState) -> dict[str, Any]:
    return {"status": state.status.value, "filled": state.filled, "cost": state.cost, "fee": state.fee,
            "triggered": state.triggered, "price_source": state.price_source,
            "filled_at_ms": _ms(state.filled_at)}


async def _accounts(account_ids: Sequence[str], wanted: bool) -> list[ExchangeAccount]:
    ids = [PydanticObjectId(a) for a in account_ids]
    return await ExchangeAccount.find({"_id": {"$in": ids}}).to_list() if wanted else []


class MongoPaperStore:
    def __init__(self) -> None:
        self._pending = False  # a journal entry of this process is not applied yet

    async def find_many(self, client_order_ids: Sequence[str]) -> dict[str, PaperOrderState]:
        orders = await find_in(PaperOrder, {}, "client_order_id", client_order_ids)  # indexed reads, not `$in`
        return {o.client_order_id: _state(o) for o in orders}

    async def write(self, new: Sequence[PaperOrderState], changed: Sequence[PaperOrderState],
                    settle: Settle) -> set[str]:
        if self._pending:
            await self.recover()
        held: set[str] = set()  # client ids found stored already (a repeat): not inserted, not settled
        while True:
            fresh = [s for s in new if s.request.client_order_id not in held]
            try:
                return await in_transaction(PaperOrder, partial(self._write, fresh, changed, settle))
            except BulkWriteError as exc:  # only in a transaction: a repeat aborted it, nothing was written
                if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise
                found = set(await self.find_many([s.request.client_order_id for s in fresh]))
                if not found - held:
                    raise  # a duplicate that cannot be found: not a repeat, do not loop
                held |= found

    async def _write(self, new: Sequence[PaperOrderState], changed: Sequence[PaperOrderState], settle: Settle,
                     session: AsyncClientSession | None) -> set[str]:
        """The batch's writes: in one transaction where the server has them (a repeated client id aborts the
        whole; the caller retries without it), else as one journal entry applied after it is stored (a repeated
        client id is skipped where it stands; the others are stored and settled)."""
        orders = PaperOrder.get_pymongo_collection()
        docs = [PaperOrder(**{name: getattr(s.request, name) for name in _REQUEST_FIELDS}, status=s.status,
                           filled=s.filled, cost=s.cost, fee=s.fee, triggered=s.triggered, price_source=s.price_source,
                           created_at=s.created_at, filled_at_ms=_ms(s.filled_at)) for s in new]
        if session is None:
            return await self._journaled(docs, changed, settle)
        else:
            for doc in docs:
                doc.id = PydanticObjectId()
            if docs:
                await orders.insert_many([stored_form(doc) for doc in docs], session=session)
            stored = {doc.client_order_id for doc in docs}
        for state in changed:  # by client id, one at a time: nx-27017 scans in bulk updates not keyed by _id
            await orders.update_one({"client_order_id": state.request.client_order_id}, {"$set": _mutable(state)},
                                    session=session)
        moves = settle(stored)
        if moves is not None:
            await self._settle(moves, session)
        return stored

    async def _journaled(self, docs: list[PaperOrder], changed: Sequence[PaperOrderState], settle: Settle
                         ) -> set[str]:
        """Without transactions: the whole batch is stored as one journal entry first (the commit point), then
        applied, then dropped; an entry left by a process that died is applied by the next paper call."""
        repeats = set(await self.find_many([d.client_order_id for d in docs])) if docs else set()
        fresh = [d for d in docs if d.client_order_id not in repeats]
        stored = {d.client_order_id for d in fresh}
        moves = settle(stored)
        for doc in fresh:
            doc.id = PydanticObjectId()
        entry = PaperJournal(orders=[stored_form(d) for d in fresh],
                             changed=[{"client_order_id": c.request.client_order_id, "set": _mutable(c)}
                                      for c in changed])
        if moves is not None:
            _journal_moves(entry, moves)
        await entry.insert()
        self._pending = True  # until it is applied: a failure on the way leaves it for the next batch
        await _apply(entry)
        self._pending = False
        return stored

    async def recover(self) -> None:
        """Finish every batch a process left half-applied, in the order they were written (at start-up, and
        before the next batch after one failed on the way)."""
        for entry in await PaperJournal.find_all().sort("_id").to_list():
            await _apply(entry)
        self._pending = False

    async def open_orders(self, account_ids: Sequence[str] | None, symbol: str | None) -> list[PaperOrderState]:
        query: dict[str, Any] = {}
        if account_ids is not None:
            query["account_id"] = one_of(account_ids)
        if symbol is not None:
            query["symbol"] = symbol
        found = await find_in(PaperOrder, query, "status", [s.value for s in OPEN_STATES])
        return [_state(o) for o in sorted(found, key=lambda o: o.created_at)]

    async def book(self, account_ids: Sequence[str], balances: bool = True) -> PaperBook:
        accounts, holdings = await asyncio.gather(_accounts(account_ids, balances),
                                                  PaperHoldingDoc.find({"account_id": one_of(account_ids)}).to_list())
        return PaperBook(holdings={(h.account_id, h.symbol): PaperHolding(h.amount, h.entry_price, h.leverage,
                                                                          str(h.id)) for h in holdings},
                         balances={str(a.id): dict(a.paper_balances) for a in accounts},
                         volume={str(a.id): a.paper_volume for a in accounts})

    @staticmethod
    async def _settle(moves: Moves, session: AsyncClientSession | None) -> None:
        new = [PaperHoldingDoc(account_id=account_id, symbol=symbol, amount=h.amount, entry_price=h.entry_price,
                               leverage=h.leverage) for (account_id, symbol), h in moves.holdings.items()
               if h.ref is None]
        if new:  # the caller holds the accounts' locks: no one else adds them
            await PaperHoldingDoc.get_pymongo_collection().insert_many([stored_form(doc) for doc in new],
                                                                       session=session)
        await update_by_id(PaperHoldingDoc, {
            PydanticObjectId(h.ref): {"$set": {"amount": h.amount, "entry_price": h.entry_price,
                                               "leverage": h.leverage}}
            for h in moves.holdings.values() if h.ref is not None}, session)
        increments = {account_id: {f"paper_balances.{c}": v for c, v in moves.cash.get(account_id, {}).items()}
                      for account_id in set(moves.cash) | set(moves.volume)}
        await update_by_id(ExchangeAccount, {
            PydanticObjectId(account_id): {"$inc": {**inc, "paper_volume": moves.volume.get(account_id, 0.0)}}
            for account_id, inc in sorted(increments.items())}, session)


def _journal_moves(entry: PaperJournal, moves: Moves) -> None:
    entry.new_holdings = [stored_form(PaperHoldingDoc(account_id=account_id, symbol=symbol, amount=h.amount,
                                                      entry_price=h.entry_price, leverage=h.leverage))
                          for (account_id, symbol), h in moves.holdings.items() if h.ref is None]
    entry.holdings = [{"id": h.ref, "set": {"amount": h.amount, "entry_price": h.entry_price, "leverage": h.leverage}}
                      for h in moves.holdings.values() if h.ref is not None]
    entry.cash = [{"account_id": account_id,
                   "inc": {**{f"paper_balances.{c}": v for c, v in moves.cash.get(account_id, {}).items()},
                           "paper_volume": moves.volume.get(account_id, 0.0)}}
                  for account_id in sorted(set(moves.cash) | set(moves.volume))]


async def _apply(entry: PaperJournal) -> None:
    """Apply a journal entry; every step may run again (a crash mid-way) without counting anything twice."""
    orders = PaperOrder.get_pymongo_collection()
    if entry.orders:
        await _insert_missing(PaperOrder, entry.orders)
    for change in entry.changed:
        await orders.update_one({"client_order_id": change["client_order_id"]}, {"$set": change["set"]})
    if entry.new_holdings:
        await _insert_missing(PaperHoldingDoc, entry.new_holdings)
    await update_by_id(PaperHoldingDoc, {PydanticObjectId(h["id"]): {"$set": h["set"]} for h in entry.holdings})
    mark = str(entry.id)
    if entry.cash:
        await ExchangeAccount.get_pymongo_collection().bulk_write([
            UpdateOne({"_id": PydanticObjectId(c["account_id"]), "paper_journal": {"$nin": [mark]}},
                      {"$inc": c["inc"], "$set": {"paper_journal": mark}}) for c in entry.cash], ordered=False)
    await entry.delete()


async def _insert_missing(model: type[Document], docs: list[dict[str, Any]]) -> None:
    try:
        await model.get_pymongo_collection().insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise  # a repeat (applied before the crash) is skipped; anything else is not
