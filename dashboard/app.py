"""aiohttp application factory: takes the already-built front-end API and the web settings; handlers call the API
and format. Middlewares, outermost first: security headers, the session, errors, rate limits, CSRF."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from core.api import SignalcordAPI
from dashboard import api_v1, auth, live, pages, provider_pages, risk_pages, trading_pages, webhook
from dashboard.config import WebConfig
from dashboard.context import API, STORAGE
from dashboard.security import CONFIG, LIMITER, RateLimits, csrf, errors, headers, rate_limit
from dashboard.sessions import MongoSessionStorage

# aiohttp-session 2.12 keys the request with plain strings (aiohttp 3.14 recommends RequestKey): harmless
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def money(value: float | None, quote: str = "") -> str:
    """An amount with thousands separators and 2 decimals ("—" when unknown)."""
    return "—" if value is None else f"{value:,.2f}" + (f" {quote}" if quote else "")


def num(value: float | None) -> str:
    """A price or size as short as it is exact ("—" when unknown)."""
    return "—" if value is None else f"{value:g}"


def when(epoch_ms: int | None) -> str:
    """A UTC moment from epoch milliseconds ("—" when there is none)."""
    return "—" if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def healthz(request: web.Request) -> web.Response:
    healthy, report = await request.app[API].status.health(request.app[CONFIG].health_timeout)
    return web.json_response(report, status=200 if healthy else 503)


@aiohttp_jinja2.template("status.html")
async def status(request: web.Request) -> dict[str, Any]:
    healthy, report = await request.app[API].status.health(request.app[CONFIG].health_timeout)
    return {"healthy": healthy, "report": report}


async def service_worker(request: web.Request) -> web.FileResponse:
    """Served from the root so it may control every page."""
    response = web.FileResponse(STATIC / "sw.js", headers={"Content-Type": "text/javascript"})
    return response


def create_app(api: SignalcordAPI, config: WebConfig | None = None) -> web.Application:
    config = config or WebConfig(public_url="http://127.0.0.1:8080", local_login=True)
    storage = MongoSessionStorage(api.web_sessions, secure=config.https)
    app = web.Application(middlewares=[headers, session_middleware(storage), errors, rate_limit, csrf],
                          client_max_size=256 * 1024)
    app[API] = api
    app[CONFIG] = config
    app[STORAGE] = storage
    app[LIMITER] = RateLimits(api.rate_windows)
    environment = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    environment.globals["url"] = lambda name, **parts: str(app.router[name].url_for(**parts))
    environment.filters["money"] = money
    environment.filters["num"] = num
    environment.filters["when"] = when
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/status", status, name="status")
    app.router.add_get("/sw.js", service_worker, name="service_worker")
    app.router.add_static("/static/", STATIC, name="static")
    for table in (pages.routes, auth.routes, risk_pages.routes, trading_pages.routes, api_v1.routes, webhook.routes,
                  live.routes, provider_pages.routes):
        app.router.add_routes(table)
    return app
