"""Positions, orders and exchange accounts: list, close one or all, cancel, move a stop, re-price a waiting entry;
add and remove accounts (keys go straight to the API, which seals them; nothing here keeps, logs or renders a
secret)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from core.api.accounts import EXCHANGES
from dashboard import forms
from dashboard.context import API, caller, page_context
from dashboard.forms import back_to, form_of

routes = web.RouteTableDef()


@routes.get("/dashboard/positions", name="positions")
@aiohttp_jinja2.template("positions.html")
async def positions(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    api = request.app[API]
    return await page_context(request, open=await api.positions.open(who), orders=await api.positions.orders(who),
                              history=await api.positions.history(who, limit=100))


@routes.post("/dashboard/positions/{position_id}/close", name="close_position")
async def close_position(request: web.Request) -> web.StreamResponse:
    message = await request.app[API].positions.close(await caller(request), request.match_info["position_id"])
    return back_to(request, "positions", message)


@routes.post("/dashboard/positions/close-all", name="close_all")
async def close_all(request: web.Request) -> web.StreamResponse:
    lines = await request.app[API].positions.close_all(await caller(request))
    return back_to(request, "positions", "; ".join(lines) or "No open positions")


@routes.post("/dashboard/positions/{position_id}/stop", name="move_stop")
async def move_stop(request: web.Request) -> web.StreamResponse:
    price = forms.price("stop", (await form_of(request)).get("price", ""))
    moved = await request.app[API].positions.move_stop(await caller(request), request.match_info["position_id"], price)
    return back_to(request, "positions", f"{moved.symbol}: stop moved to {price:g}")


@routes.post("/dashboard/orders/{order_id}/price", name="reprice_entry")
async def reprice_entry(request: web.Request) -> web.StreamResponse:
    price = forms.price("entry price", (await form_of(request)).get("price", ""))
    message = await request.app[API].positions.reprice_entry(await caller(request), request.match_info["order_id"],
                                                             price)
    return back_to(request, "positions", message)


@routes.post("/dashboard/orders/{order_id}/cancel", name="cancel_order")
async def cancel_order(request: web.Request) -> web.StreamResponse:
    message = await request.app[API].positions.cancel_order(await caller(request), request.match_info["order_id"])
    return back_to(request, "positions", message)


@routes.get("/dashboard/exchanges", name="exchanges")
@aiohttp_jinja2.template("exchanges.html")
async def exchanges(request: web.Request) -> dict[str, Any]:
    who = await caller(request)
    return await page_context(request, accounts=await request.app[API].accounts.list(who), exchanges=EXCHANGES)


@routes.post("/dashboard/exchanges", name="add_exchange")
async def add_exchange(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    added = await request.app[API].accounts.add(
        await caller(request), exchange=form.get("exchange", ""), label=form.get("label", ""),
        api_key=form.get("api_key", ""), api_secret=form.get("api_secret", ""),
        passphrase=form.get("passphrase") or None, mode=form.get("mode", "paper"), confirm=form.get("confirm", ""),
        market=form.get("market", "futures"))
    return back_to(request, "exchanges", f"{added.label} added in {added.mode} mode: " + "; ".join(added.key_check))


@routes.post("/dashboard/exchanges/{account_id}/check", name="check_exchange")
async def check_exchange(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    account = await request.app[API].accounts.check(await caller(request), request.match_info["account_id"],
                                                    form.get("mode", ""), form.get("confirm", ""))
    return back_to(request, "exchanges", f"{account.label} now trades in {account.mode} mode: "
                   + "; ".join(account.key_check))


@routes.post("/dashboard/exchanges/{account_id}/remove", name="remove_exchange")
async def remove_exchange(request: web.Request) -> web.StreamResponse:
    message = await request.app[API].accounts.remove(await caller(request), request.match_info["account_id"])
    return back_to(request, "exchanges", message)


@routes.post("/dashboard/exchanges/{account_id}/mode", name="exchange_mode")
async def exchange_mode(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    account = await request.app[API].accounts.set_mode(await caller(request), request.match_info["account_id"],
                                                       form.get("mode", ""))
    return back_to(request, "exchanges", f"{account.label} now trades in {account.mode} mode")


@routes.post("/dashboard/exchanges/{account_id}/default", name="exchange_default")
async def exchange_default(request: web.Request) -> web.StreamResponse:
    account = await request.app[API].accounts.set_default(await caller(request), request.match_info["account_id"])
    return back_to(request, "exchanges", f"{account.label} is your default account")
