"""CcxtGateway: a real exchange account through ccxt.async_support (the only module that imports ccxt for
orders). Testnet through `set_sandbox_mode`; live only for an account that opted in (checked by the router).

Before any send, `prepare` rounds with the market's own precision (amount down to the step, price to the
tick) and checks the minimum amount and notional: a doomed order is refused here with a reason, not sent.
Every ccxt error is mapped to the engine's three outcomes by `mapped` (final / rate limited / unknown).

What each venue does its own way is data (`core.execution.venue_ways`): market and limit orders rest
everywhere; on Binance USDT-M futures and Bybit USDT perpetuals also the stop-loss and take-profit (reduce-only
conditional market orders). Binance keeps those apart (its algo-order API): a held conditional order is found
and cancelled by its client id there, and once it triggers, the market order it placed (under the exchange's own
ids) is read and reported under ours. On Bybit a conditional order stays the same order when it fires, answers
to a create or cancel name the order only (its state is read after), and an order is found by client id in the
open, then the closed orders. Types a venue does not hold are emulated by the engine's monitor (fired as
reduce-only market orders).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import ccxt.async_support as ccxt

from core.domain import MarketRules, OrderSide, OrderStatus
from core.execution.ccxt_client import (
    AlreadySet,
    DuplicateClientId,
    fees_of,
    make_exchange,
    mapped,
    order_result,
    replace_outcome,
    short,
)
from core.execution.gateway import (
    CLASSIFIED,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderRequest,
    OrderResult,
)
from core.execution.venue_ways import CONDITIONAL, stop_limit, ways_of

logger = logging.getLogger(__name__)
_TRIGGERED = ("TRIGGERED", "FINISHED")  # Binance algoStatus once the conditional order placed its market order


class CcxtGateway:
    def __init__(self, exchange: Any, *, mode: str, futures: bool = False, quote: str = "USDT") -> None:
        self.exchange = exchange
        self.mode = mode
        self.futures = futures
        self.quote = quote
        self._configured: set[str] = set()
        self._hedge_mode: bool | None = None
        self.ways = ways_of(exchange.id, futures)

    @classmethod
    def build(cls, exchange_id: str, *, api_key: str, secret: str, mode: str, futures: bool = False,
              base_url: str | None = None, rate_limit_ms: float | None = None,
              passphrase: str | None = None) -> CcxtGateway:
        phrase = {"password": passphrase} if passphrase else {}  # OKX's passphrase is ccxt's `password`
        exchange = make_exchange(exchange_id, futures=futures, base_url=base_url, rate_limit_ms=rate_limit_ms,
                                 sandbox=mode == "testnet", apiKey=api_key, secret=secret, **phrase,
                                 options={"warnOnFetchOpenOrdersWithoutSymbol": False})
        return cls(exchange, mode=mode, futures=futures)

    async def close(self) -> None:
        await self.exchange.close()

    def supports(self, order_type: str) -> bool:
        return order_type in self.ways.held

    def holds_coins(self) -> bool:
        return self.ways.holds_coins

    def stop_limit_gap(self) -> float | None:
        return self.ways.stop_limit_gap

    def _held_trigger(self, order_type: str | None) -> bool:
        """A stop or target the venue holds as a conditional order."""
        return order_type in CONDITIONAL and self.supports(order_type)

    def _conditional(self, order_type: str | None) -> bool:
        """A held conditional order that is looked up, cancelled and listed apart from the plain ones."""
        return self.ways.conditional_apart and self._held_trigger(order_type)

    def _symbol(self, symbol: str) -> str:
        return f"{symbol}:{self.quote}" if self.futures and ":" not in symbol else symbol

    async def _market(self, symbol: str) -> dict[str, Any]:
        async with mapped("load markets"):
            await self.exchange.load_markets()
        try:
            market: dict[str, Any] = self.exchange.market(self._symbol(symbol))
        except ccxt.BadSymbol:
            raise OrderRejected(f"{symbol} is not traded on {self.exchange.id}", "invalid") from None
        return market

    async def _coin_market(self, symbol: str) -> dict[str, Any]:
        """The market, if its amounts are coins. Where a venue counts a market in contracts worth another amount
        (OKX: one BTC-USDT-SWAP contract is 0.01 BTC), ccxt's amounts are contracts while Signalcord sizes, books
        and prices positions in coins: such a market is refused with the reason, never traded at the wrong size."""
        market = await self._market(symbol)
        size = market.get("contractSize")
        if market.get("contract") and size is not None and abs(float(size) - 1.0) > 1e-12:
            base = market.get("base") or symbol.split("/")[0]
            raise OrderRejected(f"{self.exchange.id} counts {symbol} in contracts of {float(size):g} {base}; "
                                "Signalcord sizes orders in coins and does not trade such markets yet", "unsupported")
        return market

    async def rules(self, symbol: str) -> MarketRules:
        """The market's step, tick and minimums as ccxt loaded them (a step under TICK_SIZE precision, a number
        of decimals otherwise)."""
        market = await self._coin_market(symbol)
        precision, limits = market.get("precision") or {}, market.get("limits") or {}

        def step(value: float | None) -> float:
            if value is None:
                return 1e-8
            return float(value) if self.exchange.precisionMode == ccxt.TICK_SIZE else 10.0 ** -int(value)

        return MarketRules(amount_step=step(precision.get("amount")), price_tick=step(precision.get("price")),
                           min_amount=float((limits.get("amount") or {}).get("min") or 0.0),
                           min_notional=float((limits.get("cost") or {}).get("min") or 0.0))

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        market = await self._coin_market(request.symbol)
        symbol = market["symbol"]
        try:
            amount = float(self.exchange.amount_to_precision(symbol, request.amount))
        except ccxt.InvalidOrder:
            raise OrderRejected(f"amount {request.amount:g} rounds to 0 at {symbol}'s step", "minimum") from None
        price = float(self.exchange.price_to_precision(symbol, request.price)) if request.price else None
        stop = float(self.exchange.price_to_precision(symbol, request.stop_price)) if request.stop_price else None
        limits = market.get("limits", {})
        min_amount = (limits.get("amount") or {}).get("min") or 0.0
        min_cost = (limits.get("cost") or {}).get("min") or 0.0
        if amount < min_amount:
            raise OrderRejected(f"amount {amount:g} is below the exchange minimum {min_amount:g}", "minimum")
        check_price = price or request.ref_price
        exempt = request.reduce_only and self.futures  # spot's minimum notional applies to every order
        if check_price is not None and amount * check_price < min_cost and not exempt:
            raise OrderRejected(f"order value {amount * check_price:.2f} is below the exchange minimum "
                                f"{min_cost:g}", "minimum")
        return OrderRequest(**{**request.__dict__, "amount": amount, "price": price, "stop_price": stop})

    async def _configure_futures(self, request: OrderRequest, symbol: str) -> dict[str, Any]:
        """Leverage and margin mode before an opening order; the position-mode params every order needs."""
        params: dict[str, Any] = {}
        if self._hedge_mode is None:
            self._hedge_mode = await self._read_hedge_mode(symbol)
        key = f"{symbol}|{request.leverage}|{request.margin_mode}"
        if not request.reduce_only and key not in self._configured:
            if request.margin_mode and self.ways.margin_per_symbol:
                try:
                    async with mapped("set margin mode"):
                        await self.exchange.set_margin_mode(request.margin_mode, symbol)
                except AlreadySet:
                    pass  # e.g. after a restart: the symbol is already in this mode (Binance -4046)
            if request.leverage:
                try:
                    async with mapped("set leverage"):
                        await self.exchange.set_leverage(int(request.leverage), symbol)
                except AlreadySet:
                    pass  # the symbol already has this leverage (Bybit 110043)
            self._configured.add(key)
        if self._hedge_mode and self.ways.hedge_by == "hedged":
            params["hedged"] = True  # ccxt names the side of the book from the side and reduce-only
            if request.reduce_only:
                params["reduceOnly"] = True
        elif self._hedge_mode:  # hedge mode: the side of the book instead of reduce-only
            opening_long = (request.side is OrderSide.BUY) != request.reduce_only
            params["positionSide"] = "LONG" if opening_long else "SHORT"
        elif request.reduce_only:
            params["reduceOnly"] = True
        return params

    async def _read_hedge_mode(self, symbol: str) -> bool:
        async with mapped("read position mode"):
            if self.ways.position_mode == "fetch":
                return bool((await self.exchange.fetch_position_mode(symbol)).get("hedged"))
            positions = await self.exchange.fetch_positions([symbol])  # one per side of the book in hedge mode
        return any(p.get("hedged") for p in positions)

    async def create_order(self, request: OrderRequest) -> OrderResult:
        if not self.supports(request.order_type):
            raise OrderRejected(f"{request.order_type} orders are not held on {self.exchange.id}", "unsupported")
        market = await self._coin_market(request.symbol)
        symbol = market["symbol"]
        kind, price, params = self._shape(request, symbol)
        if self.futures:
            params |= await self._configure_futures(request, symbol)
        try:
            async with mapped("create order"):
                order = await self.exchange.create_order(symbol, kind, request.side.value, request.amount, price,
                                                         params)
        except DuplicateClientId:  # the order is there: if it cannot be read now, its outcome is unknown
            try:
                found = await self.fetch_order(request.client_order_id, request.symbol, request.order_type)
            except CLASSIFIED as exc:
                raise OrderOutcomeUnknown(f"the exchange already has an order under this id; reading it failed "
                                          f"({exc})") from None
            if found is None:
                raise OrderOutcomeUnknown("the exchange reported a duplicate id but has no such order") from None
            return found
        if self._held_trigger(request.order_type):
            return self._result(order, request.client_order_id)  # resting: nothing filled yet
        if not self.ways.full_answers:
            return await self._read_after(order, request)
        return await self._report(order, request.client_order_id, symbol)

    def _shape(self, request: OrderRequest, symbol: str) -> tuple[str, float | None, dict[str, Any]]:
        """The ccxt order type, price and params of a request. A held stop or target is a market order the venue
        places when its trigger trades, or a limit order where the venue holds stops only as stop-limits."""
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        kind, price = request.order_type, request.price
        if self._held_trigger(kind):
            params[CONDITIONAL[kind]], kind, price = request.stop_price, "market", None
            if self.ways.stop_limit_gap is not None:
                kind, price = "limit", self._stop_limit(symbol, request)
        return kind, price, params

    async def replace_order(self, replaced: str, request: OrderRequest) -> OrderResult:
        """Cancel the order `replaced` (our client id) and place `request`, in one request where the venue has one
        (Binance spot's cancel-replace: the old stop frees its coins for the new one inside the exchange, and the
        new one is placed even when the old one is no longer open); elsewhere a cancel, then a create."""
        if not self.ways.cancel_replace:
            await self.cancel_order(replaced, request.symbol, request.order_type)
            return await self.create_order(request)
        market = await self._coin_market(request.symbol)
        symbol = market["symbol"]
        kind, price, params = self._shape(request, symbol)
        trigger = {"triggerPrice": params.pop(CONDITIONAL[request.order_type])} if self._held_trigger(
            request.order_type) else {}
        params |= trigger | {"cancelOrigClientOrderId": replaced, "cancelReplaceMode": "ALLOW_FAILURE"}
        async with mapped("replace order"):
            payload = self.exchange.edit_spot_order_request(None, symbol, kind, request.side.value, request.amount,
                                                            price, params)
            try:
                answer = await self.exchange.privatePostOrderCancelReplace(payload)
            except ccxt.BaseError as exc:
                answer = replace_outcome(exc)  # one or both failed: what each did is in the answer
            new = answer.get("newOrderResponse") or {}
            if answer.get("newOrderResult") != "SUCCESS":  # refused as a create would have been
                self.exchange.handle_errors(400, "", "", "POST", {}, json.dumps(new), new, {}, {})
                raise ccxt.ExchangeError(f"the replacement was not placed: {new}")
        return await self._report(self.exchange.parse_order(new, market), request.client_order_id, symbol)

    def _stop_limit(self, symbol: str, request: OrderRequest) -> float:
        """The limit of a stop held as a stop-limit: `stop_limit_gap` past the trigger, away from the market."""
        limit = stop_limit(request.side, request.stop_price or 0.0, self.ways.stop_limit_gap or 0.0)
        return float(self.exchange.price_to_precision(symbol, limit))

    async def _read_after(self, answer: dict[str, Any], request: OrderRequest) -> OrderResult:
        """The state of an order the venue's answer only named. If it cannot be read now the order is there all
        the same: it is reported working, and the monitor reads it by its client id."""
        try:
            found = await self.fetch_order(request.client_order_id, request.symbol, request.order_type)
        except CLASSIFIED as exc:
            logger.warning("order %s placed; its state is read later (%s)", request.client_order_id, exc)
            found = None
        return found or replace(self._result(answer, request.client_order_id), status=OrderStatus.OPEN)

    async def create_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult | Exception]:
        """One after the other: they share this account's connection and its rate limiter."""
        results: list[OrderResult | Exception] = []
        for request in requests:
            try:
                results.append(await self.create_order(request))
            except CLASSIFIED as exc:
                results.append(exc)
        return results

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                          ) -> OrderResult | None:
        """The order under this client id. A conditional type is looked up among the venue's conditional
        orders; with no type given (an id found without its record) the plain orders are asked first."""
        market = await self._market(symbol)
        conditional = self._conditional(order_type)
        found = await self._fetch(client_order_id, market["symbol"], conditional)
        if found is None and order_type is None and self._conditional("stop_market"):
            conditional = True
            found = await self._fetch(client_order_id, market["symbol"], conditional)
        if found is None:
            return None
        if conditional:
            return await self._triggered(found, client_order_id, market["symbol"])
        return await self._report(found, client_order_id, market["symbol"])

    async def _fetch(self, client_order_id: str, symbol: str, conditional: bool) -> dict[str, Any] | None:
        if self.ways.lookup_by_lists:
            return await self._fetch_from_lists(client_order_id, symbol)
        params: dict[str, Any] = {"clientOrderId": client_order_id} | ({"trigger": True} if conditional else {})
        try:
            async with mapped("fetch order"):
                order: dict[str, Any] = await self.exchange.fetch_order(None, symbol, params)
        except OrderRejected as exc:
            if "does not exist" in str(exc).lower() or "unknown order" in str(exc).lower():
                return None
            raise
        return order

    async def _fetch_from_lists(self, client_order_id: str, symbol: str) -> dict[str, Any] | None:
        query = {self.ways.id_param: client_order_id}
        async with mapped("fetch order"):
            found = await self.exchange.fetch_open_orders(symbol, params=query)
            if not found:
                found = await self.exchange.fetch_canceled_and_closed_orders(symbol, params=query)
        return found[0] if found else None

    async def _triggered(self, algo: dict[str, Any], client_order_id: str, symbol: str) -> OrderResult:
        """A conditional order as the engine sees it: resting, cancelled, or — once it triggered — the market
        order it placed, read by that order's id and reported under our client id."""
        info = algo.get("info") or {}
        actual = str(info.get("actualOrderId") or "")
        if info.get("algoStatus") not in _TRIGGERED:
            return self._result(algo, client_order_id)
        if not actual:  # triggered, its market order not placed yet: still working
            return replace(self._result(algo, client_order_id), status=OrderStatus.OPEN)
        async with mapped("fetch triggered order"):
            order = await self.exchange.fetch_order(actual, symbol)
        return replace(await self._report(order, client_order_id, symbol), client_order_id=client_order_id)

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None
                           ) -> OrderResult | None:
        market = await self._market(symbol)
        conditional = self._conditional(order_type)
        params: dict[str, Any] = {self.ways.id_param: client_order_id} | ({"trigger": True} if conditional else {})
        try:
            async with mapped("cancel order"):
                order = await self.exchange.cancel_order(None, market["symbol"], params)
        except (OrderRejected, OrderOutcomeUnknown):
            return await self.fetch_order(client_order_id, symbol, order_type)  # filled or never there: say which
        if conditional or not self.ways.full_answers:  # the answer names the order only: read what it is now
            return await self.fetch_order(client_order_id, symbol, order_type)
        return await self._report(order, client_order_id, market["symbol"])

    async def open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderResult]:
        await self._market(symbol or "BTC/USDT")
        # without a symbol ccxt cannot tell the market type from it: name it (binance would default to spot)
        params: dict[str, Any] = {"type": "future" if self.futures else "spot"}
        lists = [params] + ([params | {"trigger": True}] if self._conditional("stop_market") else [])
        orders: list[dict[str, Any]] = []
        for query in lists:
            async with mapped("fetch open orders"):
                orders += await self.exchange.fetch_open_orders(self._symbol(symbol) if symbol else None,
                                                                params=query)
        return [self._result(o, o.get("clientOrderId") or "") for o in orders]

    async def balance(self, account_id: str) -> dict[str, float]:
        async with mapped("fetch balance"):
            balances = await self.exchange.fetch_balance()
        return {currency: float(value) for currency, value in (balances.get("free") or {}).items()
                if value is not None}

    async def _report(self, order: dict[str, Any], client_order_id: str, symbol: str) -> OrderResult:
        """The order as the engine sees it. An order answer with fills but no fee (Binance futures always, spot
        once the order is fetched later) gets its fee from the order's trades; when they cannot be read the fee
        stays 0 and a warning is logged (the order's outcome is known either way)."""
        result = self._result(order, client_order_id)
        if result.filled <= 0 or any(f.get("cost") is not None for f in fees_of(order)):
            return result
        try:
            trades = await self._order_trades(str(order.get("id")), symbol)
        except ccxt.BaseError as exc:
            logger.warning("fee of order %s unknown: its trades could not be read (%s)", client_order_id, short(exc))
            return result
        fees = [t["fee"] for t in trades if t.get("fee") and t["fee"].get("cost") is not None]
        if not fees:
            return result
        currency = fees[0].get("currency") or self.quote
        if any((f.get("currency") or self.quote) != currency for f in fees):
            logger.warning("fees of order %s are in several currencies; only %s is counted", client_order_id, currency)
        fee = sum(float(f["cost"]) for f in fees if (f.get("currency") or self.quote) == currency)
        return replace(result, fee=fee, fee_currency=currency)

    async def _order_trades(self, order_id: str, symbol: str) -> list[dict[str, Any]]:
        """The trades that filled one order (ccxt's fetchOrderTrades, or its trade list filtered by order id
        where that is spot-only, as on Binance futures)."""
        try:
            trades: list[dict[str, Any]] = await self.exchange.fetch_order_trades(order_id, symbol)
        except ccxt.NotSupported:
            trades = await self.exchange.fetch_my_trades(symbol, None, None, {"orderId": order_id})
        return [t for t in trades if str(t.get("order")) == order_id]

    def _result(self, order: dict[str, Any], client_order_id: str) -> OrderResult:
        return order_result(order, client_order_id, self.quote, self.exchange.id)
