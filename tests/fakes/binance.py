"""A local fake of the part of Binance's REST API the gateway uses (spot /api/v3 and USDT-M futures /fapi),
served by aiohttp so the real ccxt client runs against it. Requests are HMAC-verified like Binance does.

Supported: exchangeInfo, ticker/24hr (its time is `clock_ms`), klines (1m rows a test sets), order create
(MARKET, LIMIT) / fetch / cancel by client id, openOrders, the account's trades by order id (myTrades,
userTrades, with commissions), account balances, futures leverage, marginType and position mode. Resting
limits fill when a test moves the price (`set_price`). Several accounts (`other_accounts`: API key -> secret)
each see their own open orders and hold their own USDT-M positions, which reduce-only orders never go past.
Spot orders follow Binance spot's own rules (`binance_spot`: coins held by resting orders, the commission taken
from the asset received, stop-loss-limit orders, cancel-replace; each account its own wallet). Faults are
injected per call (`inject`): drop the connection before or after the order is processed, rate limit (HTTP 429,
-1003), exchange unavailable (503), insufficient balance, bad key.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes import binance_spot as spot
from tests.fakes.faults import FakeVenue, transport_fault

API_KEY, SECRET = "test-key", "test-secret"
FEE_RATE = 0.001
PARAMS = web.RequestKey("params", dict)
ACCOUNT = web.RequestKey("account", str)  # the API key of a signed request
REFUSE_NEW = web.RequestKey("refuse_new", bool)  # a cancel-replace whose new order is refused

MARKETS = {  # Binance's real filters for these symbols (spot; futures use the same steps here)
    "BTCUSDT": ("BTC", "USDT", "0.01", "0.00001", "5"),
    "ETHUSDT": ("ETH", "USDT", "0.01", "0.0001", "5"),
}


# what Binance's exchangeInfo lists per symbol (ccxt refuses to send a type the market does not list)
SPOT_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
FUTURES_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]


def _filters(tick: str, step: str, notional: str, futures: bool) -> list[dict[str, Any]]:
    lot = {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000", "stepSize": step}
    price = {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick}
    if futures:
        return [price, lot, {"filterType": "MARKET_LOT_SIZE", **{k: v for k, v in lot.items() if k != "filterType"}},
                {"filterType": "MIN_NOTIONAL", "notional": notional}]
    return [price, lot, {"filterType": "NOTIONAL", "minNotional": notional, "applyMinToMarket": True,
                         "maxNotional": "9000000", "applyMaxToMarket": False, "avgPriceMins": 5}]


def _symbol_info(symbol: str, futures: bool) -> dict[str, Any]:
    base, quote, tick, step, notional = MARKETS[symbol]
    info: dict[str, Any] = {
        "symbol": symbol, "status": "TRADING", "baseAsset": base, "quoteAsset": quote,
        "baseAssetPrecision": 8, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "orderTypes": FUTURES_TYPES if futures else SPOT_TYPES, "filters": _filters(tick, step, notional, futures),
    }
    if futures:
        info.update(pair=symbol, contractType="PERPETUAL", deliveryDate=4133404800000, onboardDate=1569398400000,
                    marginAsset=quote, pricePrecision=2, quantityPrecision=5, underlyingType="COIN",
                    timeInForce=["GTC", "IOC", "FOK"], triggerProtect="0.0500")
    else:
        info.update(isSpotTradingAllowed=True, isMarginTradingAllowed=False, permissionSets=[["SPOT"]],
                    permissions=[], icebergAllowed=True, ocoAllowed=True, quoteOrderQtyMarketAllowed=True)
    return info


OPEN_STATES = ("NEW", "PARTIALLY_FILLED")

@dataclass
class FakeOrder:
    order_id: int
    client_id: str
    symbol: str
    side: str
    type: str
    qty: float
    price: float
    reduce_only: bool
    futures: bool
    time: int
    status: str = "NEW"
    executed: float = 0.0
    quote: float = 0.0
    trades: list[dict[str, Any]] = field(default_factory=list)  # one per fill, with its commission
    updated: int = 0  # the last change (a fill), epoch ms; 0 = none since it was placed
    account: str = API_KEY  # whose order (the API key that placed it)
    stop: float = 0.0  # a spot stop-loss-limit's stop price
    triggered: bool = False  # a spot stop-loss-limit the price reached: it works as a limit since

    def as_json(self, created: bool = False) -> dict[str, Any]:
        """The order as Binance writes it: a query answer carries `time` (placed) and `updateTime` (its last
        change: the fill); the answer to a create carries the moment it was handled instead (`updateTime` on
        futures, `transactTime` on spot)."""
        common = {"symbol": self.symbol, "orderId": self.order_id, "clientOrderId": self.client_id,
                  "price": f"{self.price:.8f}", "origQty": f"{self.qty:.8f}", "executedQty": f"{self.executed:.8f}",
                  "status": self.status, "timeInForce": "GTC", "type": self.type, "side": self.side,
                  "stopPrice": "0"}
        stamps: dict[str, int] = {"updateTime": self.updated or self.time}
        if self.futures:
            avg = self.quote / self.executed if self.executed else 0.0
            return {**common, **stamps, **({} if created else {"time": self.time}), "avgPrice": f"{avg:.8f}",
                    "cumQuote": f"{self.quote:.8f}", "reduceOnly": self.reduce_only, "closePosition": False,
                    "positionSide": "BOTH", "workingType": "CONTRACT_PRICE", "origType": self.type,
                    "priceProtect": False}
        if created:
            stamps = {"transactTime": self.updated or self.time}
        else:
            stamps["time"] = self.time
        return {**common, **stamps, "orderListId": -1, "cummulativeQuoteQty": f"{self.quote:.8f}",
                "origQuoteOrderQty": "0", "workingTime": self.time, "selfTradePreventionMode": "NONE",
                **spot.order_fields(self)}


ALGO_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET")


@dataclass
class FakeAlgo:
    """A USDT-M conditional order (Binance's algo-order API, where conditional orders live since 2025-12): it
    rests on the exchange until the mark crosses its trigger, then places a market order under its own order id
    and client id (not the algo's) and is FINISHED, naming that order in `actualOrderId`."""

    algo_id: int
    client_id: str
    symbol: str
    side: str
    type: str  # STOP_MARKET | TAKE_PROFIT_MARKET
    qty: float
    trigger: float
    reduce_only: bool
    time: int
    status: str = "NEW"  # NEW | CANCELED | FINISHED
    updated: int = 0
    trigger_time: int = 0
    actual_order_id: int | None = None
    actual_price: float = 0.0
    account: str = API_KEY

    def fires_at(self, price: float) -> bool:
        rising = (self.side == "BUY") == (self.type == "STOP_MARKET")  # a buy-stop / sell-TP waits for a rise
        return price >= self.trigger if rising else price <= self.trigger

    def as_json(self) -> dict[str, Any]:
        return {"algoId": self.algo_id, "clientAlgoId": self.client_id, "algoType": "CONDITIONAL",
                "orderType": self.type, "symbol": self.symbol, "side": self.side, "positionSide": "BOTH",
                "timeInForce": "GTC", "quantity": f"{self.qty:.8f}", "algoStatus": self.status,
                "triggerPrice": f"{self.trigger:.8f}", "price": "0.00000000", "icebergQuantity": None,
                "selfTradePreventionMode": "EXPIRE_MAKER", "workingType": "CONTRACT_PRICE", "priceMatch": "NONE",
                "closePosition": False, "priceProtect": False, "reduceOnly": self.reduce_only,
                "createTime": self.time, "updateTime": self.updated or self.time, "triggerTime": self.trigger_time,
                "goodTillDate": 0, "actualOrderId": str(self.actual_order_id or ""),
                "actualPrice": f"{self.actual_price:.8f}"}


@dataclass
class FakeBinance(FakeVenue):
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0, "BTC": 0.0, "ETH": 0.0})
    wallets: dict[str, dict[str, float]] = field(default_factory=dict)  # other accounts' spot balances, by API key
    orders: dict[int, FakeOrder] = field(default_factory=dict)  # by order id: a client id can recur (see _create)
    algos: dict[int, FakeAlgo] = field(default_factory=dict)  # conditional orders, by algo id
    leverage: dict[str, int] = field(default_factory=dict)
    margin_type: dict[str, str] = field(default_factory=dict)
    position_sides: list[str] = field(default_factory=list)
    klines: dict[str, list[list[Any]]] = field(default_factory=dict)  # symbol -> [open time, o, h, l, c, v]
    api_key: str = API_KEY  # the key (and secret) of the main account
    secret: str = SECRET
    # what GET /sapi/v1/account/apiRestrictions says about the key (Binance's documented fields)
    restrictions: dict[str, Any] = field(default_factory=lambda: {
        "ipRestrict": False, "createTime": 1_698_645_219_000, "enableReading": True, "enableWithdrawals": False,
        "enableInternalTransfer": False, "enableMargin": False, "enableFutures": True,
        "permitsUniversalTransfer": False, "enableVanillaOptions": False, "enableFixApiTrade": False,
        "enableFixReadOnly": False, "enableSpotAndMarginTrading": True, "enablePortfolioMarginTrading": False})
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def reset(self, prices: dict[str, float]) -> None:
        """An empty order book at these prices (one server for several runs)."""
        self.orders.clear()
        self.wallets.clear()
        self.algos.clear()
        self.calls.clear()
        self.prices.update(prices)
        self.balances.update({"USDT": 10_000.0, "BTC": 0.0, "ETH": 0.0})

    def order_book(self) -> list[tuple[str, str, float]]:
        """(client id, open | filled | cancelled | expired, amount filled) of every order placed by its owner; a
        conditional order that fired reports what the market order it placed filled."""
        state = {"NEW": "open", "PARTIALLY_FILLED": "open", "FILLED": "filled", "CANCELED": "cancelled",
                 "EXPIRED": "expired"}
        by_trigger = {a.actual_order_id for a in self.algos.values()}
        book = [(o.client_id, state[o.status], o.executed) for o in self.orders.values()
                if o.order_id not in by_trigger]
        for algo in self.algos.values():
            fired = self.orders.get(algo.actual_order_id) if algo.actual_order_id else None
            book.append((algo.client_id, {"NEW": "open", "CANCELED": "cancelled"}.get(algo.status, "filled"),
                         fired.executed if fired else 0.0))
        return book

    def order_posts(self) -> int:
        return sum(1 for method, path in self.calls if method == "POST" and path.endswith("/order"))

    def algo(self, client_id: str) -> FakeAlgo | None:
        """The latest conditional order placed under `client_id`."""
        return next((a for a in reversed(self.algos.values()) if a.client_id == client_id), None)

    def set_price(self, symbol: str, price: float) -> None:
        """Move the market; resting limits that the new price reaches fill at their own price, and conditional
        orders whose trigger it crosses place their market order (while Signalcord may be down)."""
        self.prices[symbol] = price
        for algo in list(self.algos.values()):
            if algo.symbol == symbol and algo.status == "NEW" and algo.fires_at(price):
                order = FakeOrder(next(self._ids), f"autoclose-{algo.algo_id}", symbol, algo.side, "MARKET",
                                  algo.qty, price, algo.reduce_only, True, self.clock_ms, account=algo.account)
                self.orders[order.order_id] = order
                self._fill(order, price)
                algo.status, algo.updated, algo.trigger_time = "FINISHED", self.clock_ms, self.clock_ms
                algo.actual_order_id, algo.actual_price = order.order_id, price
        for order in list(self.orders.values()):
            if order.symbol != symbol or order.status not in OPEN_STATES:
                continue
            if spot.triggers(order, price):  # a spot stop-loss-limit starts working as a limit at its price
                order.triggered, order.updated = True, self.clock_ms
                if spot.reaches(order, price):
                    self._fill(order, price)  # marketable when triggered: it trades at the market
            elif order.type != "MARKET" and spot.reaches(order, price):
                self._fill(order, order.price)

    def held(self, account: str, asset: str) -> float:
        """What the account's resting spot orders hold of `asset`."""
        return spot.held(self.orders.values(), account, asset, {s: m[:2] for s, m in MARKETS.items()})

    def wallet(self, account: str) -> dict[str, float]:
        """The account's spot balances (the main account's are `balances`; another starts with 10,000 USDT)."""
        if account == self.api_key:
            return self.balances
        return self.wallets.setdefault(account, {"USDT": 10_000.0, "BTC": 0.0, "ETH": 0.0})

    def free(self, account: str) -> dict[str, float]:
        """The account's spot balances less what its resting orders hold."""
        return {asset: value - self.held(account, asset) for asset, value in self.wallet(account).items()}

    def _fill(self, order: FakeOrder, price: float) -> None:
        """Fill the order's rest at `price`. A USDT-M reduce-only order only reduces the account's position (one-way
        mode): what would go past zero is not filled, and an order left with less than it asked for EXPIRES (as
        Binance does with a reduce-only order bigger than the position, e.g. a second stop after the first fired)."""
        base = MARKETS[order.symbol][0]
        amount = order.qty - order.executed
        book = (order.account, order.symbol)
        if order.futures and order.reduce_only:
            held = self.positions.get(book, 0.0)
            amount = min(amount, max(held, 0.0) if order.side == "SELL" else max(-held, 0.0))
            if amount <= 1e-12:
                order.status, order.updated = "EXPIRED", self.clock_ms
                return
        if order.futures:  # quantities are exact decimals on the exchange: no float dust is left in a position
            change = amount if order.side == "BUY" else -amount
            self.positions[book] = round(self.positions.get(book, 0.0) + change, 8)
        cost = amount * price
        fee, fee_asset = cost * FEE_RATE, "USDT"
        if order.futures:
            self.balances["USDT"] -= fee
        else:  # the commission comes out of what the fill bought or sold for
            fee, fee_asset = spot.settle(self.wallet(order.account), order.side, amount, cost, FEE_RATE, base, "USDT")
        order.executed, order.quote = order.executed + amount, order.quote + cost
        order.status = "FILLED" if order.executed >= order.qty - 1e-12 else "EXPIRED"
        order.updated = self.clock_ms
        order.trades.append({"symbol": order.symbol, "id": next(self._ids), "orderId": order.order_id,
                             "side": order.side, "price": f"{price:.8f}", "qty": f"{amount:.8f}",
                             "quoteQty": f"{cost:.8f}", "commission": f"{fee:.8f}",
                             "commissionAsset": fee_asset, "time": self.clock_ms, "buyer": order.side == "BUY",
                             "maker": order.type == "LIMIT", "isBuyer": order.side == "BUY",
                             "isMaker": order.type == "LIMIT", "realizedPnl": "0", "marginAsset": "USDT",
                             "positionSide": "BOTH"})

    # -- the HTTP side ---------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_and_auth])
        for prefix, futures in (("/api/v3", False), ("/fapi/v1", True)):
            app.router.add_get(f"{prefix}/exchangeInfo", self._exchange_info(futures))
            app.router.add_get(f"{prefix}/ticker/24hr", self._ticker)
            app.router.add_get(f"{prefix}/klines", self._klines)
            app.router.add_post(f"{prefix}/order", self._create(futures))
            app.router.add_get(f"{prefix}/order", self._fetch)
            app.router.add_delete(f"{prefix}/order", self._cancel)
            app.router.add_get(f"{prefix}/openOrders", self._open_orders(futures))
        app.router.add_post("/api/v3/order/cancelReplace", self._cancel_replace)
        app.router.add_post("/fapi/v1/algoOrder", self._create_algo)
        app.router.add_get("/fapi/v1/algoOrder", self._fetch_algo)
        app.router.add_delete("/fapi/v1/algoOrder", self._cancel_algo)
        app.router.add_get("/fapi/v1/openAlgoOrders", self._open_algos)
        app.router.add_get("/api/v3/myTrades", self._trades)
        app.router.add_get("/fapi/v1/userTrades", self._trades)
        app.router.add_get("/api/v3/account", self._spot_account)
        app.router.add_get("/fapi/v3/account", self._futures_account)
        app.router.add_get("/fapi/v2/account", self._futures_account)
        app.router.add_post("/fapi/v1/leverage", self._set_leverage)
        app.router.add_post("/fapi/v1/marginType", self._set_margin_type)
        app.router.add_get("/fapi/v1/positionSide/dual", self._position_mode)
        app.router.add_get("/sapi/v1/account/apiRestrictions", self._api_restrictions)
        return app

    async def _api_restrictions(self, request: web.Request) -> web.Response:
        if "signature" not in request[PARAMS]:
            return self._error(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or "
                                           "malformed.")
        return web.json_response(self.restrictions)

    def _account(self, request: web.Request) -> str:
        """Whose request: the API key it was signed with (the main account's for an unsigned one)."""
        return request.get(ACCOUNT, self.api_key)

    @staticmethod
    def _error(status: int, code: int, msg: str) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status)

    @web.middleware
    async def _faults_and_auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        body = await request.text()
        params = dict(parse_qsl(request.query_string)) | dict(parse_qsl(body))
        request[PARAMS] = params
        if "signature" in params:
            signed = request.query_string if request.method in ("GET", "DELETE") else body
            payload = signed.rsplit("&signature=", 1)[0]
            key = request.headers.get("X-MBX-APIKEY") or ""
            secret = self.secret if key == self.api_key else self.other_accounts.get(key, "")
            good = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
            if not secret or params["signature"] != good:
                return self._error(401, -2015, "Invalid API-key, IP, or permissions for action.")
            request[ACCOUNT] = key
        kind = self.fault_for(request)
        if kind is None:
            return await handler(request)
        if kind == "rate_limit":
            return self._error(429, -1003, "Too much request weight used; current limit is 1200 request weight "
                                           "per 1 MINUTE.")
        if kind == "insufficient" and request.path.endswith("/cancelReplace"):
            request[REFUSE_NEW] = True  # the cancel half goes through; the new order is refused for funds
            return await handler(request)
        if kind == "insufficient":
            return self._error(400, -2010, "Account has insufficient balance for requested action.")
        if kind == "auth":
            return self._error(401, -2015, "Invalid API-key, IP, or permissions for action.")
        return await transport_fault(kind, request, handler)

    def _exchange_info(self, futures: bool) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.json_response({"timezone": "UTC", "serverTime": self.clock_ms, "rateLimits": [],
                                      "symbols": [_symbol_info(s, futures) for s in MARKETS]})
        return handler

    async def _ticker(self, request: web.Request) -> web.Response:
        symbol = request[PARAMS]["symbol"]
        price = f"{self.prices[symbol]:.2f}"
        return web.json_response({"symbol": symbol, "lastPrice": price, "bidPrice": price, "askPrice": price,
                                  "openPrice": price, "highPrice": price, "lowPrice": price, "volume": "1000",
                                  "quoteVolume": "1000000", "closeTime": self.clock_ms, "openTime": self.clock_ms,
                                  "priceChange": "0", "priceChangePercent": "0", "weightedAvgPrice": price})

    async def _klines(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        start, limit = int(p.get("startTime", 0)), int(p.get("limit", 500))
        rows = [r for r in self.klines.get(p["symbol"], []) if r[0] >= start][:limit]
        return web.json_response([[r[0], *(f"{v:.8f}" for v in r[1:6]), r[0] + 59_999, "0", 1, "0", "0", "0"]
                                  for r in rows])

    def _create(self, futures: bool) -> Any:
        async def handler(request: web.Request) -> web.Response:
            placed = self.place(request[PARAMS], futures, self._account(request))
            if isinstance(placed, tuple):
                return self._error(400, *placed)
            return web.json_response(self.answer(placed))
        return handler

    def place(self, p: dict[str, str], futures: bool, account: str) -> FakeOrder | tuple[int, str]:
        """A new order as Binance takes it (filled at once if marketable), or its refusal (code, message)."""
        cid, symbol, kind = p["newClientOrderId"], p["symbol"], p["type"]
        if any(o.client_id == cid and o.status in OPEN_STATES and o.account == account for o in self.orders.values()):
            # Binance refuses a repeated client id only among open orders: a filled, cancelled or expired
            # order's id is accepted again, and a second order is placed
            return -2010, "Duplicate order sent."
        qty, market = float(p["quantity"]), self.prices[symbol]
        price = float(p.get("price", market))
        reduce_only = p.get("reduceOnly") == "true"
        if not futures:
            refused = spot.refusal(p, market, self.free(account), *MARKETS[symbol][:2])
            if refused is not None:
                return refused
        elif kind not in ("MARKET", "LIMIT"):
            return -1116, "Invalid orderType."
        if futures and "positionSide" in p:
            self.position_sides.append(p["positionSide"])
        if futures and not reduce_only and p["side"] == "BUY" and \
                qty * price / self.leverage.get(symbol, 1) > self.balances["USDT"]:
            return -2019, "Margin is insufficient."
        order = FakeOrder(next(self._ids), cid, symbol, p["side"], kind, qty, price, reduce_only, futures,
                          self.clock_ms, account=account)
        order.stop = float(p.get("stopPrice", 0.0)) if kind == "STOP_LOSS_LIMIT" else 0.0
        self.orders[order.order_id] = order
        if kind == "MARKET" or (kind == "LIMIT" and spot.reaches(order, market)):
            self._fill(order, market)
        return order

    @staticmethod
    def answer(order: FakeOrder) -> dict[str, Any]:
        """The answer to a create: the order, with its fills on spot."""
        body = order.as_json(created=True)
        if not order.futures and order.executed:
            body["fills"] = [{"price": t["price"], "qty": t["qty"], "commission": t["commission"],
                              "commissionAsset": t["commissionAsset"], "tradeId": t["id"]} for t in order.trades]
        return body

    async def _cancel_replace(self, request: web.Request) -> web.Response:
        p, account = request[PARAMS], self._account(request)
        old = self.order(p.get("cancelOrigClientOrderId") or "")
        cancelled = old is not None and old.account == account and old.status in OPEN_STATES
        if cancelled and old is not None:
            old.status = "CANCELED"
        refused = (-2010, spot.NO_FUNDS) if request.get(REFUSE_NEW) else None
        status, body = spot.cancel_replaced(p, old.as_json() if cancelled and old is not None else None,
                                            lambda: refused or self.place(p, False, account), self.answer)
        return web.json_response(body, status=status)

    def _find(self, request: web.Request) -> FakeOrder | None:
        p = request[PARAMS]
        if "orderId" in p:
            return self.orders.get(int(p["orderId"]))
        return self.order(p.get("origClientOrderId") or "")

    def order(self, client_id: str) -> FakeOrder | None:
        """The latest order placed under `client_id`."""
        return next((o for o in reversed(self.orders.values()) if o.client_id == client_id), None)

    async def _fetch(self, request: web.Request) -> web.Response:
        order = self._find(request)
        if order is None:
            return self._error(400, -2013, "Order does not exist.")
        return web.json_response(order.as_json())

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self._find(request)
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            return self._error(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        return web.json_response(order.as_json())

    def _open_orders(self, futures: bool) -> Any:
        async def handler(request: web.Request) -> web.Response:
            symbol = request[PARAMS].get("symbol")
            return web.json_response([o.as_json() for o in self.orders.values() if o.futures == futures
                                      and o.status in ("NEW", "PARTIALLY_FILLED")
                                      and o.account == self._account(request)
                                      and (symbol is None or o.symbol == symbol)])
        return handler

    async def _trades(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        return web.json_response([t for o in self.orders.values() if o.symbol == p["symbol"]
                                  and str(o.order_id) == p.get("orderId", str(o.order_id)) for t in o.trades])

    async def _spot_account(self, request: web.Request) -> web.Response:
        return web.json_response({"canTrade": True, "canWithdraw": False, "canDeposit": True,
                                  "updateTime": self.clock_ms, "accountType": "SPOT", "permissions": ["SPOT"],
                                  "balances": [{"asset": a, "free": f"{v - held:.8f}", "locked": f"{held:.8f}"}
                                               for a, v in self.wallet(self._account(request)).items()
                                               if (held := self.held(self._account(request), a)) is not None]})

    async def _futures_account(self, request: web.Request) -> web.Response:
        usdt = f"{self.balances['USDT']:.8f}"
        return web.json_response({"totalWalletBalance": usdt, "availableBalance": usdt, "positions": [],
                                  "assets": [{"asset": "USDT", "walletBalance": usdt, "availableBalance": usdt,
                                              "marginBalance": usdt, "crossWalletBalance": usdt,
                                              "unrealizedProfit": "0", "maxWithdrawAmount": usdt,
                                              "updateTime": self.clock_ms}]})

    async def _set_leverage(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        self.leverage[p["symbol"]] = int(p["leverage"])
        return web.json_response({"symbol": p["symbol"], "leverage": int(p["leverage"]),
                                  "maxNotionalValue": "1000000"})

    async def _set_margin_type(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if self.margin_type.get(p["symbol"]) == p["marginType"]:
            return self._error(400, -4046, "No need to change margin type.")
        self.margin_type[p["symbol"]] = p["marginType"]
        return web.json_response({"code": 200, "msg": "success"})

    async def _position_mode(self, request: web.Request) -> web.Response:
        return web.json_response({"dualSidePosition": self.hedge_mode})

    # -- conditional (algo) orders, USDT-M --------------------------------------------------------------------

    async def _create_algo(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        cid, symbol, kind, side = p["clientAlgoId"], p["symbol"], p["type"], p["side"]
        if p.get("algoType") != "CONDITIONAL" or kind not in ALGO_TYPES:
            return self._error(400, -1116, "Invalid orderType.")
        if any(a.client_id == cid and a.status == "NEW" for a in self.algos.values()):
            return self._error(400, -4116, "ClientOrderId is duplicated.")
        algo = FakeAlgo(next(self._ids), cid, symbol, side, kind, float(p["quantity"]), float(p["triggerPrice"]),
                        p.get("reduceOnly") == "true", self.clock_ms, account=self._account(request))
        if algo.fires_at(self.prices[symbol]):
            return self._error(400, -2021, "Order would immediately trigger.")
        if futures_side := p.get("positionSide"):
            self.position_sides.append(futures_side)
        self.algos[algo.algo_id] = algo
        return web.json_response(algo.as_json())

    def _find_algo(self, request: web.Request) -> FakeAlgo | None:
        p = request[PARAMS]
        if "algoId" in p:
            return self.algos.get(int(p["algoId"]))
        return self.algo(p.get("clientAlgoId") or "")

    async def _fetch_algo(self, request: web.Request) -> web.Response:
        algo = self._find_algo(request)
        if algo is None:
            return self._error(400, -2013, "Order does not exist.")
        return web.json_response(algo.as_json())

    async def _cancel_algo(self, request: web.Request) -> web.Response:
        algo = self._find_algo(request)
        if algo is None or algo.status != "NEW":
            return self._error(400, -2011, "Unknown order sent.")
        algo.status, algo.updated = "CANCELED", self.clock_ms
        return web.json_response({"algoId": algo.algo_id, "clientAlgoId": algo.client_id, "code": "200",
                                  "msg": "success"})

    async def _open_algos(self, request: web.Request) -> web.Response:
        symbol = request[PARAMS].get("symbol")
        return web.json_response([a.as_json() for a in self.algos.values()
                                  if a.status == "NEW" and a.account == self._account(request)
                                  and (symbol is None or a.symbol == symbol)])
