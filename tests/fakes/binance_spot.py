"""Binance spot's own rules, as the fake Binance applies them to /api/v3 orders (Binance's documented behaviour,
the inconvenient parts included):

- a resting order holds what it would spend: a sell its unfilled coins, a buy limit its quote; a new order that
  needs more than is free is refused (-2010 insufficient balance) — so a stop and a target cannot both rest on
  the same coins, and an exit cannot sell coins a resting stop holds;
- the commission is taken from the asset received: a buy pays it in the coin bought (0.01 BTC bought at 0.1 %
  leaves 0.00999 BTC), a sell in the quote;
- STOP_LOSS_LIMIT (quantity, price, stopPrice, timeInForce) rests untriggered until the price reaches its stop,
  then works as a limit at its price: it fills at once if the market is at or better than that limit, else it
  waits on the book; a stop the price has already passed is refused (-2010 "Stop price would trigger
  immediately.");
- cancel-replace (POST /api/v3/order/cancelReplace) cancels an order and places a new one in one request: with
  STOP_ON_FAILURE a failed cancel places nothing; with ALLOW_FAILURE the new order is tried anyway. All done: 200;
  one of the two failed: 409, -2021 "Order cancel-replace partially failed."; both (or the cancel, and nothing
  tried): 400, -2022 "Order cancel-replace failed."; the outcome of each is in `data`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

KINDS = ("MARKET", "LIMIT", "STOP_LOSS_LIMIT")
PASSED = "Stop price would trigger immediately."
NO_FUNDS = "Account has insufficient balance for requested action."


class SpotOrder(Protocol):
    symbol: str
    side: str
    type: str
    qty: float
    executed: float
    price: float
    status: str
    account: str
    futures: bool
    stop: float
    triggered: bool


def held(orders: Iterable[SpotOrder], account: str, asset: str, assets: dict[str, tuple[str, str]]) -> float:
    """What the account's open spot orders hold of `asset` (`assets`: symbol -> (base, quote))."""
    total = 0.0
    for order in orders:
        if order.futures or order.account != account or order.status not in ("NEW", "PARTIALLY_FILLED"):
            continue
        base, quote = assets[order.symbol]
        rest = order.qty - order.executed
        if order.side == "SELL" and asset == base:
            total += rest
        elif order.side == "BUY" and order.type != "MARKET" and asset == quote:
            total += rest * order.price
    return total


def refusal(p: dict[str, str], market: float, free: dict[str, float], base: str, quote: str
            ) -> tuple[int, str] | None:
    """Why Binance spot refuses this new order (its code and message), or None. `free`: the account's free
    balances (what its resting orders do not hold)."""
    kind, side, qty = p["type"], p["side"], float(p["quantity"])
    if kind not in KINDS:
        return -1116, "Invalid orderType."
    if kind == "STOP_LOSS_LIMIT":
        missing = [name for name in ("price", "stopPrice", "timeInForce") if name not in p]
        if missing:
            return -1102, f"Mandatory parameter '{missing[0]}' was not sent, was empty/null, or malformed."
        stop = float(p["stopPrice"])
        if (market <= stop) if side == "SELL" else (market >= stop):
            return -2010, PASSED
    if side == "SELL" and qty > free.get(base, 0.0) + 1e-12:
        return -2010, NO_FUNDS
    price = market if kind == "MARKET" else float(p["price"])
    if side == "BUY" and qty * price > free.get(quote, 0.0) + 1e-9:
        return -2010, NO_FUNDS
    return None


def triggers(order: SpotOrder, price: float) -> bool:
    """Whether `price` reaches an untriggered stop-loss-limit's stop."""
    if order.type != "STOP_LOSS_LIMIT" or order.triggered:
        return False
    return price <= order.stop if order.side == "SELL" else price >= order.stop


def reaches(order: SpotOrder, price: float) -> bool:
    """Whether a working limit (a plain limit, or a stop-limit once triggered) fills at `price`."""
    if order.type == "STOP_LOSS_LIMIT" and not order.triggered:
        return False
    return price <= order.price if order.side == "BUY" else price >= order.price


def settle(balances: dict[str, float], side: str, amount: float, cost: float, rate: float, base: str,
           quote: str) -> tuple[float, str]:
    """Move the coins and the quote of a spot fill; the commission comes out of what was received. Returns the
    commission and its asset."""
    if side == "BUY":
        fee = amount * rate
        balances[base] = balances.get(base, 0.0) + amount - fee
        balances[quote] = balances.get(quote, 0.0) - cost
        return fee, base
    fee = cost * rate
    balances[base] = balances.get(base, 0.0) - amount
    balances[quote] = balances.get(quote, 0.0) + cost - fee
    return fee, quote


def order_fields(order: SpotOrder) -> dict[str, Any]:
    """What a spot order's JSON says of its stop (Binance: `stopPrice`, and `isWorking` false until triggered)."""
    stop = order.type == "STOP_LOSS_LIMIT"
    return {"stopPrice": f"{order.stop:.8f}" if stop else "0.00000000",
            "isWorking": order.triggered if stop else True}


def cancel_replaced(p: dict[str, str], cancelled: dict[str, Any] | None, place: Callable[[], Any],
                    answer: Callable[[Any], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """The answer (HTTP status, body) to a cancel-replace whose cancel gave `cancelled` (the order cancelled, or
    None when there was no open order to cancel); `place` places the new order (an order, or (code, message))."""
    cancel = cancelled if cancelled is not None else {"code": -2011, "msg": "Unknown order sent."}
    if cancelled is None and p.get("cancelReplaceMode", "STOP_ON_FAILURE") == "STOP_ON_FAILURE":
        return 400, {"code": -2022, "msg": "Order cancel-replace failed.",
                     "data": {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED", "cancelResponse": cancel,
                              "newOrderResponse": None}}
    placed = place()
    new = {"code": placed[0], "msg": placed[1]} if isinstance(placed, tuple) else answer(placed)
    outcome = {"cancelResult": "SUCCESS" if cancelled is not None else "FAILURE",
               "newOrderResult": "FAILURE" if isinstance(placed, tuple) else "SUCCESS",
               "cancelResponse": cancel, "newOrderResponse": new}
    if cancelled is not None and not isinstance(placed, tuple):
        return 200, outcome
    if cancelled is None and isinstance(placed, tuple):
        return 400, {"code": -2022, "msg": "Order cancel-replace failed.", "data": outcome}
    return 409, {"code": -2021, "msg": "Order cancel-replace partially failed.", "data": outcome}
