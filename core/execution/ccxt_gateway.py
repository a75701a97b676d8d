"""CcxtGateway: a real exchange account through ccxt.async_support (the only module that imports ccxt for
orders). Testnet through `set_sandbox_mode`; live only for an account that opted in (checked by the router).

Before any send, `prepare` rounds with the market's own precision (amount down to the step, price to the
tick) and checks the minimum amount and notional: a doomed order is refused here with a reason, not sent.
Every ccxt error is mapped to the engine's three outcomes by `_mapped` (final / rate limited / unknown).
On exchange: market and limit orders. Stops and take-profits are emulated by the engine's monitor (fired as
reduce-only market orders), so the same protective logic runs on spot and futures.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import ccxt.async_support as ccxt

from core.clock import from_ms
from core.domain import MarketRules, OrderSide, OrderStatus
from core.execution.gateway import (
    CLASSIFIED,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderRequest,
    OrderResult,
    RateLimited,
)

logger = logging.getLogger(__name__)
_STATUS = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELLED, "cancelled": OrderStatus.CANCELLED,
           "expired": OrderStatus.EXPIRED, "rejected": OrderStatus.REJECTED}


class DuplicateClientId(Exception):
    """The exchange already has an order with this client id: the earlier attempt landed."""


class _AlreadySet(Exception):
    """A setting call found the setting already in place (ccxt NoChange)."""


@asynccontextmanager
async def _mapped(action: str) -> AsyncIterator[None]:
    """Translate ccxt's exceptions into the engine's outcome classes (see core.execution.gateway)."""
    try:
        yield
    except ccxt.NoChange as exc:  # "already set": the state asked for is the state there
        raise _AlreadySet(str(exc)) from None
    except ccxt.DuplicateOrderId as exc:
        raise DuplicateClientId(str(exc)) from None
    except ccxt.InsufficientFunds as exc:
        raise OrderRejected(f"insufficient funds on the exchange ({_short(exc)})", "funds") from None
    except ccxt.AuthenticationError as exc:
        raise OrderRejected(f"the exchange refused the API key ({_short(exc)})", "auth") from None
    except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
        raise RateLimited(f"{action}: rate limited ({_short(exc)})") from None
    except ccxt.OrderImmediatelyFillable as exc:
        raise OrderRejected(f"the trigger would fire immediately ({_short(exc)})", "triggered") from None
    except ccxt.InvalidOrder as exc:
        if "duplicate" in str(exc).lower():
            raise DuplicateClientId(str(exc)) from None
        raise OrderRejected(f"the exchange refused the order ({_short(exc)})", "invalid") from None
    except (ccxt.BadRequest, ccxt.BadSymbol, ccxt.NotSupported) as exc:
        raise OrderRejected(f"the exchange refused the request ({_short(exc)})", "invalid") from None
    except ccxt.OperationFailed as exc:  # NetworkError, RequestTimeout, ExchangeNotAvailable, ...
        raise OrderOutcomeUnknown(f"{action}: {type(exc).__name__} ({_short(exc)})") from None
    except ccxt.ExchangeError as exc:
        if "insufficient" in str(exc).lower():  # e.g. Binance futures -2019, which ccxt leaves unclassified
            raise OrderRejected(f"insufficient funds on the exchange ({_short(exc)})", "funds") from None
        # an error we cannot classify: assume it may have landed
        raise OrderOutcomeUnknown(f"{action}: {type(exc).__name__} ({_short(exc)})") from None


def _fees(order: dict[str, Any]) -> list[dict[str, Any]]:
    fees: list[dict[str, Any]] = order.get("fees") or ([order["fee"]] if order.get("fee") else [])
    return fees


def _short(exc: BaseException) -> str:
    return re.sub(r"\s+", " ", str(exc))[:160]


def point_at(exchange: Any, base_url: str) -> Any:
    """Send every API section to `base_url` (a local fake exchange in tests), keeping the paths."""
    exchange.urls["api"] = {k: re.sub(r"^https?://[^/]+", base_url, v) if isinstance(v, str) else v
                            for k, v in exchange.urls["api"].items()}
    return exchange


def make_exchange(exchange_id: str, *, futures: bool, base_url: str | None = None, rate_limit_ms: float | None = None,
                  sandbox: bool = False, options: dict[str, Any] | None = None, **config: Any) -> Any:
    """A ccxt.async_support client loading only the market type we use, with the rate limiter on (only its
    pace may be set: a local fake exchange allows a faster one), on the exchange's sandbox (testnet) when
    asked, and pointed at `base_url` when given."""
    if not hasattr(ccxt, exchange_id):
        raise ValueError(f"ccxt has no exchange called {exchange_id!r}")
    pace = {} if rate_limit_ms is None else {"rateLimit": rate_limit_ms}
    exchange = getattr(ccxt, exchange_id)({
        **config, **pace, "enableRateLimit": True,
        "options": {"defaultType": "future" if futures else "spot", "fetchCurrencies": False,
                    "fetchMarkets": {"types": ["linear" if futures else "spot"]}, **(options or {})},
    })
    if sandbox:
        exchange.set_sandbox_mode(True)
    return point_at(exchange, base_url) if base_url is not None else exchange


class CcxtGateway:
    def __init__(self, exchange: Any, *, mode: str, futures: bool = False, quote: str = "USDT") -> None:
        self.exchange = exchange
        self.mode = mode
        self.futures = futures
        self.quote = quote
        self._configured: set[str] = set()
        self._hedge_mode: bool | None = None

    @classmethod
    def build(cls, exchange_id: str, *, api_key: str, secret: str, mode: str, futures: bool = False,
              base_url: str | None = None, rate_limit_ms: float | None = None) -> CcxtGateway:
        exchange = make_exchange(exchange_id, futures=futures, base_url=base_url, rate_limit_ms=rate_limit_ms,
                                 sandbox=mode == "testnet", apiKey=api_key, secret=secret,
                                 options={"fetchMargins": False, "warnOnFetchOpenOrdersWithoutSymbol": False})
        return cls(exchange, mode=mode, futures=futures)

    async def close(self) -> None:
        await self.exchange.close()

    def supports(self, order_type: str) -> bool:
        return order_type in ("market", "limit")

    def _symbol(self, symbol: str) -> str:
        return f"{symbol}:{self.quote}" if self.futures and ":" not in symbol else symbol

    async def _market(self, symbol: str) -> dict[str, Any]:
        async with _mapped("load markets"):
            await self.exchange.load_markets()
        try:
            market: dict[str, Any] = self.exchange.market(self._symbol(symbol))
        except ccxt.BadSymbol:
            raise OrderRejected(f"{symbol} is not traded on {self.exchange.id}", "invalid") from None
        return market

    async def rules(self, symbol: str) -> MarketRules:
        """The market's step, tick and minimums as ccxt loaded them (a step under TICK_SIZE precision, a number
        of decimals otherwise)."""
        market = await self._market(symbol)
        precision, limits = market.get("precision") or {}, market.get("limits") or {}

        def step(value: float | None) -> float:
            if value is None:
                return 1e-8
            return float(value) if self.exchange.precisionMode == ccxt.TICK_SIZE else 10.0 ** -int(value)

        return MarketRules(amount_step=step(precision.get("amount")), price_tick=step(precision.get("price")),
                           min_amount=float((limits.get("amount") or {}).get("min") or 0.0),
                           min_notional=float((limits.get("cost") or {}).get("min") or 0.0))

    async def prepare(self, request: OrderRequest) -> OrderRequest:
        market = await self._market(request.symbol)
        symbol = market["symbol"]
        try:
            amount = float(self.exchange.amount_to_precision(symbol, request.amount))
        except ccxt.InvalidOrder:
            raise OrderRejected(f"amount {request.amount:g} rounds to 0 at {symbol}'s step", "minimum") from None
        price = float(self.exchange.price_to_precision(symbol, request.price)) if request.price else None
        limits = market.get("limits", {})
        min_amount = (limits.get("amount") or {}).get("min") or 0.0
        min_cost = (limits.get("cost") or {}).get("min") or 0.0
        if amount < min_amount:
            raise OrderRejected(f"amount {amount:g} is below the exchange minimum {min_amount:g}", "minimum")
        check_price = price or request.ref_price
        if check_price is not None and amount * check_price < min_cost and not request.reduce_only:
            raise OrderRejected(f"order value {amount * check_price:.2f} is below the exchange minimum "
                                f"{min_cost:g}", "minimum")
        return OrderRequest(**{**request.__dict__, "amount": amount, "price": price})

    async def _configure_futures(self, request: OrderRequest, symbol: str) -> dict[str, Any]:
        """Leverage and margin mode before an opening order; the position-mode params every order needs."""
        params: dict[str, Any] = {}
        if self._hedge_mode is None:
            async with _mapped("read position mode"):
                mode = await self.exchange.fetch_position_mode(symbol)
            self._hedge_mode = bool(mode.get("hedged"))
        key = f"{symbol}|{request.leverage}|{request.margin_mode}"
        if not request.reduce_only and key not in self._configured:
            if request.margin_mode:
                try:
                    async with _mapped("set margin mode"):
                        await self.exchange.set_margin_mode(request.margin_mode, symbol)
                except _AlreadySet:
                    pass  # e.g. after a restart: the symbol is already in this mode (Binance -4046)
            if request.leverage:
                async with _mapped("set leverage"):
                    await self.exchange.set_leverage(int(request.leverage), symbol)
            self._configured.add(key)
        if self._hedge_mode:  # hedge mode: the side of the book instead of reduce-only
            opening_long = (request.side is OrderSide.BUY) != request.reduce_only
            params["positionSide"] = "LONG" if opening_long else "SHORT"
        elif request.reduce_only:
            params["reduceOnly"] = True
        return params

    async def create_order(self, request: OrderRequest) -> OrderResult:
        if not self.supports(request.order_type):
            raise OrderRejected(f"{request.order_type} orders are not held on {self.exchange.id}", "unsupported")
        market = await self._market(request.symbol)
        symbol = market["symbol"]
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if self.futures:
            params |= await self._configure_futures(request, symbol)
        try:
            async with _mapped("create order"):
                order = await self.exchange.create_order(symbol, request.order_type, request.side.value,
                                                         request.amount, request.price, params)
        except DuplicateClientId:
            found = await self.fetch_order(request.client_order_id, request.symbol)
            if found is None:
                raise OrderOutcomeUnknown("the exchange reported a duplicate id but has no such order") from None
            return found
        return await self._report(order, request.client_order_id, symbol)

    async def create_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult | Exception]:
        """One after the other: they share this account's connection and its rate limiter."""
        results: list[OrderResult | Exception] = []
        for request in requests:
            try:
                results.append(await self.create_order(request))
            except CLASSIFIED as exc:
                results.append(exc)
        return results

    async def fetch_order(self, client_order_id: str, symbol: str) -> OrderResult | None:
        market = await self._market(symbol)
        try:
            async with _mapped("fetch order"):
                order = await self.exchange.fetch_order(None, market["symbol"], {"clientOrderId": client_order_id})
        except OrderRejected as exc:
            if "does not exist" in str(exc).lower() or "unknown order" in str(exc).lower():
                return None
            raise
        return await self._report(order, client_order_id, market["symbol"])

    async def cancel_order(self, client_order_id: str, symbol: str) -> OrderResult | None:
        market = await self._market(symbol)
        try:
            async with _mapped("cancel order"):
                order = await self.exchange.cancel_order(None, market["symbol"],
                                                         {"clientOrderId": client_order_id})
        except (OrderRejected, OrderOutcomeUnknown):
            return await self.fetch_order(client_order_id, symbol)  # filled or never there: say which
        return await self._report(order, client_order_id, market["symbol"])

    async def open_orders(self, account_id: str, symbol: str | None = None) -> list[OrderResult]:
        await self._market(symbol or "BTC/USDT")
        async with _mapped("fetch open orders"):
            # without a symbol ccxt cannot tell the market type from it: name it (binance would default to spot)
            orders = await self.exchange.fetch_open_orders(self._symbol(symbol) if symbol else None,
                                                           params={"type": "future" if self.futures else "spot"})
        return [self._result(o, o.get("clientOrderId") or "") for o in orders]

    async def balance(self, account_id: str) -> dict[str, float]:
        async with _mapped("fetch balance"):
            balances = await self.exchange.fetch_balance()
        return {currency: float(value) for currency, value in (balances.get("free") or {}).items()
                if value is not None}

    async def _report(self, order: dict[str, Any], client_order_id: str, symbol: str) -> OrderResult:
        """The order as the engine sees it. An order answer with fills but no fee (Binance futures always, spot
        once the order is fetched later) gets its fee from the order's trades; when they cannot be read the fee
        stays 0 and a warning is logged (the order's outcome is known either way)."""
        result = self._result(order, client_order_id)
        if result.filled <= 0 or any(f.get("cost") is not None for f in _fees(order)):
            return result
        try:
            trades = await self._order_trades(str(order.get("id")), symbol)
        except ccxt.BaseError as exc:
            logger.warning("fee of order %s unknown: its trades could not be read (%s)", client_order_id, _short(exc))
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
        filled = float(order.get("filled") or 0.0)
        status = _STATUS.get(order.get("status") or "", OrderStatus.OPEN)
        if status is OrderStatus.OPEN and filled > 0:
            status = OrderStatus.PARTIALLY_FILLED
        fees = _fees(order)
        fee = sum(float(f.get("cost") or 0.0) for f in fees)
        currency = str(next((f.get("currency") for f in fees if f.get("currency")), self.quote))
        # a fill is dated when it traded (a stop placed yesterday and hit today is today's loss), not when placed
        stamp = (order.get("lastTradeTimestamp") if filled > 0 else None) or order.get("timestamp")
        at = from_ms(stamp) if stamp else datetime.now(UTC)
        symbol = str(order.get("symbol") or "").split(":")[0]
        side = OrderSide(order["side"]) if order.get("side") in ("buy", "sell") else None
        return OrderResult(
            client_order_id=order.get("clientOrderId") or client_order_id, exchange_order_id=str(order.get("id")),
            status=status, filled=filled, average_price=float(order["average"]) if order.get("average") else None,
            fee=fee, fee_currency=currency, at=at, price_source=self.exchange.id, symbol=symbol, side=side,
            order_type=str(order.get("type") or ""), amount=float(order.get("amount") or 0.0),
            price=float(order["price"]) if order.get("price") else None,
            reduce_only=bool(order.get("reduceOnly")))
