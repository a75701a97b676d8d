"""PaperGateway: a simulated USDT-margined exchange (one-way mode) for the default paper mode.

State (orders keyed by client id, per-account balances and net positions) lives behind `PaperStore`
(MongoDB in the app, see core/services/paper_store.py), so a repeated create returns the first order, exactly
as a real exchange answers a duplicate client id. Market orders fill at the price source (with the slippage
model); resting orders advance on bars (`advance`, called by the monitor) by the rules in `matching`.
Fees follow the fee model (maker for resting limits, taker otherwise); realised P&L and fees move the
quote balance. Reduce-only orders never open or flip a position: they are trimmed to what is left, and
cancelled when nothing is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from core.clock import Clock
from core.domain import Bar, OrderSide, OrderStatus
from core.execution.costs import Costs
from core.execution.gateway import OrderRejected, OrderRequest, OrderResult
from core.execution.matching import Match, Resting, on_bar, on_create
from core.market.prices import PriceSource, PriceUnavailable
from core.market.rules import amount_to_step, minimum_problem, paper_rules, price_to_tick

OPEN_STATES = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


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

    @property
    def remaining(self) -> float:
        return max(0.0, self.request.amount - self.filled)

    def result(self, quote_currency: str) -> OrderResult:
        r = self.request
        return OrderResult(
            client_order_id=r.client_order_id, exchange_order_id="paper-" + r.client_order_id, status=self.status,
            filled=self.filled, average_price=self.cost / self.filled if self.filled else None, fee=self.fee,
            fee_currency=quote_currency, at=self.created_at, price_source=self.price_source, symbol=r.symbol,
            side=r.side, order_type=r.order_type, amount=r.amount, price=r.price, stop_price=r.stop_price,
            reduce_only=r.reduce_only)


@dataclass
class PaperHolding:
    amount: float = 0.0  # signed: > 0 long, < 0 short
    entry_price: float = 0.0
    leverage: float = 1.0


class PaperStore(Protocol):
    async def find(self, client_order_id: str) -> PaperOrderState | None: ...

    async def insert(self, state: PaperOrderState) -> PaperOrderState:
        """Store a new order; if the client id exists already, return the stored one instead."""
        ...

    async def save(self, state: PaperOrderState) -> None: ...

    async def open_orders(self, account_id: str | None, symbol: str | None) -> list[PaperOrderState]: ...

    async def holding(self, account_id: str, symbol: str) -> PaperHolding: ...

    async def settle(self, account_id: str, symbol: str, holding: PaperHolding, cash: dict[str, float],
                     volume: float) -> None:
        """Store the new holding, add `cash` to the balances and `volume` to the traded volume."""
        ...

    async def balances(self, account_id: str) -> tuple[dict[str, float], float, float]:
        """(balances, margin in use by holdings, traded volume)."""
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

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        rules = paper_rules(request.symbol)
        amount = amount_to_step(request.amount, rules)
        price = price_to_tick(request.price, rules) if request.price is not None else None
        stop = price_to_tick(request.stop_price, rules) if request.stop_price is not None else None
        check_price = price or stop or request.ref_price
        if check_price is not None:
            problem = minimum_problem(amount, check_price, rules)
            if problem:
                raise OrderRejected(problem, "minimum")
        elif amount <= 0:
            raise OrderRejected(f"amount {request.amount:g} rounds to 0 at step {rules.amount_step:g}", "minimum")
        return OrderRequest(**{**request.__dict__, "amount": amount, "price": price, "stop_price": stop})

    def _lock(self, account_id: str) -> asyncio.Lock:
        return self._locks.setdefault(account_id, asyncio.Lock())

    async def create_order(self, request: OrderRequest) -> OrderResult:
        existing = await self.store.find(request.client_order_id)
        if existing is not None:
            return existing.result(self.quote_currency)
        now = self.clock()
        try:
            quote = await self.prices.quote(request.symbol, now)
        except PriceUnavailable as exc:
            raise OrderRejected(str(exc)) from None
        async with self._lock(request.account_id):
            await self._check_funds(request, quote.price)
            state = PaperOrderState(request, OrderStatus.OPEN, now,
                                    price_source=f"{quote.source} {quote.at.isoformat()}")
            match = on_create(self._resting(state), quote.price)
            state = await self.store.insert(state)
            if state.filled or state.status is not OrderStatus.OPEN:
                return state.result(self.quote_currency)  # an earlier attempt won the race
            if match is not None:
                await self._fill(state, match)
                await self.store.save(state)
        return state.result(self.quote_currency)

    async def _check_funds(self, request: OrderRequest, price: float) -> None:
        holding = await self.store.holding(request.account_id, request.symbol)
        if request.reduce_only:
            if _signed(request.side, 1) * holding.amount >= 0:
                raise OrderRejected("reduce-only order rejected: there is no position to reduce", "invalid")
            return
        balances, in_use, _ = await self.store.balances(request.account_id)
        reserved = sum(o.remaining * (o.request.price or o.request.stop_price or price) / (o.request.leverage or 1)
                       for o in await self.store.open_orders(request.account_id, None) if not o.request.reduce_only)
        free = balances.get(self.quote_currency, 0.0) - in_use - reserved
        needed = request.amount * (request.price or price) / (request.leverage or 1)
        if needed > free:
            raise OrderRejected(f"insufficient funds: the order needs {needed:,.2f} {self.quote_currency} of margin, "
                                f"{max(free, 0):,.2f} is free", "funds")

    @staticmethod
    def _resting(state: PaperOrderState) -> Resting:
        r = state.request
        return Resting(r.side, r.order_type, state.remaining, r.price, r.stop_price, state.triggered)

    async def _fill(self, state: PaperOrderState, match: Match) -> None:
        r = state.request
        holding = await self.store.holding(r.account_id, r.symbol)
        amount = match.amount
        if r.reduce_only:
            amount = min(amount, abs(holding.amount)) if _signed(r.side, 1) * holding.amount < 0 else 0.0
            if amount <= 0:
                state.status = OrderStatus.CANCELLED if not state.filled else OrderStatus.FILLED
                return
        price = match.price
        if not match.maker:
            price = self.costs.slippage.fill_price(price, r.side, amount * price)
        _, _, volume = await self.store.balances(r.account_id)
        notional = amount * price
        fee = self.costs.fees.fee(notional, maker=match.maker, volume=volume)
        realised = self._apply(holding, _signed(r.side, amount), price, r.leverage)
        state.filled += amount
        state.cost += notional
        state.fee += fee
        remaining = r.amount - state.filled
        trimmed = r.reduce_only and holding.amount == 0 and remaining > 0
        state.status = OrderStatus.FILLED if remaining <= 1e-12 or trimmed else OrderStatus.PARTIALLY_FILLED
        await self.store.settle(r.account_id, r.symbol, holding, {self.quote_currency: realised - fee}, notional)

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
        changed: list[OrderResult] = []
        for state in await self.store.open_orders(None, bar.symbol):
            if bar.ts_ms < state.created_at.timestamp() * 1000 - 60_000:
                continue  # a bar that ended before the order existed
            async with self._lock(state.request.account_id):
                resting = self._resting(state)
                match = on_bar(resting, bar, self.volume_share)
                moved = resting.triggered != state.triggered
                state.triggered = resting.triggered
                if match is not None:
                    await self._fill(state, match)
                    state.price_source = f"bar {datetime.fromtimestamp(bar.ts_ms / 1000, UTC).isoformat()}"
                if match is not None or moved:
                    await self.store.save(state)
                    changed.append(state.result(self.quote_currency))
        return changed

    async def fetch_order(self, client_order_id: str, symbol: str) -> OrderResult | None:
        state = await self.store.find(client_order_id)
        return state.result(self.quote_currency) if state else None

    async def cancel_order(self, client_order_id: str, symbol: str) -> OrderResult | None:
        state = await self.store.find(client_order_id)
        if state is None:
            return None
        async with self._lock(state.request.account_id):
            state = await self.store.find(client_order_id) or state
            if state.status in OPEN_STATES:
                state.status = OrderStatus.CANCELLED
                await self.store.save(state)
        return state.result(self.quote_currency)

    async def open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderResult]:
        return [s.result(self.quote_currency) for s in await self.store.open_orders(account_id, symbol)]

    async def close(self) -> None:
        """Nothing to release: the paper exchange is the database."""

    async def balance(self, account_id: str) -> dict[str, float]:
        balances, in_use, _ = await self.store.balances(account_id)
        free = dict(balances)
        free[self.quote_currency] = free.get(self.quote_currency, 0.0) - in_use
        return free
