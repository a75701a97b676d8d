"""aiohttp-session storage backed by the API's web sessions (MongoDB): the cookie holds only a random id;
HttpOnly, SameSite=Lax, Secure over HTTPS. Logging in issues a fresh id and deletes the pre-login session."""

from __future__ import annotations

import json

import aiohttp_session
from aiohttp import web

from core.api.views import Caller
from core.api.web import WebSessions, new_token

COOKIE = "signalcord_session"


class MongoSessionStorage(aiohttp_session.AbstractStorage):
    def __init__(self, sessions: WebSessions, *, secure: bool) -> None:
        super().__init__(cookie_name=COOKIE, secure=secure, httponly=True, samesite="Lax", path="/",
                         encoder=json.dumps, decoder=json.loads)
        self.sessions = sessions

    async def load_session(self, request: web.Request) -> aiohttp_session.Session:
        cookie = self.load_cookie(request)
        data = await self.sessions.load(str(cookie)) if cookie else None
        if data is None:
            return aiohttp_session.Session(None, data=None, new=True, max_age=self.max_age)
        return aiohttp_session.Session(str(cookie), data=data, new=False, max_age=self.max_age)  # type: ignore[arg-type]

    async def save_session(self, request: web.Request, response: web.StreamResponse,
                           session: aiohttp_session.Session) -> None:
        if session.empty:  # logged out or never used: nothing stored, cookie cleared
            if session.identity is not None:
                await self.sessions.delete(str(session.identity))
            if self.load_cookie(request) is not None:
                response.del_cookie(self.cookie_name, path="/")
            return
        key = str(session.identity) if session.identity is not None else new_token()
        await self.sessions.save(key, dict(self._get_session_data(session)))
        self.save_cookie(response, key, max_age=session.max_age)

    async def forget(self, request: web.Request) -> None:
        """Delete the session the request came with (before a login replaces it with a fresh id)."""
        cookie = self.load_cookie(request)
        if cookie:
            await self.sessions.delete(str(cookie))


async def log_in(request: web.Request, storage: MongoSessionStorage, who: Caller) -> None:
    await storage.forget(request)
    session = await aiohttp_session.new_session(request)
    session["discord_id"] = who.discord_id
    session["name"] = who.name
    session["admin"] = who.admin
    session["csrf"] = new_token()


async def current(request: web.Request) -> Caller | None:
    session = await aiohttp_session.get_session(request)
    discord_id = session.get("discord_id")
    return None if discord_id is None else Caller(discord_id=int(discord_id), name=str(session.get("name", "")),
                                                  admin=bool(session.get("admin", False)))
