"""The JSON API under /api/v1/: the same data and actions as the pages, the same session login (and the CSRF
token, in the X-CSRF-Token header, for changes). Handlers are typed with pydantic (aiohttp-pydantic validates
their input); the OpenAPI document at /api/v1/openapi.json is generated from those same signatures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web
from aiohttp_pydantic.decorator import inject_params
from aiohttp_pydantic.oas.typing import r200, r401, r403, r404, r422
from aiohttp_pydantic.oas.view import generate_oas
from pydantic import BaseModel, Field, RootModel, ValidationError

from core.api import Invalid
from core.api.feed import FeedItemView
from core.api.market import CandleView, PriceView
from core.api.risk_fields import setting_value
from core.api.standing import StandingView
from core.api.views import AccountView, NotificationView, OrderView, PositionView, ProfileView
from core.risk.calculator import CalcResult
from dashboard.context import API, caller
from dashboard.risk_pages import parse_calc
from dashboard.security import Problem

routes = web.RouteTableDef()


class Message(BaseModel):
    message: str


class RiskChanges(RootModel[dict[str, Any]]):
    """Risk-profile fields to change: {"risk_pct": 0.5, "max_leverage": 10} (text is read as typed in Discord)."""


async def _refused(error: ValidationError, context: str) -> web.StreamResponse:
    lines = [f"{'.'.join(str(p) for p in e['loc']) or context}: {e['msg']}" for e in error.errors()]
    raise Invalid(lines)


_inject = inject_params(on_validation_error=_refused).and_request
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def params(handler: Callable[..., Awaitable[Any]]) -> Handler:
    """aiohttp-pydantic's injection: the handler's query, path and body parameters are validated from its
    signature, and the result takes only the request (as aiohttp calls it)."""
    return cast(Handler, _inject(handler))


def _json(value: BaseModel | list[Any]) -> web.Response:
    if isinstance(value, list):
        return web.json_response([v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value])
    return web.json_response(value.model_dump(mode="json"))


@routes.get("/api/v1/calc", name="api_calc")
@params
async def calc(request: web.Request, entry: str, stop: str, targets: str = "", leverage: str = "",
               balance: str = "") -> r200[CalcResult] | r401[Problem] | r422[Problem]:
    """The position calculator on your balance (or `balance`), risk profile, open positions and today's losses."""
    who = await caller(request)
    try:
        values = parse_calc({"entry": entry, "stop": stop, "targets": targets, "leverage": leverage,
                             "balance": balance})
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    return _json(await request.app[API].accounts.calculate(who, **values))


@routes.get("/api/v1/risk", name="api_risk")
@params
async def risk(request: web.Request) -> r200[ProfileView] | r401[Problem]:
    """Your risk profile, timezone, pause state and presets."""
    return _json(await request.app[API].risk.show(await caller(request)))


@routes.patch("/api/v1/risk", name="api_risk_patch")
@params
async def risk_patch(request: web.Request, changes: RiskChanges) -> r200[ProfileView] | r403[Problem] | r422[Problem]:
    """Change risk-profile fields; a refused value answers 422 naming the field and its allowed range."""
    who = await caller(request)
    values = {k: setting_value(v) if isinstance(v, str) else v for k, v in changes.root.items()}
    return _json(await request.app[API].risk.patch(who, values))


@routes.get("/api/v1/standing", name="api_standing")
@params
async def standing(request: web.Request) -> r200[StandingView] | r401[Problem]:
    """Equity, today's loss against the daily limit, and each open position's risk (portfolio heat)."""
    return _json(await request.app[API].standing.now(await caller(request)))


@routes.get("/api/v1/positions", name="api_positions")
@params
async def positions(request: web.Request) -> r200[list[PositionView]] | r401[Problem]:
    """Your open positions with who holds their stop."""
    return _json(await request.app[API].positions.open(await caller(request)))


@routes.get("/api/v1/positions/history", name="api_history")
@params
async def history(request: web.Request, limit: int = 50) -> r200[list[PositionView]] | r401[Problem] | r422[Problem]:
    """Your closed positions, newest first."""
    if not 1 <= limit <= 500:
        raise Invalid(["limit: 1-500"])
    return _json(await request.app[API].positions.history(await caller(request), limit=limit))


@routes.post("/api/v1/positions/{position_id}/close", name="api_close")
@params
async def close(request: web.Request, position_id: str, /) -> r200[Message] | r403[Problem] | r404[Problem]:
    """Close one of your positions at the market."""
    who = await caller(request)
    return _json(Message(message=await request.app[API].positions.close(who, position_id)))


@routes.get("/api/v1/orders", name="api_orders")
@params
async def orders(request: web.Request) -> r200[list[OrderView]] | r401[Problem]:
    """Your working orders (entries, stops, targets)."""
    return _json(await request.app[API].positions.orders(await caller(request)))


@routes.post("/api/v1/orders/{order_id}/cancel", name="api_cancel")
@params
async def cancel(request: web.Request, order_id: str, /) -> r200[Message] | r403[Problem] | r404[Problem]:
    """Cancel a working entry order (a stop or target that protects a position is refused)."""
    who = await caller(request)
    return _json(Message(message=await request.app[API].positions.cancel_order(who, order_id)))


class EntryPrice(BaseModel):
    price: float = Field(description="the new limit price of the waiting entry")


@routes.post("/api/v1/orders/{order_id}/price", name="api_reprice")
@params
async def reprice(request: web.Request, order_id: str, /, body: EntryPrice
                  ) -> r200[Message] | r403[Problem] | r404[Problem] | r422[Problem]:
    """Move a waiting limit entry to a new price: the old order is cancelled, then the new one sent for what it left
    unfilled, never with more risk to your stop or more value than before (a refused price answers 422 with why)."""
    who = await caller(request)
    return _json(Message(message=await request.app[API].positions.reprice_entry(who, order_id, body.price)))


@routes.get("/api/v1/exchanges", name="api_exchanges")
@params
async def exchanges(request: web.Request) -> r200[list[AccountView]] | r401[Problem]:
    """Your exchange accounts (never a key or secret)."""
    return _json(await request.app[API].accounts.list(await caller(request)))


@routes.delete("/api/v1/exchanges/{account_id}", name="api_remove_exchange")
@params
async def remove_exchange(request: web.Request, account_id: str, /) -> r200[Message] | r403[Problem] | r404[Problem]:
    """Remove an exchange account and delete its keys (refused while it has open positions)."""
    who = await caller(request)
    return _json(Message(message=await request.app[API].accounts.remove(who, account_id)))


@routes.get("/api/v1/notifications", name="api_notifications")
@params
async def notifications(request: web.Request, limit: int = 20
                        ) -> r200[list[NotificationView]] | r401[Problem] | r422[Problem]:
    """Your latest notifications (what was sent, or why it was not)."""
    if not 1 <= limit <= 200:
        raise Invalid(["limit: 1-200"])
    return _json(await request.app[API].activity.notifications(await caller(request), limit=limit))


@routes.get("/api/v1/signals", name="api_signals")
@params
async def signals(request: web.Request, provider_id: str = "", symbol: str = "", outcome: str = "",
                  limit: int = 50) -> r200[list[FeedItemView]] | r401[Problem] | r422[Problem]:
    """Calls from the providers you follow, newest first, with what was decided for you and why."""
    who = await caller(request)
    return _json(await request.app[API].feed.signals(who, provider_id=provider_id or None, symbol=symbol or None,
                                                     outcome=outcome or None, limit=limit))


@routes.get("/api/v1/market/prices", name="api_prices")
@params
async def prices(request: web.Request, symbols: str) -> r200[list[PriceView]] | r401[Problem] | r422[Problem]:
    """Current prices, e.g. ?symbols=BTC/USDT,ETH/USDT (at most 20)."""
    await caller(request)
    return _json(await request.app[API].market.prices(symbols.split(",")))


@routes.get("/api/v1/market/candles/{symbol}", name="api_candles")
@params
async def candles(request: web.Request, symbol: str, /, timeframe: str = "1h", limit: int = 100
                  ) -> r200[list[CandleView]] | r401[Problem] | r422[Problem]:
    """Closed candles of one symbol (BTC-USDT or BTC/USDT in the path)."""
    await caller(request)
    return _json(await request.app[API].market.candles(symbol.replace("-", "/"), timeframe, limit))


@routes.get("/api/v1/openapi.json", name="api_openapi")
async def openapi(request: web.Request) -> web.Response:
    """This API's OpenAPI 3 document, generated from the handlers' pydantic signatures."""
    document = generate_oas([request.app], version_spec="1", title_spec="Signalcord dashboard API")
    document["paths"] = {path: {method: spec for method, spec in item.items() if method != "head"}
                         for path, item in document.get("paths", {}).items() if path.startswith("/api/v1/")}
    document["components"].setdefault("securitySchemes", {}).update({
        "session": {"type": "apiKey", "in": "cookie", "name": "signalcord_session"},
        "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}})
    document["security"] = [{"session": []}]
    return web.json_response(document)


__all__ = ["Problem", "routes"]
