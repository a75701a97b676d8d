"""The dashboard's server-side state: login sessions, one-time login links and OAuth attempts (each keyed by the
SHA-256 of a random token the browser holds, so a copy of the database does not log anyone in), and rate-limit
windows."""

from __future__ import annotations

from typing import Any

from beanie import Document, Indexed
from pydantic import Field


class WebSession(Document):
    key: Indexed(str, unique=True)  # type: ignore[valid-type]  # sha256 of the cookie's random id
    data: dict[str, Any] = Field(default_factory=dict)  # aiohttp-session's session dictionary
    created_ms: int  # absolute expiry counts from here
    seen_ms: int  # idle expiry counts from here
    discord_id: int | None = None  # the logged-in user, for "log out everywhere"

    class Settings:
        name = "web_sessions"


class LoginLink(Document):
    """A single-use login link the bot's /dashboard command hands out."""

    key: Indexed(str, unique=True)  # type: ignore[valid-type]  # sha256 of the link's token
    discord_id: int
    name: str
    expires_ms: int
    used: bool = False

    class Settings:
        name = "login_links"


class RateWindow(Document):
    """One rate-limit key's recent hits (a moving window shared by every dashboard process). Changed only by a
    compare-and-set on `version`, so two processes counting one hit at once never both fit in the last place."""

    key: Indexed(str, unique=True)  # type: ignore[valid-type]  # e.g. "api/user:1234" (no secret in it)
    hits: list[float] = Field(default_factory=list)  # epoch seconds, newest first, at most the limit
    counted: int = 0  # a fixed-window counter (limits' other strategies)
    counted_until: float = 0.0  # when that counter starts again
    until: float = 0.0  # when nothing in this record counts any more (swept after)
    version: int = 0

    class Settings:
        name = "rate_windows"
