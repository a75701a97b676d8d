"""Editing risk settings (Discord and the dashboard call these): profile, presets, per-provider overrides,
pause and resume, and "why" for any signal. Refused settings raise ProfileError with readable lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain import RiskProfile
from core.risk.profiles import BUILTIN_PRESETS, ProfileError, preset, with_changes
from models import Decision, Message, Provider, Signal, Subscription, User
from models.query import where
from models.refs import ref

PRESET_NAME_MAX = 32


@dataclass(frozen=True)
class Why:
    signal: str  # "LONG BTC/USDT from Alpha"
    outcome: str
    rule: str
    reason: str
    checks: list[dict[str, Any]]


async def update_profile(user: User, changes: dict[str, Any]) -> RiskProfile:
    profile = with_changes(user.settings.risk, changes)
    await _store_profile(user, profile)
    return profile


async def set_timezone(user: User, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError([f"timezone: {name!r} is not a known timezone (e.g. Europe/Berlin, UTC)"]) from None
    user.settings.timezone = name
    await user.set({"settings.timezone": name})


async def save_preset(user: User, name: str) -> str:
    key = name.strip().lower()
    if not key or len(key) > PRESET_NAME_MAX or not key.replace("-", "").replace("_", "").isalnum():
        raise ProfileError([f"preset names are 1-{PRESET_NAME_MAX} letters, digits, '-' or '_' (got {name!r})"])
    if key in BUILTIN_PRESETS:
        raise ProfileError([f"{key!r} is a built-in preset; choose another name"])
    user.presets[key] = user.settings.risk
    await user.set({f"presets.{key}": user.settings.risk.model_dump(mode="json")})
    return key


async def apply_preset(user: User, name: str, provider: Provider | None = None) -> RiskProfile:
    """Apply a preset to the whole account, or (with `provider`) to that one subscription only."""
    chosen = preset(name, user.presets)
    if provider is None:
        await _store_profile(user, chosen)
        return chosen
    sub = await _subscription(user, provider)
    await sub.set({Subscription.overrides: chosen.model_dump(mode="json"), Subscription.preset: name.lower()})
    return chosen


async def set_overrides(user: User, provider: Provider, changes: dict[str, Any]) -> RiskProfile:
    """Merge `changes` into the subscription's overrides; returns the effective profile for that provider."""
    sub = await _subscription(user, provider)
    overrides = {**sub.overrides, **changes}
    effective = with_changes(user.settings.risk, overrides)  # refuses bad values before anything is stored
    await sub.set({Subscription.overrides: overrides})
    return effective


async def pause(user: User, reason: str = "you paused it") -> None:
    await user.set({User.trading_paused: True, User.paused_reason: reason, User.paused_until_ms: None})


async def resume(user: User) -> None:
    await user.set({User.trading_paused: False, User.paused_reason: None, User.paused_until_ms: None})


async def why(user: User, channel_id: int, message_id: int) -> Why | None:
    """What was decided for this user on the call in that Discord message, and every check's verdict."""
    message = await Message.find_one(where(Message.channel_id == channel_id, Message.message_id == message_id))
    if message is None:
        return None
    signal = await Signal.find_one(Signal.message_id == ref(message))
    provider = await Provider.get(message.provider_id)
    who = provider.name if provider else "a provider"
    if signal is None:
        return Why(f"message from {who}", "not a signal", "parser", message.reason or "not read as a call", [])
    what = f"{(signal.side or '').upper()} {signal.symbol} from {who}".strip()
    decision = await Decision.find_one(where(Decision.signal_id == ref(signal), Decision.user_id == ref(user)))
    if decision is None:
        reason = signal.reason or "you were not subscribed to this provider when it was posted"
        return Why(what, signal.status, "not_decided", reason, [])
    checks = [c.model_dump() for c in decision.details.checks]
    return Why(what, decision.outcome.value, decision.rule, decision.reason, checks)


async def _store_profile(user: User, profile: RiskProfile) -> None:
    """Only the profile is written: a pause set meanwhile by the engine is not overwritten."""
    user.settings.risk = profile
    await user.set({"settings.risk": profile.model_dump(mode="json")})


async def _subscription(user: User, provider: Provider) -> Subscription:
    sub = await Subscription.find_one(where(Subscription.user_id == ref(user),
                                         Subscription.provider_id == ref(provider)))
    if sub is None:
        raise ProfileError([f"you are not subscribed to {provider.name}"])
    return sub
