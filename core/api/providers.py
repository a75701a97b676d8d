"""Provider channels (admins): register, list, enable/disable, format hints, remove."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from beanie import PydanticObjectId
from bson import ObjectId
from pydantic import BaseModel, ValidationError

from core.api.errors import Invalid, NotFound
from core.api.servers import require_admin
from core.api.views import Caller, ParseView, PreviewView, ProviderView
from core.parsing import parse
from core.parsing.explain import explain
from core.parsing.output import to_record
from core.parsing.templates import TemplateError
from core.services.intake.pipeline import reading_context
from core.services.intake.provider_formats import teach_provider
from models import Message, Provider, Subscription
from models.providers import FormatHints
from models.refs import ref


def view(provider: Provider) -> ProviderView:
    hints = provider.format_hints
    return ProviderView(id=str(provider.id), name=provider.name, channel_id=provider.channel_id,
                        guild_id=provider.guild_id, enabled=provider.enabled,
                        disabled_reason=provider.disabled_reason, default_quote=hints.default_quote,
                        default_leverage=hints.default_leverage, prices_in_satoshis=hints.prices_in_satoshis,
                        language=hints.language, taught_formats=len(provider.format_templates))


async def get(provider_id: str) -> Provider:
    found = await Provider.get(PydanticObjectId(provider_id)) if ObjectId.is_valid(provider_id) else None
    if found is None:
        raise NotFound(f"no provider with id {provider_id}")
    return found


def _hints(base: FormatHints, changes: dict[str, Any]) -> FormatHints:
    unknown = sorted(set(changes) - set(FormatHints.model_fields))
    if unknown:
        raise Invalid([f"{name}: not a format hint (known: {', '.join(FormatHints.model_fields)})" for name in unknown])
    try:
        return FormatHints.model_validate({**base.model_dump(), **changes})
    except ValidationError as exc:
        raise Invalid([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None


class Providers:
    async def register(self, caller: Caller, name: str, channel_id: int, guild_id: int | None = None,
                       **hints: Any) -> ProviderView:
        await require_admin(caller, "registering a provider channel")
        if not name.strip():
            raise Invalid(["name: give the provider a name"])
        provider = await Provider.find_one(Provider.channel_id == channel_id)
        if provider is None:
            provider = Provider(name=name.strip(), channel_id=channel_id, guild_id=guild_id,
                                format_hints=_hints(FormatHints(), hints))
            await provider.insert()
        return view(provider)

    async def list(self) -> list[ProviderView]:
        return [view(p) for p in await Provider.find_all().sort("+name").to_list()]

    async def set_enabled(self, caller: Caller, provider_id: str, enabled: bool, reason: str = "") -> ProviderView:
        await require_admin(caller, "enabling or disabling a provider")
        provider = await get(provider_id)
        provider.enabled = enabled
        provider.disabled_reason = None if enabled else (reason.strip() or f"disabled by {caller.name or 'an admin'}")
        await provider.save()
        return view(provider)

    async def set_hints(self, caller: Caller, provider_id: str, **changes: Any) -> ProviderView:
        await require_admin(caller, "changing a provider's format hints")
        provider = await get(provider_id)
        provider.format_hints = _hints(provider.format_hints, changes)
        await provider.save()
        return view(provider)

    async def teach(self, caller: Caller, provider_id: str, text: str, reading: dict[str, Any]) -> int:
        """Store a corrected reading of one message as the provider's format; returns how many it has now."""
        await require_admin(caller, "teaching a provider's format")
        try:
            await teach_provider(str((await get(provider_id)).id), text, reading)
        except TemplateError as exc:
            raise Invalid([str(exc)]) from None
        return len((await get(provider_id)).format_templates)

    async def test(self, text: str, provider_id: str | None = None) -> ParseView:
        """How a message would be read (for that provider's hints and taught formats): the fields and why."""
        provider = await get(provider_id) if provider_id else None
        context = reading_context(provider)
        return ParseView(record=to_record(None, parse(text, context)), explanation=explain(text, context))

    async def preview(self, texts: Sequence[str], provider_id: str | None = None, shown: int = 3) -> PreviewView:
        """How a channel's recent messages read (oldest first): how many are calls, updates and ignored, and the
        first few calls as the parser sees them — so an admin knows before anyone trades."""
        context = reading_context(await get(provider_id) if provider_id else None)  # read once for all of them
        calls: list[str] = []
        counts = {"signal": 0, "update": 0, "noise": 0}
        for text in texts:
            record = to_record(None, parse(text, context))
            counts[record["kind"]] = counts.get(record["kind"], 0) + 1
            if record["kind"] == "signal" and len(calls) < shown:
                calls.append(_one_line(record))
        return PreviewView(calls=counts["signal"], updates=counts["update"], ignored=counts["noise"], first=calls)

    async def inbox(self, caller: Caller, limit: int = 50) -> builtins.list[InboxItemView]:
        """Messages the parser did not take as a call or update (with the reason), newest first: what an admin may
        mark as a call, teaching the provider's format."""
        await require_admin(caller, "the unparsed-message inbox")
        names = {str(p.id): p.name for p in await Provider.find_all().to_list()}
        limit = max(1, min(limit, 200))
        parts = [await Message.find({"kind": {"$eq": kind}}).sort("-posted_at").limit(limit).to_list()
                 for kind in ("noise", "rejected")]  # each read by its index (kind, posted_at)
        found = sorted((m for part in parts for m in part), key=lambda m: m.posted_at, reverse=True)[:limit]
        return [InboxItemView(provider_id=m.provider_id, provider=names.get(m.provider_id, "a removed provider"),
                              message=ref(m), text=m.text, reason=m.reason or "not a call") for m in found
                if m.deleted_at_ms is None]

    async def remove(self, caller: Caller, provider_id: str) -> str:
        """The provider and its subscriptions go; its messages, signals and positions stay (history)."""
        await require_admin(caller, "removing a provider")
        provider = await get(provider_id)
        await Subscription.find(Subscription.provider_id == ref(provider)).delete()
        await provider.delete()
        return f"removed {provider.name}; its history stays"


class InboxItemView(BaseModel):
    provider_id: str
    provider: str
    message: str
    text: str
    reason: str


def _one_line(record: dict[str, Any]) -> str:
    entries = "-".join(f"{e:g}" for e in record["entries"]) or "market"
    targets = ", ".join(f"{t:g}" for t in record["take_profits"]) or "none"
    stop = f"{record['stop_loss']:g}" if record["stop_loss"] is not None else "none"
    leverage = f", {record['leverage']:g}x" if record["leverage"] else ""
    text = f"{record['symbol']} {str(record['side']).upper()} entry {entries}, targets {targets}, stop {stop}{leverage}"
    return text + (f" — {record['reason']}" if record.get("reason") else "")
