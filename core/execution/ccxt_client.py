"""The ccxt client as Signalcord uses it: one place that builds an exchange client (its market type, rate
limiter, sandbox, and a local base URL in tests) and maps every ccxt error to the engine's outcome classes
(final / rate limited / unknown, see core.execution.gateway), and reads a ccxt order as the engine's report."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import ccxt.async_support as ccxt

from core.clock import from_ms
from core.domain import OrderSide, OrderStatus
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected, OrderResult, RateLimited
from core.execution.venue_ways import perpetual_types


class DuplicateClientId(Exception):
    """The exchange already has an order with this client id: the earlier attempt landed."""


class AlreadySet(Exception):
    """A setting call found the setting already in place (ccxt NoChange)."""


@asynccontextmanager
async def mapped(action: str) -> AsyncIterator[None]:
    """Translate ccxt's exceptions into the engine's outcome classes (see core.execution.gateway)."""
    try:
        yield
    except ccxt.NoChange as exc:  # "already set": the state asked for is the state there
        raise AlreadySet(str(exc)) from None
    except ccxt.DuplicateOrderId as exc:
        raise DuplicateClientId(str(exc)) from None
    except ccxt.InsufficientFunds as exc:
        raise OrderRejected(f"insufficient funds on the exchange ({short(exc)})", "funds") from None
    except ccxt.AuthenticationError as exc:
        raise OrderRejected(f"the exchange refused the API key ({short(exc)})", "auth") from None
    except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
        raise RateLimited(f"{action}: rate limited ({short(exc)})") from None
    except ccxt.OrderImmediatelyFillable as exc:
        raise OrderRejected(f"the trigger would fire immediately ({short(exc)})", "triggered") from None
    except ccxt.InvalidOrder as exc:
        if "duplicate" in str(exc).lower():
            raise DuplicateClientId(str(exc)) from None
        if passed_trigger(exc):
            raise OrderRejected(f"the trigger would fire immediately ({short(exc)})", "triggered") from None
        raise OrderRejected(f"the exchange refused the order ({short(exc)})", "invalid") from None
    except ccxt.BadRequest as exc:
        if "not modified" in str(exc).lower():  # e.g. Bybit 110043 "Set leverage not modified": already so
            raise AlreadySet(str(exc)) from None
        raise OrderRejected(f"the exchange refused the request ({short(exc)})", "invalid") from None
    except (ccxt.BadSymbol, ccxt.NotSupported) as exc:
        raise OrderRejected(f"the exchange refused the request ({short(exc)})", "invalid") from None
    except ccxt.OperationFailed as exc:  # NetworkError, RequestTimeout, ExchangeNotAvailable, ...
        raise OrderOutcomeUnknown(f"{action}: {type(exc).__name__} ({short(exc)})") from None
    except ccxt.ExchangeError as exc:
        if passed_trigger(exc):  # Binance -2021, which ccxt classifies only on its own hosts
            raise OrderRejected(f"the trigger would fire immediately ({short(exc)})", "triggered") from None
        if "insufficient" in str(exc).lower():  # e.g. Binance futures -2019, which ccxt leaves unclassified
            raise OrderRejected(f"insufficient funds on the exchange ({short(exc)})", "funds") from None
        # an error we cannot classify: assume it may have landed
        raise OrderOutcomeUnknown(f"{action}: {type(exc).__name__} ({short(exc)})") from None


# a conditional order refused because the price is already past its trigger: Binance -2021, Bybit 110092/110093
PASSED_TRIGGER = ("immediately trigger", "expect rising", "expect falling")


def passed_trigger(exc: Exception) -> bool:
    return any(text in str(exc).lower() for text in PASSED_TRIGGER)


def fees_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    fees: list[dict[str, Any]] = order.get("fees") or ([order["fee"]] if order.get("fee") else [])
    return fees


def short(exc: BaseException) -> str:
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
    default_type, market_type = perpetual_types(exchange_id) if futures else ("spot", "spot")
    exchange = getattr(ccxt, exchange_id)({
        **config, **pace, "enableRateLimit": True,
        # no margin-pair lists either (Binance spot reads them from /sapi: Signalcord trades no spot margin)
        "options": {"defaultType": default_type, "fetchCurrencies": False, "fetchMargins": False,
                    "fetchMarkets": {"types": [market_type]}, **(options or {})},
    })
    # currencies are not needed to trade, and some venues read them from a private endpoint (Bybit's coin info)
    # that a trade-only key may not reach: load markets alone
    exchange.has["fetchCurrencies"] = False
    if sandbox:
        exchange.set_sandbox_mode(True)
    return point_at(exchange, base_url) if base_url is not None else exchange


def replace_outcome(exc: Exception) -> dict[str, Any]:
    """What each half of a cancel-replace did, from the venue's answer when one half or both failed (Binance -2021
    "partially failed" / -2022 "failed": ccxt raises with the answer in the message). Anything else is raised as it
    came, for `mapped` to classify."""
    text = str(exc)
    if "cancel-replace" not in text or "{" not in text:
        raise exc
    try:
        data = json.loads(text[text.index("{"):]).get("data")
    except ValueError:
        raise exc from None
    if not isinstance(data, dict):
        raise exc
    return data


_STATUS = {"closed": OrderStatus.FILLED, "canceled": OrderStatus.CANCELLED, "cancelled": OrderStatus.CANCELLED,
           "expired": OrderStatus.EXPIRED, "rejected": OrderStatus.REJECTED}


def order_result(order: dict[str, Any], client_order_id: str, quote: str, source: str) -> OrderResult:
    """A ccxt order as the engine sees it: its status (an order ended part-filled is EXPIRED), fills, fee (in
    `quote` when the venue names no currency) and the time it last traded; `source` names the venue."""
    filled = float(order.get("filled") or 0.0)
    status = _STATUS.get(order.get("status") or "", OrderStatus.OPEN)
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    amount = float(order.get("amount") or 0.0)
    if status is OrderStatus.FILLED and filled < amount * (1 - 1e-9):
        status = OrderStatus.EXPIRED  # ended with only part filled (Bybit PartiallyFilledCanceled)
    fees = fees_of(order)
    fee = sum(float(f.get("cost") or 0.0) for f in fees)
    currency = str(next((f.get("currency") for f in fees if f.get("currency")), quote))
    # a fill is dated when it traded (a stop placed yesterday and hit today is today's loss), not when placed
    stamp = (order.get("lastTradeTimestamp") if filled > 0 else None) or order.get("timestamp")
    at = from_ms(stamp) if stamp else datetime.now(UTC)
    symbol = str(order.get("symbol") or "").split(":")[0]
    side = OrderSide(order["side"]) if order.get("side") in ("buy", "sell") else None
    return OrderResult(
        client_order_id=order.get("clientOrderId") or client_order_id, exchange_order_id=str(order.get("id")),
        status=status, filled=filled, average_price=float(order["average"]) if order.get("average") else None,
        fee=fee, fee_currency=currency, at=at, price_source=source, symbol=symbol, side=side,
        order_type=str(order.get("type") or ""), amount=amount,
        price=float(order["price"]) if order.get("price") else None,
        stop_price=float(order["triggerPrice"]) if order.get("triggerPrice") else None,
        reduce_only=bool(order.get("reduceOnly")))
