"""What every handler shares: the app's keys, the logged-in caller (or a redirect to the login page), and what
every page template receives (user, CSRF token, theme, demo label)."""

from __future__ import annotations

from typing import Any

import aiohttp_session
from aiohttp import web

from core.api import Caller, SignalcordAPI
from core.api.web import new_token
from dashboard.security import CONFIG, wants_json
from dashboard.sessions import MongoSessionStorage, current

API = web.AppKey("api", SignalcordAPI)
STORAGE = web.AppKey("session_storage", MongoSessionStorage)


async def caller(request: web.Request) -> Caller:
    """The logged-in user; a browser without a login goes to the login page, an API client gets 401."""
    who = await current(request)
    if who is None:
        if wants_json(request):
            raise web.HTTPUnauthorized(text="log in first", headers={"WWW-Authenticate": 'Cookie realm="signalcord"'})
        raise web.HTTPSeeOther(request.app.router["login"].url_for())
    return who


async def csrf_token(request: web.Request) -> str:
    session = await aiohttp_session.get_session(request)
    if "csrf" not in session:
        session["csrf"] = new_token()
    return str(session["csrf"])


async def page_context(request: web.Request, **extra: Any) -> dict[str, Any]:
    """What every page gets; the theme is kept in the session (saved on the user, copied at login and on change)."""
    session = await aiohttp_session.get_session(request)
    return {"user": await current(request), "csrf": await csrf_token(request), "theme": session.get("theme", "dark"),
            "demo": request.app[CONFIG].demo, "path": request.path, **extra}
