"""Per Discord server: who may manage providers, subscribe, follow how many providers, and trade beyond paper
(the seed's paid plans, done with Discord roles)."""

from __future__ import annotations

from beanie import Document, Indexed
from pydantic import Field


class ServerAccess(Document):
    guild_id: Indexed(int, unique=True)  # type: ignore[valid-type]
    admin_role_id: int | None = None  # besides Manage Server, this role manages provider channels
    subscriber_roles: list[int] = Field(default_factory=list)  # empty: everyone may subscribe
    provider_limits: dict[str, int] = Field(default_factory=dict)  # role id -> how many providers it may follow
    trading_roles: list[int] = Field(default_factory=list)  # may use testnet/live; empty: everyone

    class Settings:
        name = "server_access"
