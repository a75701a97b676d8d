"""The dashboard's logins: server-side sessions (the cookie holds only a random id) and the bot's one-time login
links. Tokens are stored as their SHA-256, so a copy of the database logs nobody in. Web sessions run on the
wall clock (a replayed market clock must not expire them)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from core.api.errors import Forbidden
from core.api.views import Caller
from core.clock import Clock, epoch_ms, system_clock
from models import LoginLink, WebSession
from models.query import where

LINK_TTL_MS = 5 * 60_000


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionRules:
    idle_s: int = 12 * 3600  # no request for this long: logged out
    absolute_s: int = 7 * 24 * 3600  # logged in this long: log in again


class WebSessions:
    def __init__(self, clock: Clock = system_clock, rules: SessionRules | None = None) -> None:
        self.clock = clock
        self.rules = rules or SessionRules()

    def _now(self) -> int:
        return epoch_ms(self.clock())

    async def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's data, or None when it is unknown or past its idle or absolute expiry (then deleted)."""
        found = await WebSession.find_one(where(WebSession.key == digest(session_id)))
        if found is None:
            return None
        now = self._now()
        if now - found.seen_ms > self.rules.idle_s * 1000 or now - found.created_ms > self.rules.absolute_s * 1000:
            await found.delete()
            return None
        if now - found.seen_ms > 60_000:  # in use: the idle clock restarts (at most one write a minute)
            await found.set({WebSession.seen_ms: now})
        return found.data

    async def save(self, session_id: str, data: dict[str, Any]) -> None:
        now = self._now()
        key = digest(session_id)
        raw = data.get("session") or {}
        user = raw.get("discord_id") if isinstance(raw, dict) else None
        await WebSession.get_pymongo_collection().update_one(
            {"key": key}, {"$set": {"data": data, "seen_ms": now, "discord_id": user},
                           "$setOnInsert": {"created_ms": now}}, upsert=True)

    async def delete(self, session_id: str) -> None:
        await WebSession.get_pymongo_collection().delete_one({"key": digest(session_id)})

    async def sweep(self) -> int:
        """Delete the sessions past their idle or absolute expiry and the spent or expired login links (a browser
        that never came back leaves its session behind); returns how many records went."""
        now = self._now()
        gone = await WebSession.get_pymongo_collection().delete_many(
            {"seen_ms": {"$lt": now - self.rules.idle_s * 1000}})
        old = await WebSession.get_pymongo_collection().delete_many(
            {"created_ms": {"$lt": now - self.rules.absolute_s * 1000}})
        spent = await LoginLink.get_pymongo_collection().delete_many({"expires_ms": {"$lt": now}})
        return gone.deleted_count + old.deleted_count + spent.deleted_count


class LoginLinks:
    """Single-use login links (5 minutes) for servers without Discord OAuth configured."""

    def __init__(self, clock: Clock = system_clock) -> None:
        self.clock = clock

    async def issue(self, caller: Caller) -> str:
        token = new_token()
        await LoginLink(key=digest(token), discord_id=caller.discord_id, name=caller.name or str(caller.discord_id),
                        expires_ms=epoch_ms(self.clock()) + LINK_TTL_MS).insert()
        return token

    async def redeem(self, token: str) -> Caller:
        """The link's user; the link is spent by this call (a second use, or a use after 5 minutes, is refused)."""
        spent = await LoginLink.get_pymongo_collection().find_one_and_update(
            {"key": digest(token), "used": False}, {"$set": {"used": True}})
        if spent is None:
            raise Forbidden("this login link was already used or does not exist: ask the bot for a new one "
                            "with /dashboard")
        if spent["expires_ms"] < epoch_ms(self.clock()):
            raise Forbidden("this login link expired (links last 5 minutes): ask the bot for a new one with "
                            "/dashboard")
        return Caller(discord_id=spent["discord_id"], name=spent["name"])
