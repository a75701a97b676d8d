"""A member's own settings: subscriptions (priority, overrides, presets), the risk profile, pause/resume,
timezone and notification preferences. Every refusal is `Invalid` with lines a person reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.api.common import Members
from core.api.errors import Invalid, NotFound
from core.api.providers import get as get_provider
from core.api.servers import check_subscribe
from core.api.views import Caller, ProfileView, SubscriptionView
from core.domain import RiskProfile
from core.risk.profiles import BUILTIN_PRESETS, ProfileError
from core.services.decide import risk_settings
from models import Provider, Subscription, User
from models.query import where
from models.refs import ref


@contextmanager
def _refusing() -> Iterator[None]:
    """A setting the profile refuses becomes the API's Invalid, carrying the profile's reasons."""
    try:
        yield
    except ProfileError as exc:
        raise Invalid(list(exc.problems)) from None


def profile_view(user: User, shown: RiskProfile | None = None) -> ProfileView:
    """The user's settings; `shown`: the profile to show instead of their own (one provider's effective one)."""
    profile = shown or user.settings.risk
    return ProfileView(profile=profile.model_dump(mode="json"), timezone=user.settings.timezone,
                       paused=user.trading_paused, paused_reason=user.paused_reason, presets=sorted(user.presets))


class Subscriptions:
    def __init__(self, members: Members) -> None:
        self.members = members

    async def _mine(self, user: User, provider: Provider) -> Subscription:
        sub = await Subscription.find_one(where(Subscription.user_id == ref(user),
                                             Subscription.provider_id == ref(provider)))
        if sub is None:
            raise NotFound(f"you are not subscribed to {provider.name}")
        return sub

    async def subscribe(self, caller: Caller, provider_id: str) -> SubscriptionView:
        provider = await get_provider(provider_id)
        if not provider.enabled:
            raise Invalid([f"{provider.name} is disabled: {provider.disabled_reason}"])
        user = await self.members.user(caller)
        following = await Subscription.find(where(Subscription.user_id == ref(user), Subscription.enabled == True,  # noqa: E712
                                                  {"provider_id": {"$ne": ref(provider)}})).count()
        await check_subscribe(caller, following)
        sub = await self.members.accounts.subscribe(user, provider)
        return _view(sub, provider)

    async def unsubscribe(self, caller: Caller, provider_id: str) -> str:
        provider = await get_provider(provider_id)
        sub = await self._mine(await self.members.user(caller), provider)
        await sub.set({Subscription.enabled: False})
        return f"unsubscribed from {provider.name}; your overrides for it are kept"

    async def list(self, caller: Caller) -> list[SubscriptionView]:
        user = await self.members.user(caller)
        subs = await Subscription.find(where(Subscription.user_id == ref(user))).to_list()
        providers = {str(p.id): p for p in await Provider.find_all().to_list()}
        return [_view(s, providers[s.provider_id]) for s in subs if s.provider_id in providers]

    async def set_priority(self, caller: Caller, provider_id: str, priority: int) -> SubscriptionView:
        if not -100 <= priority <= 100:
            raise Invalid([f"priority: {priority} is outside -100 to 100"])
        provider = await get_provider(provider_id)
        sub = await self._mine(await self.members.user(caller), provider)
        await sub.set({Subscription.priority: priority})
        sub.priority = priority
        return _view(sub, provider)

    async def set_overrides(self, caller: Caller, provider_id: str, changes: dict[str, Any]) -> ProfileView:
        provider = await get_provider(provider_id)
        user = await self.members.user(caller)
        await self._mine(user, provider)
        with _refusing():
            effective = await risk_settings.set_overrides(user, provider, changes)
        return profile_view(user, effective)


def _view(sub: Subscription, provider: Provider) -> SubscriptionView:
    return SubscriptionView(provider_id=str(provider.id), provider=provider.name, enabled=sub.enabled,
                            priority=sub.priority, overrides=sub.overrides, preset=sub.preset)


class Risk:
    def __init__(self, members: Members) -> None:
        self.members = members

    async def show(self, caller: Caller) -> ProfileView:
        return profile_view(await self.members.user(caller))

    async def patch(self, caller: Caller, changes: dict[str, Any]) -> ProfileView:
        user = await self.members.user(caller)
        with _refusing():
            await risk_settings.update_profile(user, changes)
        return profile_view(user)

    async def presets(self, caller: Caller) -> list[str]:
        """The built-in presets, then the caller's own."""
        user = await self.members.user(caller)
        return [*BUILTIN_PRESETS, *sorted(user.presets)]

    async def save_preset(self, caller: Caller, name: str) -> str:
        user = await self.members.user(caller)
        with _refusing():
            return await risk_settings.save_preset(user, name)

    async def apply_preset(self, caller: Caller, name: str, provider_id: str | None = None) -> ProfileView:
        user = await self.members.user(caller)
        provider = await get_provider(provider_id) if provider_id else None
        with _refusing():
            applied = await risk_settings.apply_preset(user, name, provider)
        return profile_view(user, applied)

    async def set_timezone(self, caller: Caller, name: str) -> ProfileView:
        user = await self.members.user(caller)
        with _refusing():
            await risk_settings.set_timezone(user, name)
        return profile_view(user)

    async def pause(self, caller: Caller) -> ProfileView:
        user = await self.members.user(caller)
        await risk_settings.pause(user)
        return profile_view(await User.get(user.id) or user)

    async def resume(self, caller: Caller) -> ProfileView:
        user = await self.members.user(caller)
        await risk_settings.resume(user)
        return profile_view(await User.get(user.id) or user)
