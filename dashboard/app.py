"""aiohttp application factory: takes the already-built front-end API; handlers call one API function each."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from core.api import SignalcordAPI

API = web.AppKey("api", SignalcordAPI)
HEALTH_TIMEOUT = web.AppKey("health_timeout", float)
TEMPLATES = Path(__file__).with_name("templates")


async def healthz(request: web.Request) -> web.Response:
    healthy, report = await request.app[API].status.health(request.app[HEALTH_TIMEOUT])
    return web.json_response(report, status=200 if healthy else 503)


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, object]:
    healthy, report = await request.app[API].status.health(request.app[HEALTH_TIMEOUT])
    return {"healthy": healthy, "report": report}


def create_app(api: SignalcordAPI, *, health_timeout: float = 3.0) -> web.Application:
    app = web.Application()
    app[API] = api
    app[HEALTH_TIMEOUT] = health_timeout
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/", index, name="index")
    return app
