"""Notifications' delivery under kills and a second process (the execution issue's kill campaign, last step): the
process dies before and after every database write of the delivery job and around each direct message; after a
restart every notification reaches its user exactly once. Two delivery jobs running at once send each one once.

The fake Discord follows Discord's documented rule for a message sent with a nonce and `enforce_nonce` (what
discord.py sends for `nonce=`): another message by the same author with the same nonce within a few minutes is
not created; the first one is returned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend
from pymongo.asynchronous.collection import AsyncCollection

from bot.client import SignalcordBot
from core.app import Services
from core.domain import NotificationKind
from core.services.notify.delivery import Delivery
from models import Notification
from tests.bot.conftest import started_bot

USERS = 3


class Killed(BaseException):
    """The process died here."""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """(channel, nonce) of every message the fake Discord created; a repeated enforced nonce creates none."""
    created: list[tuple[int, str]] = []
    first: dict[tuple[int, str], Any] = {}
    original = backend.FakeHttp.send_message

    async def send_message(self: Any, channel_id: int, *, params: Any) -> Any:
        payload = params.payload or {}
        key = (channel_id, str(payload.get("nonce")))
        if payload.get("enforce_nonce") and key in first:
            return first[key]
        channel = backend._get_higher_locs(1).get("channel")  # noqa: F841 - dpytest reads its caller's `channel`
        answer = await original(self, channel_id, params=params)
        created.append(key)
        first[key] = answer
        return answer

    monkeypatch.setattr(backend.FakeHttp, "send_message", send_message)
    return created


@pytest.fixture
async def members(services: Services) -> AsyncIterator[SignalcordBot]:
    yield await started_bot(services, USERS + 1)
    await dpytest.empty_queue()


async def _notes(services: Services) -> int:
    config = dpytest.get_config()
    for member in config.members[1:]:
        user = await services.accounts.ensure_user(member.id, member.name)
        for n in range(2):
            await services.notifier.notify(user, NotificationKind.TRADE_OPENED, f"note {n} for {member.name}")
    return USERS * 2


class Kill:
    """Dies at the n-th write to the notifications collection, or around the n-th direct message."""

    def __init__(self, at: int | None, after: bool, where: str) -> None:
        self.at, self.after, self.where = at, after, where
        self.count = 0

    def before(self) -> int:
        index, self.count = self.count, self.count + 1
        if index == self.at and not self.after:
            raise Killed
        return index

    def landed(self, index: int) -> None:
        if index == self.at:
            raise Killed

    async def around(self, call: Callable[[], Any]) -> Any:
        index = self.before()
        result = await call()
        self.landed(index)
        return result


def _kill_writes(monkeypatch: pytest.MonkeyPatch, kill: Kill) -> None:
    for name in ("update_one", "update_many", "find_one_and_update", "replace_one"):
        original = getattr(AsyncCollection, name)

        def wrapped(original: Any = original) -> Any:
            async def write(collection: AsyncCollection[Any], *args: Any, **kwargs: Any) -> Any:
                if collection.name != "notifications":
                    return await original(collection, *args, **kwargs)
                return await kill.around(lambda: original(collection, *args, **kwargs))
            return write
        monkeypatch.setattr(AsyncCollection, name, wrapped())


def _kill_sends(monkeypatch: pytest.MonkeyPatch, kill: Kill) -> None:
    original = backend.FakeHttp.send_message

    async def send_message(self: Any, channel_id: int, *, params: Any) -> Any:
        channel = backend._get_higher_locs(1).get("channel")  # noqa: F841 - dpytest reads its caller's `channel`
        index = kill.before()
        answer = await original(self, channel_id, params=params)  # called from here: it finds `channel` above
        kill.landed(index)
        return answer
    monkeypatch.setattr(backend.FakeHttp, "send_message", send_message)


async def _clean_counts(services: Services, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """How many notification writes and direct messages a clean delivery run makes."""
    writes, sends = Kill(None, False, "writes"), Kill(None, False, "sends")
    with monkeypatch.context() as patch:
        _kill_writes(patch, writes)
        _kill_sends(patch, sends)
        await services.delivery.run()
    return writes.count, sends.count


async def test_a_kill_anywhere_in_delivery_then_restart_sends_each_notification_once(
        members: SignalcordBot, services: Services, sent: list[tuple[int, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    total = await _notes(services)
    writes, sends = await _clean_counts(services, monkeypatch)
    assert sends == total and writes >= 2 * total
    points = [("writes", at, after) for at in range(writes) for after in (False, True)]
    points += [("sends", at, after) for at in range(sends) for after in (False, True)]
    for where, at, after in points:
        await Notification.delete_all()  # new notifications (new ids, so new nonces) for each kill point
        await _notes(services)
        sent.clear()
        kill = Kill(at, after, where)
        with monkeypatch.context() as patch, pytest.raises(Killed):
            (_kill_writes if where == "writes" else _kill_sends)(patch, kill)
            await services.delivery.run()
        services.clock.advance(minutes=2)  # type: ignore[attr-defined]  # the restart: past a claim's lease
        report = await Delivery(services.notifier, services.clock).run()
        label = f"killed {'after' if after else 'before'} {where[:-1]} {at}"
        notes = await Notification.find_all().to_list()
        assert {n.delivery for n in notes} == {"delivered"}, (label, report)
        assert len(sent) == total and len(set(sent)) == total, (label, sent)
        # the nonces of every attempt must be the ones of the stored notifications: a repeat is never a new DM
        assert {nonce for _, nonce in sent} == {str(n.id) for n in notes}, label


async def test_two_delivery_jobs_at_once_send_each_notification_once(
        members: SignalcordBot, services: Services, sent: list[tuple[int, str]]) -> None:
    total = await _notes(services)
    calls = 0
    [sink] = services.notifier.sinks
    deliver = sink.deliver

    async def counted(event: Any) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)  # let the other job interleave here
        await deliver(event)

    sink.deliver = counted  # type: ignore[method-assign]
    one, two = await asyncio.gather(services.delivery.run(), Delivery(services.notifier, services.clock).run())
    assert one.delivered + two.delivered == total and calls == total
    assert len(sent) == total
    assert await Notification.find(Notification.delivery == "delivered").count() == total

