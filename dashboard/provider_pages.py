"""The providers page: the member's subscriptions (priority, subscribe, unsubscribe); for admins the provider
channels (enable, disable, format hints) and the unparsed-message inbox, where a message can be marked as a call
(teaching the provider's format)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from core.api import Invalid
from core.api.risk_fields import setting_value
from dashboard.context import API, caller, page_context
from dashboard.forms import back_to, form_of, prices

routes = web.RouteTableDef()
HINTS = ("default_quote", "default_leverage", "prices_in_satoshis", "language")


@routes.get("/dashboard/providers", name="providers")
@aiohttp_jinja2.template("providers.html")
async def providers(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    api = request.app[API]
    return await page_context(request, subscriptions=await api.subscriptions.list(who),
                              providers=await api.providers.list(),
                              inbox=await api.providers.inbox(who) if who.admin else [], hints=HINTS)


@routes.post("/dashboard/providers/{provider_id}/subscription", name="subscription")
async def subscription(request: web.Request) -> web.StreamResponse:
    who, form = await caller(request), await form_of(request)
    api, provider_id = request.app[API], request.match_info["provider_id"]
    action = form.get("action", "")
    if action == "subscribe":
        done = f"Following {(await api.subscriptions.subscribe(who, provider_id)).provider}"
    elif action == "unsubscribe":
        done = await api.subscriptions.unsubscribe(who, provider_id)
    else:
        try:
            priority = int(form.get("priority", ""))
        except ValueError:
            raise Invalid([f"priority: {form.get('priority', '')!r} is not a whole number"]) from None
        done = f"Priority {(await api.subscriptions.set_priority(who, provider_id, priority)).priority}"
    return back_to(request, "providers", done)


@routes.post("/dashboard/providers/{provider_id}/settings", name="provider_settings")
async def provider_settings(request: web.Request) -> web.StreamResponse:
    who, form = await caller(request), await form_of(request)
    api, provider_id = request.app[API], request.match_info["provider_id"]
    if form.get("action") in ("enable", "disable"):
        shown = await api.providers.set_enabled(who, provider_id, form["action"] == "enable",
                                                form.get("reason", "") or "disabled on the dashboard")
        return back_to(request, "providers", f"{shown.name} {'enabled' if shown.enabled else 'disabled'}")
    changes = {k: setting_value(v) for k, v in form.items() if k in HINTS and v.strip()}
    shown = await api.providers.set_hints(who, provider_id, **changes)
    return back_to(request, "providers", f"{shown.name}: format hints saved")


@routes.post("/dashboard/providers/{provider_id}/teach", name="teach")
async def teach(request: web.Request) -> web.StreamResponse:
    who, form = await caller(request), await form_of(request)
    try:
        numbers = {name: prices(name, form.get(name, "")) for name in ("entries", "take_profits")}
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    try:
        stop = float(form["stop_loss"]) if form.get("stop_loss") else None
        leverage = float(form["leverage"]) if form.get("leverage") else None
    except ValueError:
        raise Invalid(["stop_loss / leverage: numbers, please"]) from None
    reading = {"symbol": form.get("symbol", "").upper(), "side": form.get("side", ""), **numbers,
               "stop_loss": stop, "leverage": leverage}
    count = await request.app[API].providers.teach(who, request.match_info["provider_id"], form.get("text", ""),
                                                   reading)
    return back_to(request, "providers", f"Learnt: this provider now has {count} taught format(s)")
