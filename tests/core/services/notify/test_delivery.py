"""The delivery job (service-layer issue, item 6): notifications off the trading path, per-user order, retries
with backoff, permanent failures kept for the dashboard, DMs off skipped, a large fan-out queued."""

from __future__ import annotations

from collections import defaultdict

import pytest

from core.api.errors import Invalid
from core.api.views import Caller
from core.app import Services
from core.domain import NotificationKind
from core.services.notify.delivery import BACKOFF_S, BATCH
from core.services.notify.notifier import Note, NotificationEvent, PermanentDeliveryError
from models import Notification, User
from tests.conftest import FakeClock


class FlakySink:
    name = "flaky"

    def __init__(self, fail: dict[int, list[Exception]] | None = None) -> None:
        self.fail = fail or {}  # discord id -> the errors its next sends raise, in order
        self.sent: dict[int, list[str]] = defaultdict(list)

    async def deliver(self, event: NotificationEvent) -> None:
        errors = self.fail.get(event.discord_id)
        if errors:
            raise errors.pop(0)
        self.sent[event.discord_id].append(event.text)


async def _users(services: Services, count: int) -> list[User]:
    return [await services.accounts.ensure_user(5000 + n, f"u{n}") for n in range(count)]


async def test_a_fan_out_is_stored_without_sending_then_queued_and_delivered(services: Services) -> None:
    users = await _users(services, 200)
    sink = FlakySink()
    services.notifier.add_sink(sink)
    await services.notifier.notify_many([Note(u, NotificationKind.TRADE_OPENED, f"Opened for {u.name}") for u in users])
    assert sink.sent == {}  # the trading path stores; it never sends
    report = await services.delivery.run()
    assert report.delivered == 200 and sum(len(v) for v in sink.sent.values()) == 200
    assert await Notification.find(Notification.delivery == "delivered").count() == 200
    assert BATCH >= 200


async def test_a_transient_failure_retries_with_backoff_and_keeps_the_users_order(services: Services,
                                                                                  clock: FakeClock) -> None:
    alice, bob = await _users(services, 2)
    sink = FlakySink({alice.discord_id: [ConnectionError("gateway hiccup")]})
    services.notifier.add_sink(sink)
    for text in ("first", "second"):
        await services.notifier.notify(alice, NotificationKind.TRADE_OPENED, text)
    await services.notifier.notify(bob, NotificationKind.TRADE_OPENED, "bob's")

    report = await services.delivery.run()
    assert (report.delivered, report.retrying) == (1, 1)
    assert sink.sent == {bob.discord_id: ["bob's"]}  # alice's second waits behind her first
    await services.delivery.run()
    assert alice.discord_id not in sink.sent  # inside the backoff: not tried again yet
    clock.advance(seconds=BACKOFF_S[0])
    await services.delivery.run()
    assert sink.sent[alice.discord_id] == ["first", "second"]


async def test_closed_dms_are_not_retried_and_the_notification_is_kept(services: Services, clock: FakeClock) -> None:
    [user] = await _users(services, 1)
    sink = FlakySink({user.discord_id: [PermanentDeliveryError("the user does not accept direct messages")]})
    services.notifier.add_sink(sink)
    await services.notifier.notify(user, NotificationKind.TRADE_OPENED, "Opened")
    assert (await services.delivery.run()).failed == 1
    clock.advance(hours=1)
    assert (await services.delivery.run()).delivered == 0
    note = await Notification.find_one()
    assert note is not None and note.delivery == "failed" and note.text == "Opened"
    assert note.delivery_error == "flaky: the user does not accept direct messages"


async def test_a_failure_that_never_ends_gives_up_after_the_last_backoff(services: Services,
                                                                         clock: FakeClock) -> None:
    [user] = await _users(services, 1)
    services.notifier.add_sink(FlakySink({user.discord_id: [TimeoutError("slow")] * 10}))
    await services.notifier.notify(user, NotificationKind.TRADE_OPENED, "Opened")
    for wait in (0, *BACKOFF_S):
        clock.advance(seconds=wait)
        await services.delivery.run()
    note = await Notification.find_one()
    assert note is not None and note.delivery == "failed" and note.attempts == len(BACKOFF_S) + 1


async def test_dms_turned_off_are_skipped_and_nothing_waits_without_a_sink(services: Services) -> None:
    quiet, talkative = await _users(services, 2)
    quiet.settings.notifications.dm_enabled = False
    await quiet.save()
    await services.notifier.notify(quiet, NotificationKind.TRADE_OPENED, "for quiet")
    await services.notifier.notify(talkative, NotificationKind.TRADE_OPENED, "for talkative")
    assert (await services.delivery.run()).delivered == 0  # no sink yet (Discord not connected): all stay stored
    sink = FlakySink()
    services.notifier.add_sink(sink)
    report = await services.delivery.run()
    assert (report.delivered, report.skipped) == (1, 1) and dict(sink.sent) == {talkative.discord_id: ["for talkative"]}


@pytest.mark.parametrize("sinks", [2])
async def test_a_retry_never_repeats_what_another_sink_already_sent(services: Services, clock: FakeClock,
                                                                   sinks: int) -> None:
    [user] = await _users(services, 1)
    steady, flaky = FlakySink(), FlakySink({user.discord_id: [ConnectionError("down")]})
    steady.name, flaky.name = "steady", "flaky"
    services.notifier.add_sink(steady)
    services.notifier.add_sink(flaky)
    await services.notifier.notify(user, NotificationKind.TRADE_OPENED, "Opened")
    await services.delivery.run()
    clock.advance(seconds=BACKOFF_S[0])
    await services.delivery.run()
    assert steady.sent[user.discord_id] == ["Opened"] and flaky.sent[user.discord_id] == ["Opened"]
    assert len(services.notifier.sinks) == sinks


def test_every_kind_the_engine_names_is_one_enum_member() -> None:
    assert NotificationKind.fill("sl") is NotificationKind.FILL_SL
    assert NotificationKind.provider("move_sl") is NotificationKind.PROVIDER_MOVE_SL
    with pytest.raises(ValueError):
        NotificationKind.fill("margin_call")


async def test_a_switched_off_topic_is_kept_not_sent_and_safety_notices_always_go(services: Services) -> None:
    [user] = await _users(services, 1)
    caller = Caller(discord_id=user.discord_id)
    prefs = await services.api.activity.set_topic(caller, "skipped", False)
    assert [t.topic for t in prefs.topics if not t.on] == ["skipped"]
    with pytest.raises(Invalid, match="cannot be switched off"):
        await services.api.activity.set_topic(caller, "safety", False)
    with pytest.raises(Invalid, match="choose one of"):
        await services.api.activity.set_topic(caller, "gossip", False)
    fresh = await User.get(user.id)
    assert fresh is not None
    signal = "a" * 24
    await services.notifier.notify(fresh, NotificationKind.TRADE_BLOCKED, "Did not trade: too risky", signal_id=signal)
    await services.notifier.notify(fresh, NotificationKind.POSITION_UNPROTECTED, "No working stop", signal_id=signal)
    sink = FlakySink()
    services.notifier.add_sink(sink)

    report = await services.delivery.run()

    assert (report.delivered, report.skipped) == (1, 1)
    assert dict(sink.sent) == {user.discord_id: ["No working stop"]}
    skipped = await Notification.find_one(Notification.kind == NotificationKind.TRADE_BLOCKED)
    assert skipped is not None and skipped.delivery == "skipped"
    assert skipped.delivery_error == "you switched off direct messages for calls skipped or rejected, with the reason"
    assert [n.text for n in await services.api.activity.notifications(caller)].count("Did not trade: too risky") == 1
