"""Logging in and out: Discord OAuth2 (PKCE), the bot's one-time link, and the local login (only on this machine
without OAuth). Each login replaces the pre-login session with a fresh id."""

from __future__ import annotations

import hmac
import time

import aiohttp_jinja2
import aiohttp_session
from aiohttp import web

from core.api import Caller
from dashboard import oauth
from dashboard.context import API, STORAGE, page_context
from dashboard.security import CONFIG
from dashboard.sessions import log_in

LOCAL_OWNER = Caller(discord_id=0, name="Local user")
routes = web.RouteTableDef()


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _enter(request: web.Request, who: Caller) -> web.StreamResponse:
    who = who.model_copy(update={"admin": who.admin or who.discord_id in request.app[CONFIG].admins})
    await log_in(request, request.app[STORAGE], who)
    session = await aiohttp_session.get_session(request)
    session["theme"] = (await request.app[API].activity.preferences(who)).theme
    raise web.HTTPSeeOther(request.app.router["overview"].url_for())


@routes.get("/auth/login", name="login")
@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, object]:
    config = request.app[CONFIG]
    return await page_context(request, oauth=config.oauth is not None, local=config.local_login)


@routes.get("/auth/discord", name="discord_login")
async def discord_login(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG].oauth
    if config is None:
        raise web.HTTPNotFound(text="Discord login is not configured on this server: use the link the bot's "
                                    "/dashboard command gives you")
    attempt = oauth.Attempt.start(_now_ms())
    session = await aiohttp_session.get_session(request)
    session["oauth"] = {"state": attempt.state, "verifier": attempt.verifier, "expires_ms": attempt.expires_ms}
    raise web.HTTPFound(oauth.authorize_url(config, attempt))


@routes.get("/auth/discord/callback", name="discord_callback")
async def discord_callback(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG].oauth
    if config is None:
        raise web.HTTPNotFound(text="Discord login is not configured on this server")
    session = await aiohttp_session.get_session(request)
    pending = session.pop("oauth", None)  # single use, whatever happens next
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if not isinstance(pending, dict) or not hmac.compare_digest(str(pending.get("state", "")), state):
        raise web.HTTPBadRequest(text="this login attempt does not match the one this browser started: start again")
    if int(pending.get("expires_ms", 0)) < _now_ms():
        raise web.HTTPBadRequest(text="this login attempt expired (10 minutes): start again")
    if "error" in request.query or not code:
        raise web.HTTPBadRequest(text=f"Discord did not log you in ({request.query.get('error', 'no code')})")
    try:
        who = await oauth.identify(config, code, str(pending["verifier"]))
    except oauth.OAuthRefused as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return await _enter(request, who)


@routes.get("/auth/link/{token}", name="link_login")
async def link_login(request: web.Request) -> web.StreamResponse:
    who = await request.app[API].login_links.redeem(request.match_info["token"])
    return await _enter(request, who)


@routes.post("/auth/local", name="local_login")
async def local_login(request: web.Request) -> web.StreamResponse:
    if not request.app[CONFIG].local_login:
        raise web.HTTPNotFound(text="the local login exists only on this machine, without Discord login configured")
    return await _enter(request, LOCAL_OWNER.model_copy(update={"admin": True}))  # the machine's owner


@routes.post("/auth/logout", name="logout")
async def logout(request: web.Request) -> web.StreamResponse:
    session = await aiohttp_session.get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther(request.app.router["login"].url_for())
