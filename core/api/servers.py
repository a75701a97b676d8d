"""Access by Discord role, per server: the admin role (besides Manage Server), which roles may subscribe, how many
providers a role may follow, which roles may trade beyond paper. A member refused gets one line naming the roles
(as Discord mentions, which Discord shows as the roles' names)."""

from __future__ import annotations

from core.api.errors import Forbidden, Invalid
from core.api.views import AccessView, Caller
from models import ServerAccess


def mentions(role_ids: list[int]) -> str:
    """Roles as Discord mentions (Discord shows each as the role's name)."""
    return ", ".join(f"<@&{r}>" for r in role_ids)


async def access(guild_id: int | None) -> ServerAccess | None:
    return await ServerAccess.find_one(ServerAccess.guild_id == guild_id) if guild_id is not None else None


async def is_admin(caller: Caller) -> bool:
    if caller.admin:
        return True
    rules = await access(caller.guild_id)
    return rules is not None and rules.admin_role_id is not None and rules.admin_role_id in caller.role_ids


async def require_admin(caller: Caller, what: str) -> None:
    if not await is_admin(caller):
        raise Forbidden(f"{what} needs a server admin (Manage Server, or the role an admin set)")


async def check_subscribe(caller: Caller, following: int) -> None:
    """May the caller follow one more provider (they follow `following` now)?"""
    rules = await access(caller.guild_id)
    if rules is None:
        return
    if rules.subscriber_roles and not set(rules.subscriber_roles) & set(caller.role_ids):
        raise Forbidden(f"subscribing here needs one of these roles: {mentions(rules.subscriber_roles)}")
    limits = [limit for role, limit in rules.provider_limits.items() if int(role) in caller.role_ids]
    if limits and following >= max(limits):
        raise Forbidden(f"your roles let you follow {max(limits)} provider(s) here, and you follow {following}; "
                        "unsubscribe from one first")


async def check_trading(caller: Caller, mode: str) -> None:
    """May the caller trade an account beyond paper (testnet or live)?"""
    if mode == "paper":
        return
    rules = await access(caller.guild_id)
    if rules is not None and rules.trading_roles and not set(rules.trading_roles) & set(caller.role_ids):
        raise Forbidden(f"{mode} trading here needs one of these roles: {mentions(rules.trading_roles)}")


def _view(rules: ServerAccess) -> AccessView:
    return AccessView(guild_id=rules.guild_id, admin_role_id=rules.admin_role_id,
                      subscriber_roles=rules.subscriber_roles, provider_limits=rules.provider_limits,
                      trading_roles=rules.trading_roles)


class Servers:
    async def _rules(self, caller: Caller) -> ServerAccess:
        if caller.guild_id is None:
            raise Invalid(["access rules are set inside a server"])
        rules = await access(caller.guild_id)
        if rules is None:
            rules = ServerAccess(guild_id=caller.guild_id)
            await rules.insert()
        return rules

    async def show(self, caller: Caller) -> AccessView:
        return _view(await self._rules(caller))

    async def set_admin_role(self, caller: Caller, role_id: int | None) -> AccessView:
        if not caller.admin:  # only Manage Server names the admin role, never the admin role itself
            raise Forbidden("setting the admin role needs the Manage Server permission")
        rules = await self._rules(caller)
        await rules.set({ServerAccess.admin_role_id: role_id})
        return _view(rules)

    async def allow(self, caller: Caller, what: str, role_id: int, allowed: bool) -> AccessView:
        """Add (or remove) a role to the roles that may `subscribe` or `trade` (testnet/live)."""
        await require_admin(caller, "changing who may subscribe or trade")
        field = {"subscribe": ServerAccess.subscriber_roles, "trade": ServerAccess.trading_roles}.get(what)
        if field is None:
            raise Invalid([f"what: {what!r} is not subscribe or trade"])
        rules = await self._rules(caller)
        current = rules.subscriber_roles if what == "subscribe" else rules.trading_roles
        changed = sorted(set(current) | {role_id}) if allowed else [r for r in current if r != role_id]
        await rules.set({field: changed})
        return _view(rules)

    async def set_provider_limit(self, caller: Caller, role_id: int, limit: int | None) -> AccessView:
        await require_admin(caller, "changing how many providers a role may follow")
        if limit is not None and not 0 <= limit <= 100:
            raise Invalid([f"providers: {limit} is outside 0 to 100"])
        rules = await self._rules(caller)
        limits = {k: v for k, v in rules.provider_limits.items() if k != str(role_id)}
        if limit is not None:
            limits[str(role_id)] = limit
        await rules.set({ServerAccess.provider_limits: limits})
        return _view(rules)
