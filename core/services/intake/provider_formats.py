"""Teach a provider's format from one corrected message: the template is stored on the provider and read
before the general rules for that provider's later messages (see core.parsing.templates)."""

from __future__ import annotations

from typing import Any, Final

from beanie import PydanticObjectId
from bson import ObjectId

from core.parsing.templates import TemplateError, teach
from models.providers import Provider

MAX_TEMPLATES: Final = 10  # per provider; the oldest goes when an eleventh is taught


class ProviderNotFound(LookupError):
    """No provider with that id."""


async def teach_provider(provider_id: str, text: str, corrected: dict[str, Any]) -> dict[str, Any]:
    """Store the template learnt from `text` read as `corrected`; TemplateError says why it cannot be learnt."""
    if not ObjectId.is_valid(provider_id):
        raise ProviderNotFound(f"no provider with id {provider_id!r}")
    provider = await Provider.get(PydanticObjectId(provider_id))
    if provider is None:
        raise ProviderNotFound(f"no provider with id {provider_id!r}")
    template = teach(text, corrected)
    provider.format_templates = [template, *provider.format_templates][:MAX_TEMPLATES]
    await provider.save()
    return template


__all__ = ["MAX_TEMPLATES", "ProviderNotFound", "TemplateError", "teach_provider"]
