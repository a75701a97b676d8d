"""The JSON API under /api/v1/: the same data and actions as the pages, the same session login (and CSRF token,
in the X-CSRF-Token header, for changes). Answers are the API's own pydantic views."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from core.api import Invalid
from core.api.risk_fields import setting_value
from dashboard.context import API, caller
from dashboard.risk_pages import CALC_FIELDS, parse_calc

routes = web.RouteTableDef()


def _json(value: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(value, BaseModel):
        return web.json_response(value.model_dump(mode="json"), status=status)
    if isinstance(value, list):
        return web.json_response([v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value],
                                 status=status)
    return web.json_response(value, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Invalid(["the body is not JSON"]) from None
    if not isinstance(body, dict):
        raise Invalid(["send a JSON object"])
    return body


@routes.get("/api/v1/calc", name="api_calc")
async def calc(request: web.Request) -> web.Response:
    who = await caller(request)
    try:
        values = parse_calc({k: request.query.get(k, "") for k in CALC_FIELDS})
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    return _json((await request.app[API].accounts.calculate(who, **values)).as_dict())


@routes.get("/api/v1/risk", name="api_risk")
async def risk(request: web.Request) -> web.Response:
    return _json(await request.app[API].risk.show(await caller(request)))


@routes.patch("/api/v1/risk", name="api_risk_patch")
async def risk_patch(request: web.Request) -> web.Response:
    who = await caller(request)
    changes = {k: setting_value(v) if isinstance(v, str) else v for k, v in (await _body(request)).items()}
    return _json(await request.app[API].risk.patch(who, changes))


@routes.get("/api/v1/standing", name="api_standing")
async def standing(request: web.Request) -> web.Response:
    return _json(await request.app[API].standing.now(await caller(request)))


@routes.get("/api/v1/positions", name="api_positions")
async def positions(request: web.Request) -> web.Response:
    who = await caller(request)
    return _json(await request.app[API].positions.open(who))


@routes.post("/api/v1/positions/{position_id}/close", name="api_close")
async def close(request: web.Request) -> web.Response:
    who = await caller(request)
    return _json({"message": await request.app[API].positions.close(who, request.match_info["position_id"])})


@routes.get("/api/v1/exchanges", name="api_exchanges")
async def exchanges(request: web.Request) -> web.Response:
    return _json(await request.app[API].accounts.list(await caller(request)))
