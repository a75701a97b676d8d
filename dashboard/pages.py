"""The overview, analytics and settings pages: each handler reads the caller, calls the API, renders."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import aiohttp_session
from aiohttp import web

from core.api.feed import OUTCOMES
from dashboard.context import API, caller, page_context
from dashboard.forms import back_to, form_of
from dashboard.security import CONFIG

routes = web.RouteTableDef()


@routes.get("/", name="index")
async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["overview"].url_for())


@routes.get("/dashboard", name="overview")
@aiohttp_jinja2.template("overview.html")
async def overview(request: web.Request) -> dict[str, Any]:
    seen = await request.app[API].standing.overview(await caller(request))
    return await page_context(request, standing=seen.standing, positions=seen.positions,
                              notifications=seen.notifications)


@routes.post("/dashboard/resume", name="resume")
async def resume(request: web.Request) -> web.StreamResponse:
    await request.app[API].risk.resume(await caller(request))
    return back_to(request, "overview", "Trading resumed")


@routes.post("/dashboard/pause", name="pause")
async def pause(request: web.Request) -> web.StreamResponse:
    await request.app[API].risk.pause(await caller(request))
    return back_to(request, "overview", "Trading paused: no new positions until you resume")


@routes.get("/dashboard/signals", name="signals")
@aiohttp_jinja2.template("signals.html")
async def signals(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    api = request.app[API]
    chosen = {k: request.query.get(k) or None for k in ("provider_id", "symbol", "outcome")}
    items = await api.feed.signals(who, provider_id=chosen["provider_id"], symbol=chosen["symbol"],
                                   outcome=chosen["outcome"])
    return await page_context(request, items=items, chosen=chosen,
                              outcomes=OUTCOMES, subscriptions=await api.subscriptions.list(who))


@routes.get("/dashboard/status", name="admin_status")
@aiohttp_jinja2.template("admin_status.html")
async def admin_status(request: web.Request) -> dict[str, Any]:
    report = await request.app[API].status.report(await caller(request), request.app[CONFIG].health_timeout)
    return await page_context(request, report=report)


@routes.get("/dashboard/analytics", name="analytics")
@aiohttp_jinja2.template("analytics.html")
async def analytics(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    period = request.query.get("period", "month")
    api = request.app[API]
    return await page_context(request, period=period, pnl=await api.activity.pnl(who, period),
                              leaderboard=await api.activity.leaderboard(who, period))


@routes.get("/dashboard/settings", name="settings")
@aiohttp_jinja2.template("settings.html")
async def settings(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    api = request.app[API]
    return await page_context(request, prefs=await api.activity.preferences(who), profile=await api.risk.show(who),
                              history=await api.activity.notifications(who, limit=50))


@routes.post("/dashboard/settings", name="save_settings")
async def save_settings(request: web.Request) -> web.StreamResponse:
    who = await caller(request)
    form = await form_of(request)
    api = request.app[API]
    if "timezone" in form:
        await api.risk.set_timezone(who, form["timezone"])
    if "summary_at" in form:
        await api.activity.set_summary(who, form["summary_at"] or None)
    if "dm_enabled" in form:
        await api.activity.set_dm(who, form["dm_enabled"] == "on")
    for topic in (await api.activity.preferences(who)).topics:
        if not topic.locked and f"topic_{topic.topic}" in form:
            await api.activity.set_topic(who, topic.topic, form[f"topic_{topic.topic}"] == "on")
    return back_to(request, "settings", "Settings saved")


@routes.post("/dashboard/theme", name="theme")
async def theme(request: web.Request) -> web.StreamResponse:
    who = await caller(request)
    form = await form_of(request)
    chosen = form.get("theme") or ("light" if (await request.app[API].activity.preferences(who)).theme == "dark"
                                   else "dark")
    saved = await request.app[API].activity.set_theme(who, chosen)
    (await aiohttp_session.get_session(request))["theme"] = saved.theme
    return back_to(request, "overview", f"{chosen.capitalize()} theme")
