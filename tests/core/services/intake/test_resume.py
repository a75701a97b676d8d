"""Resuming interrupted messages (issue 18, item 7): only past a grace period, claimed with a lease so two
resumers never both run one, and one failing message never stops the others."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from core.app import Services
from core.services.intake.pipeline import IngestResult, Pipeline
from models import Message, Provider
from models.refs import ref
from tests.conftest import FakeClock


async def _stored(services: Services, provider: Provider, message_id: int) -> Message:
    """A message stored as an ingest would, then left unprocessed (the process stopped)."""
    return await Message(provider_id=ref(provider), channel_id=provider.channel_id, message_id=message_id,
                         author="p", text="Nice day", posted_at=datetime(2026, 4, 1, tzinfo=UTC),
                         received_at=services.clock()).insert()


@pytest.fixture
async def provider(services: Services) -> Provider:
    return await Provider(name="p", channel_id=1234).insert()


async def test_a_message_inside_its_grace_period_is_left_to_its_live_ingest(services: Services, provider: Provider,
                                                                           clock: FakeClock) -> None:
    await _stored(services, provider, 1)
    assert await services.pipeline.resume_unfinished() == 0
    clock.advance(seconds=61)
    assert await services.pipeline.resume_unfinished() == 1
    message = await Message.find_one()
    assert message is not None and message.status == "processed" and message.kind == "noise"


async def test_two_resumers_at_once_process_a_message_once(services: Services, provider: Provider,
                                                           clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    await _stored(services, provider, 1)
    clock.advance(seconds=61)
    runs: list[int] = []
    started, release = asyncio.Event(), asyncio.Event()
    real = Pipeline._process

    async def slow(self: Pipeline, message: Message, prov: Provider) -> IngestResult:
        runs.append(message.message_id)
        started.set()
        await release.wait()  # the other resumer runs while this one holds the message
        return await real(self, message, prov)

    monkeypatch.setattr(Pipeline, "_process", slow)
    first = asyncio.create_task(services.pipeline.resume_unfinished())
    await started.wait()
    second = await services.pipeline.resume_unfinished()  # finds the message, but the lease is held
    release.set()
    assert await first == 1 and second == 0 and runs == [1]


async def test_one_failing_message_is_logged_once_and_the_others_resume(
        services: Services, provider: Provider, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    await _stored(services, provider, 1)
    await _stored(services, provider, 2)
    clock.advance(seconds=61)
    real = Pipeline._process

    async def broken(self: Pipeline, message: Message, prov: Provider) -> IngestResult:
        if message.message_id == 1:
            raise RuntimeError("a bad message")
        return await real(self, message, prov)

    monkeypatch.setattr(Pipeline, "_process", broken)
    with caplog.at_level(logging.WARNING, logger="core.services.intake.pipeline"):
        assert await services.pipeline.resume_unfinished() == 1
        clock.advance(minutes=6)  # the lease ran out: retried, fails again, not logged again within the minute
        assert await services.pipeline.resume_unfinished() == 0
    statuses = {m.message_id: m.status async for m in Message.find_all()}
    assert statuses == {1: "received", 2: "processed"}
    failures = [r for r in caplog.records if "resuming message" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
