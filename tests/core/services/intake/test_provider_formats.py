"""Teaching a provider's format stores the template on the provider, and the pipeline reads it (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain import NewSignal
from core.parsing import parse
from core.services.intake.pipeline import reading_context
from core.services.intake.provider_formats import MAX_TEMPLATES, ProviderNotFound, TemplateError, teach_provider
from models.providers import Provider
from models.signals import Message
from tests.core.parsing.test_templates import CORRECTED, ODD

LATER = "🔔 SEI quick trade\nBag zone 0.50 / 0.48\nInvalidation 0.44\nCashout 0.53 then 0.56 then 0.60\nMultiplier 3"


async def test_a_taught_format_is_stored_and_read_for_that_providers_later_messages(db: str) -> None:
    provider = await Provider(name="odd", channel_id=42).insert()
    template = await teach_provider(str(provider.id), ODD, CORRECTED)
    stored = await Provider.get(provider.id)
    assert stored is not None and stored.format_templates == [template]
    message = Message(provider_id=str(provider.id), channel_id=42, message_id=1, author="p", text=LATER,
                      posted_at=datetime(2026, 12, 1, tzinfo=UTC))
    result = parse(LATER, reading_context(stored, message.reply_to))
    assert isinstance(result, NewSignal) and result.take_profits == (0.53, 0.56, 0.60) and result.leverage == 3
    other = await Provider(name="plain", channel_id=43).insert()
    # another provider: the general rules, without the targets
    general = parse(LATER, reading_context(other, message.reply_to))
    assert isinstance(general, NewSignal) and general.take_profits == () and "read_by" not in general.extras


async def test_templates_are_capped_newest_first(db: str) -> None:
    provider = await Provider(name="odd", channel_id=44).insert()
    for _ in range(MAX_TEMPLATES + 2):
        await teach_provider(str(provider.id), ODD, CORRECTED)
    stored = await Provider.get(provider.id)
    assert stored is not None and len(stored.format_templates) == MAX_TEMPLATES


async def test_unknown_providers_and_unteachable_corrections_are_refused(db: str) -> None:
    with pytest.raises(ProviderNotFound, match="no provider with id 'nope'"):
        await teach_provider("nope", ODD, CORRECTED)
    with pytest.raises(ProviderNotFound):
        await teach_provider("0123456789abcdef01234567", ODD, CORRECTED)
    provider = await Provider(name="odd", channel_id=45).insert()
    with pytest.raises(TemplateError, match="is not written in the message"):
        await teach_provider(str(provider.id), ODD, {**CORRECTED, "stop_loss": 0.2})
    stored = await Provider.get(provider.id)
    assert stored is not None and stored.format_templates == []
