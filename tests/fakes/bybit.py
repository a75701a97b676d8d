"""A local fake of the part of Bybit's v5 REST API the gateway uses for USDT perpetuals (category=linear) on a
unified trading account, served by aiohttp so the real ccxt client runs against it. Requests are signed like
Bybit checks them: HMAC-SHA256 over timestamp + API key + recv window + the query (GET) or the JSON body (POST),
in the X-BAPI-* headers.

Bybit's documented rules it follows, including the inconvenient ones:
- Every answer is HTTP 200 with `retCode` (0 = done) and `retMsg`; an error is a non-zero retCode.
- The answer to a create or a cancel names the order only (`orderId`, `orderLinkId`): its state is read apart.
- `orderLinkId` must be unique (110072 "OrderLinkedID is duplicate").
- A conditional order (`triggerPrice` with `triggerDirection` 1 = rises to, 2 = falls to) rests as
  `Untriggered` and keeps its own order id and link id when it fires: the market order it becomes is the same
  order (`Filled`). One whose trigger the price has already passed is refused (110092 / 110093).
- Open orders (`/v5/order/realtime`) list every kind by default on linear (`orderFilter=StopOrder` only the
  conditional ones); closed and cancelled orders are in `/v5/order/history`.
- Reduce-only orders only reduce the account's position (one-way mode: a signed net quantity per account and
  symbol); a reduce-only order with nothing to reduce is refused when placed (110017) and, fired from a trigger,
  ends `Deactivated`; one larger than what is left fills that part and ends `PartiallyFilledCanceled`.
- Leverage set to what it already is: 110043 "Set leverage not modified".
Fees: taker 0.055 %, maker 0.02 % in USDT (`cumExecFee`, `cumFeeDetail`). Faults as on the fake Binance
(`inject`, `chaos`); a rate limit is retCode 10006.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.faults import FakeVenue, transport_fault

API_KEY, SECRET = "bybit-test-key", "bybit-test-secret"
TAKER, MAKER = 0.00055, 0.0002
PARAMS = web.RequestKey("params", dict)
ACCOUNT = web.RequestKey("account", str)

MARKETS = {  # Bybit's real linear filters for these symbols: base, tick, qty step = min qty, min notional
    "BTCUSDT": ("BTC", "0.10", "0.001", "5"),
    "ETHUSDT": ("ETH", "0.01", "0.01", "5"),
}
ACTIVE = ("New", "PartiallyFilled", "Untriggered")


def _instrument(symbol: str) -> dict[str, Any]:
    base, tick, step, notional = MARKETS[symbol]
    return {"symbol": symbol, "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": base,
            "quoteCoin": "USDT", "settleCoin": "USDT", "launchTime": "1584230400000", "deliveryTime": "0",
            "deliveryFeeRate": "", "priceScale": str(len(tick.split(".")[1])), "unifiedMarginTrade": True,
            "fundingInterval": 480, "copyTrading": "both", "upperFundingRate": "0.00375",
            "lowerFundingRate": "-0.00375", "isPreListing": False,
            "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
            "priceFilter": {"minPrice": tick, "maxPrice": "1999999.80", "tickSize": tick},
            "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": step, "qtyStep": step,
                              "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000",
                              "minNotionalValue": notional}}


@dataclass
class BybitOrder:
    order_id: str
    link_id: str
    symbol: str
    side: str  # Buy | Sell
    type: str  # Market | Limit
    qty: float
    price: float
    reduce_only: bool
    time: int
    account: str
    trigger: float = 0.0  # a conditional order's trigger price (0: a plain order)
    direction: int = 0  # 1: fires when the price rises to the trigger, 2: when it falls to it
    status: str = "New"
    executed: float = 0.0
    value: float = 0.0
    fee: float = 0.0
    updated: int = 0

    def fires_at(self, price: float) -> bool:
        return price >= self.trigger if self.direction == 1 else price <= self.trigger

    def as_json(self) -> dict[str, Any]:
        avg = self.value / self.executed if self.executed else 0.0
        fee = f"{self.fee:.8f}"
        return {"orderId": self.order_id, "orderLinkId": self.link_id, "blockTradeId": "", "symbol": self.symbol,
                "price": f"{self.price:.2f}" if self.type == "Limit" else "0", "qty": f"{self.qty:.8f}",
                "side": self.side, "isLeverage": "", "positionIdx": 0, "orderStatus": self.status,
                "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": f"{avg:.8f}" if avg else "",
                "leavesQty": f"{(self.qty - self.executed) if self.status in ACTIVE else 0:.8f}",
                "leavesValue": "0", "cumExecQty": f"{self.executed:.8f}", "cumExecValue": f"{self.value:.8f}",
                "cumExecFee": fee, "cumFeeDetail": {"USDT": fee} if self.fee else {},
                "timeInForce": "GTC" if self.type == "Limit" else "IOC", "orderType": self.type,
                "stopOrderType": "Stop" if self.trigger else "", "orderIv": "",
                "triggerPrice": f"{self.trigger:.2f}" if self.trigger else "",
                "triggerDirection": self.direction, "triggerBy": "LastPrice" if self.trigger else "",
                "takeProfit": "", "stopLoss": "", "tpTriggerBy": "", "slTriggerBy": "", "tpslMode": "",
                "lastPriceOnCreated": "", "reduceOnly": self.reduce_only, "closeOnTrigger": False,
                "placeType": "", "smpType": "None", "smpGroup": 0, "smpOrderId": "",
                "createdTime": str(self.time), "updatedTime": str(self.updated or self.time)}


@dataclass
class FakeBybit(FakeVenue):
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0})
    orders: list[BybitOrder] = field(default_factory=list)
    leverage: dict[tuple[str, str], int] = field(default_factory=dict)
    position_indexes: list[int] = field(default_factory=list)  # positionIdx of each order placed
    margin_calls: int = 0  # calls to set the account's margin mode
    api_key: str = API_KEY
    secret: str = SECRET
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self, prices: dict[str, float]) -> None:
        """An empty order book at these prices (one server for several runs)."""
        self.orders.clear()
        self.calls.clear()
        self.prices.update(prices)
        self.balances.update({"USDT": 10_000.0})

    def order_book(self) -> list[tuple[str, str, float]]:
        """(client id, open | filled | cancelled | expired, amount filled) of every order placed."""
        state = {"Filled": "filled", "Cancelled": "cancelled", "Deactivated": "cancelled",
                 "PartiallyFilledCanceled": "expired"}
        return [(o.link_id, state.get(o.status, "open"), o.executed) for o in self.orders]

    def order(self, link_id: str) -> BybitOrder | None:
        return next((o for o in self.orders if o.link_id == link_id), None)

    def order_posts(self) -> int:
        return sum(1 for method, path in self.calls if method == "POST" and path.endswith("/order/create"))

    def set_price(self, symbol: str, price: float) -> None:
        """Move the market: conditional orders whose trigger it reaches fire as market orders, resting limits it
        reaches fill at their own price."""
        self.prices[symbol] = price
        for order in self.orders:
            if order.symbol != symbol or order.status not in ACTIVE:
                continue
            if order.status == "Untriggered" and order.fires_at(price):
                order.status = "Triggered"
                self._fill(order, price, TAKER)
            elif order.type == "Limit" and not order.trigger:
                if (price <= order.price) if order.side == "Buy" else (price >= order.price):
                    self._fill(order, order.price, MAKER)

    def _reducible(self, order: BybitOrder) -> float:
        held = self.positions.get((order.account, order.symbol), 0.0)
        return max(held, 0.0) if order.side == "Sell" else max(-held, 0.0)

    def _fill(self, order: BybitOrder, price: float, rate: float) -> None:
        amount = order.qty - order.executed
        if order.reduce_only:
            amount = min(amount, self._reducible(order))
            if amount <= 1e-12:
                order.status, order.updated = "Deactivated", self.clock_ms
                return
        book = (order.account, order.symbol)
        change = amount if order.side == "Buy" else -amount
        self.positions[book] = round(self.positions.get(book, 0.0) + change, 8)
        fee = amount * price * rate
        self.balances["USDT"] -= fee
        order.executed, order.value, order.fee = order.executed + amount, order.value + amount * price, order.fee + fee
        order.status = "Filled" if order.executed >= order.qty - 1e-12 else "PartiallyFilledCanceled"
        order.updated = self.clock_ms

    # -- the HTTP side ---------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_and_auth])
        app.router.add_get("/v5/market/instruments-info", self._instruments)
        app.router.add_get("/v5/user/query-api", self._query_api)
        app.router.add_get("/v5/account/info", self._account_info)
        app.router.add_get("/v5/account/wallet-balance", self._wallet)
        app.router.add_get("/v5/position/list", self._positions)
        app.router.add_post("/v5/position/set-leverage", self._set_leverage)
        app.router.add_post("/v5/account/set-margin-mode", self._set_margin_mode)
        app.router.add_post("/v5/order/create", self._create)
        app.router.add_post("/v5/order/cancel", self._cancel)
        app.router.add_get("/v5/order/realtime", self._realtime)
        app.router.add_get("/v5/order/history", self._history)
        return app

    def _answer(self, result: dict[str, Any], code: int = 0, msg: str = "OK") -> web.Response:
        return web.json_response({"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {},
                                  "time": self.clock_ms})

    def _error(self, code: int, msg: str) -> web.Response:
        return self._answer({}, code, msg)

    @web.middleware
    async def _faults_and_auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        body = await request.text()
        request[PARAMS] = dict(parse_qsl(request.query_string)) | (json.loads(body) if body else {})
        key = request.headers.get("X-BAPI-API-KEY")
        if key is not None:
            secret = self.secret if key == self.api_key else self.other_accounts.get(key, "")
            signed = (request.headers.get("X-BAPI-TIMESTAMP", "") + key
                      + request.headers.get("X-BAPI-RECV-WINDOW", "")
                      + (body if request.method == "POST" else request.query_string))
            good = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
            if not secret:
                return self._error(10003, "API key is invalid.")
            if request.headers.get("X-BAPI-SIGN") != good:
                return self._error(10004, "Error sign, please check your signature generation algorithm.")
            request[ACCOUNT] = key
        kind = self.fault_for(request)
        if kind is None:
            return await handler(request)
        if kind == "rate_limit":
            return self._error(10006, "Too many visits. Exceeded the API Rate Limit.")
        if kind == "insufficient":
            return self._error(110007, "ab not enough for new order")
        if kind == "auth":
            return self._error(10003, "API key is invalid.")
        return await transport_fault(kind, request, handler)

    def _account(self, request: web.Request) -> str:
        return request.get(ACCOUNT, self.api_key)

    async def _instruments(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        listed = [] if p.get("status") == "PreLaunch" else [_instrument(s) for s in MARKETS
                                                            if p.get("symbol") in (None, s)]
        return self._answer({"category": p.get("category", "linear"), "list": listed, "nextPageCursor": ""})

    async def _query_api(self, request: web.Request) -> web.Response:
        return self._answer({"id": "13770661", "note": "signalcord", "apiKey": self._account(request),
                             "readOnly": 0, "secret": "", "permissions": {
                                 "ContractTrade": ["Order", "Position"], "Spot": [], "Wallet": [], "Options": [],
                                 "Derivatives": [], "CopyTrading": [], "BlockTrade": [], "Exchange": [], "NFT": []},
                             "ips": ["*"], "type": 1, "deadlineDay": 66, "expiredAt": "", "createdAt": "",
                             "unified": 0, "uta": 1, "userID": 24617703, "inviterID": 0, "vipLevel": "No VIP",
                             "mktMakerLevel": "0", "affiliateID": 0})

    async def _account_info(self, request: web.Request) -> web.Response:
        return self._answer({"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN", "isMasterTrader": False,
                             "spotHedgingStatus": "OFF", "updatedTime": str(self.clock_ms), "dcpStatus": "OFF",
                             "timeWindow": 10, "smpGroup": 0})

    async def _wallet(self, request: web.Request) -> web.Response:
        usdt = f"{self.balances['USDT']:.8f}"
        return self._answer({"list": [{"accountType": "UNIFIED", "totalEquity": usdt, "totalWalletBalance": usdt,
                                       "totalAvailableBalance": usdt, "coin": [{
                                           "coin": "USDT", "equity": usdt, "walletBalance": usdt,
                                           # deprecated on unified accounts (Bybit answers an empty string)
                                           "availableToWithdraw": "", "locked": "0", "totalOrderIM": "0",
                                           "totalPositionIM": "0", "unrealisedPnl": "0", "cumRealisedPnl": "0",
                                           "borrowAmount": "", "accruedInterest": ""}]}]})

    async def _positions(self, request: web.Request) -> web.Response:
        symbol = request[PARAMS].get("symbol", "BTCUSDT")
        held = self.positions.get((self._account(request), symbol), 0.0)
        sides = [(1, "Buy"), (2, "Sell")] if self.hedge_mode else [(0, "Buy" if held > 0 else "Sell")]
        return self._answer({"category": "linear", "nextPageCursor": "", "list": [{
            "positionIdx": idx, "symbol": symbol, "side": side if held else "", "size": f"{abs(held):.8f}",
            "avgPrice": "0", "positionValue": "0", "tradeMode": 0, "autoAddMargin": 0, "positionStatus": "Normal",
            "leverage": str(self.leverage.get((self._account(request), symbol), 10)), "markPrice":
            f"{self.prices[symbol]:.2f}", "liqPrice": "", "bustPrice": "", "positionIM": "0", "positionMM": "0",
            "takeProfit": "", "stopLoss": "", "trailingStop": "0", "unrealisedPnl": "0", "cumRealisedPnl": "0",
            "createdTime": str(self.clock_ms), "updatedTime": str(self.clock_ms), "adlRankIndicator": 0,
            "isReduceOnly": False, "riskId": 1} for idx, side in sides]})

    async def _set_leverage(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        book, wanted = (self._account(request), p["symbol"]), int(float(p["buyLeverage"]))
        if self.leverage.get(book, 10) == wanted:
            return self._error(110043, "Set leverage not modified")
        self.leverage[book] = wanted
        return self._answer({})

    async def _set_margin_mode(self, request: web.Request) -> web.Response:
        self.margin_calls += 1  # account-wide on a unified account: Signalcord must never call it
        return self._answer({"reasons": []})

    async def _create(self, request: web.Request) -> web.Response:
        p, account = request[PARAMS], self._account(request)
        link_id, symbol = p.get("orderLinkId") or f"auto-{next(self._ids)}", p["symbol"]
        if any(o.link_id == link_id and o.account == account for o in self.orders):
            return self._error(110072, "OrderLinkedID is duplicate")
        self.position_indexes.append(int(p.get("positionIdx", 0)))
        market, qty = self.prices[symbol], float(p["qty"])
        order = BybitOrder(f"{next(self._ids):08d}-fake-bybit", link_id, symbol, p["side"], p["orderType"], qty,
                           float(p.get("price") or market), bool(p.get("reduceOnly")), self.clock_ms, account,
                           trigger=float(p.get("triggerPrice") or 0), direction=int(p.get("triggerDirection") or 0))
        if order.trigger:
            if order.fires_at(market):
                rising = order.direction == 1
                return self._error(110092 if rising else 110093,
                                   f"expect {'Rising' if rising else 'Falling'}, but trigger_price"
                                   f"[{int(order.trigger * 10_000)}] {'<=' if rising else '>='} current"
                                   f"[{int(market * 10_000)}]??LastPrice")
            order.status = "Untriggered"
        elif order.reduce_only and self._reducible(order) <= 1e-12:
            return self._error(110017, "Reduce-only rule not satisfied")
        need = qty * order.price / self.leverage.get((account, symbol), 10)
        if not order.reduce_only and not order.trigger and need > self.balances["USDT"]:
            return self._error(110007, "ab not enough for new order")
        self.orders.append(order)
        if not order.trigger and (order.type == "Market" or ((market <= order.price) if order.side == "Buy"
                                                              else (market >= order.price))):
            self._fill(order, market, TAKER)
        return self._answer({"orderId": order.order_id, "orderLinkId": order.link_id})

    def _find(self, request: web.Request) -> BybitOrder | None:
        p, account = request[PARAMS], self._account(request)
        return next((o for o in self.orders if o.account == account and o.symbol == p.get("symbol", o.symbol)
                     and (o.order_id == p["orderId"] if p.get("orderId") else o.link_id == p.get("orderLinkId"))),
                    None)

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self._find(request)
        if order is None or order.status not in ACTIVE:
            return self._error(110001, "Order does not exist.")
        order.status, order.updated = ("Cancelled" if order.executed == 0 else "PartiallyFilledCanceled",
                                       self.clock_ms)
        return self._answer({"orderId": order.order_id, "orderLinkId": order.link_id})

    def _listed(self, request: web.Request, active: bool) -> web.Response:
        p, account = request[PARAMS], self._account(request)
        conditional_only = p.get("orderFilter") == "StopOrder"
        found = [o.as_json() for o in reversed(self.orders)
                 if o.account == account and (o.status in ACTIVE) == active
                 and p.get("symbol") in (None, o.symbol) and p.get("orderId") in (None, o.order_id)
                 and p.get("orderLinkId") in (None, o.link_id) and (o.trigger or not conditional_only)]
        return self._answer({"category": "linear", "list": found[:int(p.get("limit", 20))], "nextPageCursor": ""})

    async def _realtime(self, request: web.Request) -> web.Response:
        return self._listed(request, active=True)

    async def _history(self, request: web.Request) -> web.Response:
        return self._listed(request, active=False)
