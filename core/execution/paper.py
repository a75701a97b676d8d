"""PaperGateway: a simulated USDT-margined exchange (one-way mode) for the default paper mode.

State (orders keyed by client id, per-account balances and net positions) lives behind `PaperStore`
(MongoDB in the app, see core/services/orders/paper_store.py), so a repeated create returns the first order, exactly
as a real exchange answers a duplicate client id. Market orders fill at the price source (with the slippage
model); resting orders advance on bars (`advance`, called by the monitor) by the rules in `matching`.
Fees follow the fee model (maker for resting limits, taker otherwise); realised P&L and fees move the
quote balance. Reduce-only orders never open or flip a position: they are trimmed to what is left, and
cancelled when nothing is.

Orders are placed in batches (`create_orders`, one signal's orders for many users): the accounts' holdings,
balances and reserved margin are read once into a `PaperBook`, every order is checked and matched against it in
memory, and the new orders and the settlements are written together (`PaperStore.write`: in one transaction
where the database has them, so a crash never leaves a filled order without its holding and balance).
`create_order` is a batch of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from core.clock import Clock, epoch_ms, from_ms
from core.domain import RESTING, Bar, MarketRules, OrderSide, OrderStatus
from core.execution.costs import Costs
from core.execution.gateway import OrderRejected, OrderRequest, OrderResult
from core.execution.matching import Match, Resting, on_bar, on_create
from core.market.prices import PriceSource, PriceUnavailable, Quote
from core.market.rules import amount_to_step, minimum_problem, paper_rules, price_to_tick

OPEN_STATES = RESTING


@dataclass
class PaperOrderState:
    request: OrderRequest
    status: OrderStatus
    created_at: datetime
    filled: float = 0.0
    cost: float = 0.0  # sum of fill amount x price
    fee: float = 0.0
    triggered: bool = False
    price_source: str = ""
    filled_at: datetime | None = None  # when it last filled (the tick or the bar that filled it)

    @property
    def remaining(self) -> float:
        return max(0.0, self.request.amount - self.filled)

    def result(self, quote_currency: str) -> OrderResult:
        r = self.request
        return OrderResult(
            client_order_id=r.client_order_id, exchange_order_id="paper-" + r.client_order_id, status=self.status,
            filled=self.filled, average_price=self.cost / self.filled if self.filled else None, fee=self.fee,
            fee_currency=quote_currency, at=self.filled_at or self.created_at, price_source=self.price_source,
            symbol=r.symbol, side=r.side, order_type=r.order_type, amount=r.amount, price=r.price,
            stop_price=r.stop_price, reduce_only=r.reduce_only)


@dataclass
class PaperHolding:
    amount: float = 0.0  # signed: > 0 long, < 0 short
    entry_price: float = 0.0
    leverage: float = 1.0
    ref: str | None = None  # the stored record's id (None: not stored yet)


@dataclass(frozen=True)
class Settlement:
    """What a fill did to one account: its holding in `symbol` moved by `delta` at `price`, `cash` added to the
    quote balance (realised P&L minus fee), `volume` traded."""

    account_id: str
    symbol: str
    delta: float
    price: float
    leverage: float | None
    cash: float
    volume: float


@dataclass
class PaperBook:
    """Holdings, balances, traded volume and reserved margin of some accounts, as read for one batch."""

    holdings: dict[tuple[str, str], PaperHolding]
    balances: dict[str, dict[str, float]]
    volume: dict[str, float]
    reserved: dict[str, float] = field(default_factory=dict)

    def holding(self, account_id: str, symbol: str) -> PaperHolding:
        return self.holdings.setdefault((account_id, symbol), PaperHolding())

    def in_use(self, account_id: str) -> float:
        return sum(abs(h.amount) * h.entry_price / (h.leverage or 1)
                   for (account, _), h in self.holdings.items() if account == account_id)


@dataclass
class Moves:
    """What a batch's fills do to the store: these holdings as they are now, `cash` added to the accounts'
    balances and `volume` to their traded volume."""

    holdings: dict[tuple[str, str], PaperHolding]
    cash: dict[str, dict[str, float]]
    volume: dict[str, float]


Settle = Callable[[set[str]], Moves | None]  # the moves of the new orders stored (by client id)


class PaperStore(Protocol):
    async def find_many(self, client_order_ids: Sequence[str]) -> dict[str, PaperOrderState]: ...

    async def write(self, new: Sequence[PaperOrderState], changed: Sequence[PaperOrderState],
                    settle: Settle) -> set[str]:
        """Store the `new` orders, the `changed` ones and `settle(stored)` (what their fills did), all or nothing
        where the database has transactions. A new order whose client id is held already is left as it is and
        not settled; returns the client ids of the new orders stored."""
        ...

    async def open_orders(self, account_ids: Sequence[str] | None, symbol: str | None) -> list[PaperOrderState]: ...

    async def recover(self) -> None:
        """Finish what a process that died left half-written (a batch's orders without their settlement)."""
        ...

    async def book(self, account_ids: Sequence[str], balances: bool = True) -> PaperBook:
        """The accounts' holdings (every symbol), and their balances and traded volume unless `balances` is False
        (no reservations)."""
        ...


def _signed(side: OrderSide, amount: float) -> float:
    return amount if side is OrderSide.BUY else -amount


@dataclass
class PaperGateway:
    prices: PriceSource
    store: PaperStore
    clock: Clock
    costs: Costs = field(default_factory=Costs)
    quote_currency: str = "USDT"
    volume_share: float = 0.1  # at most this share of a bar's volume fills one order
    mode: str = "paper"
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)

    def supports(self, order_type: str) -> bool:
        return order_type in ("market", "limit", "stop_market", "stop_limit", "take_profit")

    def holds_coins(self) -> bool:
        return False  # the paper exchange trades like perpetuals: reduce-only orders hold nothing

    def stop_limit_gap(self) -> float | None:
        return None

    async def rules(self, symbol: str) -> MarketRules:
        return paper_rules(symbol)

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        rules = paper_rules(request.symbol)
        amount = amount_to_step(request.amount, rules)
        price = price_to_tick(request.price, rules) if request.price is not None else None
        stop = price_to_tick(request.stop_price, rules) if request.stop_price is not None else None
        check_price = price or stop or request.ref_price
        if check_price is not None:
            problem = minimum_problem(amount, check_price, rules, reduce_only=request.reduce_only)
            if problem:
                raise OrderRejected(problem, "minimum")
        elif amount <= 0:
            raise OrderRejected(f"amount {request.amount:g} rounds to 0 at step {rules.amount_step:g}", "minimum")
        return OrderRequest(**{**request.__dict__, "amount": amount, "price": price, "stop_price": stop})

    @asynccontextmanager
    async def _locked(self, account_ids: Sequence[str]) -> AsyncIterator[None]:
        """Hold the accounts' locks (taken in sorted order, so two batches never wait on each other in a cycle)."""
        async with AsyncExitStack() as stack:
            for account_id in sorted(set(account_ids)):
                await stack.enter_async_context(self._locks.setdefault(account_id, asyncio.Lock()))
            yield

    async def _book(self, account_ids: Sequence[str], funds: bool = True) -> PaperBook:
        book, resting = await asyncio.gather(self.store.book(account_ids, funds),
                                             self._resting_orders(account_ids, funds))
        for order in resting:
            if not order.request.reduce_only:
                r = order.request
                book.reserved[r.account_id] = book.reserved.get(r.account_id, 0.0) + self._margin(r, order.remaining)
        return book

    async def _resting_orders(self, account_ids: Sequence[str], wanted: bool) -> list[PaperOrderState]:
        return await self.store.open_orders(account_ids, None) if wanted else []

    @staticmethod
    def _margin(request: OrderRequest, amount: float, price: float | None = None) -> float:
        return amount * (request.price or request.stop_price or price or 0.0) / (request.leverage or 1)

    async def create_order(self, request: OrderRequest) -> OrderResult:
        [result] = await self.create_orders([request])
        if isinstance(result, Exception):
            raise result
        return result

    async def replace_order(self, replaced: str, request: OrderRequest) -> OrderResult:
        await self.cancel_order(replaced, request.symbol, request.order_type)
        return await self.create_order(request)

    async def create_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult | Exception]:
        """Place a batch of orders: one result (or the reason it was refused) per request, in order. A client id
        the exchange has seen already answers with that order (found by the unique index on insert)."""
        out: dict[str, OrderResult | Exception] = {}
        now = self.clock()
        quotes: dict[str, Quote | Exception] = {}
        for symbol in sorted({r.symbol for r in requests}):
            try:
                quotes[symbol] = await self.prices.quote(symbol, now)
            except PriceUnavailable as exc:
                quotes[symbol] = OrderRejected(str(exc))
        accounts = sorted({r.account_id for r in requests})
        async with self._locked(accounts):
            # only orders that may open or fill at once need balances and reservations; stops and targets do not
            funds = any(not r.reduce_only or r.order_type in ("market", "limit") for r in requests)
            book = await self._book(accounts, funds)
            before = {key: replace(h) for key, h in book.holdings.items()}
            states: list[PaperOrderState] = []
            moves: dict[str, list[Settlement]] = {}
            for request in requests:
                quote = quotes[request.symbol]
                try:
                    if isinstance(quote, Exception):
                        raise quote
                    state, moved = self._open(request, quote, book, now)
                except OrderRejected as exc:
                    out[request.client_order_id] = exc
                    continue
                states.append(state)
                moves[request.client_order_id] = moved
            stored = await self.store.write(
                states, [], lambda ids: self._settlement(before, [m for cid in ids for m in moves[cid]]))
            out.update({s.request.client_order_id: s.result(self.quote_currency) for s in states})
            # a client id stored before (a repeat, or a race) answers with that order, not with this attempt
            repeats = [r.client_order_id for r in requests if r.client_order_id not in stored]
            out.update({cid: s.result(self.quote_currency) for cid, s in (await self.store.find_many(repeats)).items()}
                       if repeats else {})
        return [out[r.client_order_id] for r in requests]

    def _open(self, request: OrderRequest, quote: Quote, book: PaperBook,
              now: datetime) -> tuple[PaperOrderState, list[Settlement]]:
        """Check one new order against the book, match it at the quote; the book moves with it."""
        self._check_funds(request, quote.price, book)
        state = PaperOrderState(request, OrderStatus.OPEN, now, price_source=f"{quote.source} {quote.at.isoformat()}")
        match = on_create(self._resting(state), quote.price)
        if match is None:
            if not request.reduce_only:
                reserved = book.reserved.get(request.account_id, 0.0) + self._margin(request, request.amount)
                book.reserved[request.account_id] = reserved
            return state, []
        return state, [self._fill(state, match, book, now)]

    def _check_funds(self, request: OrderRequest, price: float, book: PaperBook) -> None:
        holding = book.holding(request.account_id, request.symbol)
        if request.reduce_only:
            if _signed(request.side, 1) * holding.amount >= 0:
                raise OrderRejected("reduce-only order rejected: there is no position to reduce", "invalid")
            return
        balance = book.balances.get(request.account_id, {}).get(self.quote_currency, 0.0)
        free = balance - book.in_use(request.account_id) - book.reserved.get(request.account_id, 0.0)
        needed = self._margin(request, request.amount, price)
        if needed > free:
            raise OrderRejected(f"insufficient funds: the order needs {needed:,.2f} {self.quote_currency} of margin, "
                                f"{max(free, 0):,.2f} is free", "funds")

    @staticmethod
    def _resting(state: PaperOrderState) -> Resting:
        r = state.request
        return Resting(r.side, r.order_type, state.remaining, r.price, r.stop_price, state.triggered)

    def _fill(self, state: PaperOrderState, match: Match, book: PaperBook, at: datetime) -> Settlement:
        r = state.request
        state.filled_at = at
        holding = book.holding(r.account_id, r.symbol)
        amount = match.amount
        if r.reduce_only:
            amount = min(amount, abs(holding.amount)) if _signed(r.side, 1) * holding.amount < 0 else 0.0
            if amount <= 0:
                state.status = OrderStatus.CANCELLED if not state.filled else OrderStatus.FILLED
                return Settlement(r.account_id, r.symbol, 0.0, match.price, r.leverage, 0.0, 0.0)
        price = match.price
        if not match.maker:
            price = self.costs.slippage.fill_price(price, r.side, amount * price)
        notional = amount * price
        fee = self.costs.fees.fee(notional, maker=match.maker, volume=book.volume.get(r.account_id, 0.0))
        realised = self._apply(holding, _signed(r.side, amount), price, r.leverage)
        state.filled += amount
        state.cost += notional
        state.fee += fee
        remaining = r.amount - state.filled
        trimmed = r.reduce_only and holding.amount == 0 and remaining > 0
        state.status = OrderStatus.FILLED if remaining <= 1e-12 or trimmed else OrderStatus.PARTIALLY_FILLED
        cash = realised - fee
        balances = book.balances.setdefault(r.account_id, {})
        balances[self.quote_currency] = balances.get(self.quote_currency, 0.0) + cash
        book.volume[r.account_id] = book.volume.get(r.account_id, 0.0) + notional
        return Settlement(r.account_id, r.symbol, _signed(r.side, amount), price, r.leverage, cash, notional)

    def _settlement(self, before: dict[tuple[str, str], PaperHolding], moves: list[Settlement]) -> Moves | None:
        """What these fills did, replayed on the holdings as read (so only stored orders count)."""
        holdings: dict[tuple[str, str], PaperHolding] = {}
        cash: dict[str, dict[str, float]] = {}
        volume: dict[str, float] = {}
        for move in moves:
            key = (move.account_id, move.symbol)
            holding = holdings.setdefault(key, replace(before.get(key, PaperHolding())))
            self._apply(holding, move.delta, move.price, move.leverage)
            account = cash.setdefault(move.account_id, {})
            account[self.quote_currency] = account.get(self.quote_currency, 0.0) + move.cash
            volume[move.account_id] = volume.get(move.account_id, 0.0) + move.volume
        return Moves(holdings, cash, volume) if holdings else None

    @staticmethod
    def _apply(holding: PaperHolding, delta: float, price: float, leverage: float | None) -> float:
        """Move the holding by `delta` at `price`; returns the realised P&L of any reduced part."""
        realised = 0.0
        if holding.amount and (holding.amount > 0) != (delta > 0):
            closed = min(abs(delta), abs(holding.amount))
            realised = closed * (price - holding.entry_price) * (1 if holding.amount > 0 else -1)
            holding.amount += closed if holding.amount < 0 else -closed
            delta += closed if delta < 0 else -closed
        if delta:
            total = holding.amount + delta
            holding.entry_price = (holding.amount * holding.entry_price + delta * price) / total
            holding.amount = total
            holding.leverage = leverage or holding.leverage
        if abs(holding.amount) < 1e-12:
            holding.amount, holding.entry_price = 0.0, 0.0
        return realised

    async def advance(self, bar: Bar) -> list[OrderResult]:
        """Run the symbol's resting orders through one bar; returns the orders that changed."""
        states = [s for s in await self.store.open_orders(None, bar.symbol)
                  if bar.ts_ms >= epoch_ms(s.created_at)]  # an order fills only on what traded after it was placed
        accounts = sorted({s.request.account_id for s in states})
        changed: list[PaperOrderState] = []
        async with self._locked(accounts):
            book = await self.store.book(accounts) if states else PaperBook({}, {}, {})
            before = {key: replace(h) for key, h in book.holdings.items()}
            moves: list[Settlement] = []
            for state in states:
                resting = self._resting(state)
                match = on_bar(resting, bar, self.volume_share)
                moved = resting.triggered != state.triggered
                state.triggered = resting.triggered
                if match is not None:
                    bar_at = from_ms(bar.ts_ms)
                    moves.append(self._fill(state, match, book, max(bar_at, state.created_at)))
                    state.price_source = f"bar {bar_at.isoformat()}"
                if match is not None or moved:
                    changed.append(state)
            await self.store.write([], changed, lambda _: self._settlement(before, moves))
        return [state.result(self.quote_currency) for state in changed]

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                          ) -> OrderResult | None:
        state = (await self.store.find_many([client_order_id])).get(client_order_id)
        return state.result(self.quote_currency) if state else None

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                           ) -> OrderResult | None:
        state = (await self.store.find_many([client_order_id])).get(client_order_id)
        if state is None:
            return None
        async with self._locked([state.request.account_id]):
            state = (await self.store.find_many([client_order_id])).get(client_order_id) or state
            if state.status in OPEN_STATES:
                state.status = OrderStatus.CANCELLED
                await self.store.write([], [state], lambda _: None)
        return state.result(self.quote_currency)

    async def open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderResult]:
        return [s.result(self.quote_currency) for s in await self.store.open_orders([account_id], symbol)]

    async def close(self) -> None:
        """Nothing to release: the paper exchange is the database."""

    async def balance(self, account_id: str) -> dict[str, float]:
        book = await self.store.book([account_id])
        free = dict(book.balances.get(account_id, {}))
        free[self.quote_currency] = free.get(self.quote_currency, 0.0) - book.in_use(account_id)
        return free
