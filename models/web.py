"""The dashboard's server-side state: login sessions, one-time login links and OAuth attempts. Each is keyed by
the SHA-256 of a random token the browser holds, so a copy of the database does not log anyone in."""

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
