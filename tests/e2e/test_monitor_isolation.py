"""One failing account never stops the others' stops (the execution issue's defect 1, the service-layer issue's
item 7): user A's key is revoked while A has orders resting on the exchange; the price goes through user B's
stop; B's stop still fires in that tick, the bar's cursor is saved, and A's failure is logged once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from core.domain import NotificationKind, RawMessage
from core.execution.gateway import ExecutionGateway, OrderRejected, RateLimited
from core.services.decide import risk_settings
from models import ExchangeAccount, MonitorCursor, Notification, OrderIntent, Position, Provider, User
from models.refs import ref
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.e2e.test_restart import SIGNAL, KillPlan, World
from tests.fakes.accounts import add_testnet_account
from tests.fakes.wrapped import GatewayWrapper

BETA = 555_000_999
REVOKED = OrderRejected("the exchange refused the API key (binance -2015)", "auth")
RESTING = "BTC/USDT LONG entry 41900 TP1 43000 SL 40000 5x"  # within the chase limit: a resting limit buy


class Revoked(GatewayWrapper):
    """The account's gateway after its owner revoked the API key: every status poll is refused."""

    def __init__(self, inner: ExecutionGateway, error: Exception) -> None:
        super().__init__(inner)
        self.error = error

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        raise self.error

    async def open_orders(self, account_id: str) -> Any:
        raise self.error


async def ccxt_user(services: Any, discord_id: int, channel: int, provider: Provider | None = None) -> User:
    """A user trading on the fake Binance (testnet), subscribed to the channel's provider (registered if new)."""
    provider = provider or await services.accounts.register_provider(f"provider {channel}", channel)
    user = await services.accounts.ensure_user(discord_id, f"trader{discord_id}")
    await services.accounts.subscribe(user, provider)
    await add_testnet_account(services, user)
    return user


async def wrap_gateway(services: Any, user: User, wrap: Callable[[ExecutionGateway], Any]) -> None:
    """From now on the user's exchange account connects through `wrap` (a fault at the network edge); the other
    accounts connect as before."""
    account = await ExchangeAccount.find_one(ExchangeAccount.user_id == ref(user),
                                             ExchangeAccount.label == "binance-testnet")
    assert account is not None
    connect = services.gateways.connect
    assert connect is not None

    async def connecting(target: ExchangeAccount) -> ExecutionGateway:
        gateway = await connect(target)
        return wrap(gateway) if target.id == account.id else gateway  # type: ignore[no-any-return]

    services.gateways.connect = connecting


async def test_a_revoked_key_never_stops_another_users_stop(new_world: Callable[..., World],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    world = new_world(True)
    async with _two_traders(world) as services:
        world.market(2)  # 40,900: through both stops at 41,000
        world.clock.advance(minutes=1)
        with caplog.at_level(logging.WARNING, logger="core.services.jobs.monitor"):
            await services.monitor.tick()
            world.clock.advance(minutes=1)
            await services.monitor.tick()
        bob = await User.find_one(User.discord_id == 1001)
        assert bob is not None
        bobs = await Position.find_one(Position.user_id == ref(bob))
        assert bobs is not None and bobs.status == "closed" and bobs.close_reason is not None
        cursor = await MonitorCursor.find_one(MonitorCursor.symbol == "BTC/USDT")
        assert cursor is not None
        failures = [r for r in caplog.records if "the exchange refused the API key" in r.getMessage()]
        assert len(failures) == 1  # the same failure again within the minute is not logged again


@pytest.mark.parametrize("error", [RateLimited("429 too many requests"), RuntimeError("a bad record")])
async def test_reconciliation_goes_on_past_a_failing_account(new_world: Callable[..., World],
                                                             error: Exception) -> None:
    async with _two_traders(new_world(True), error) as services:
        report = await services.reconciler.run()
        on_venue = await OrderIntent.find(OrderIntent.role != "entry", OrderIntent.emulated == False).count()  # noqa: E712
    # alice's resting entry and her account's open orders are reported and skipped; bob's stop and targets, which
    # rest on the exchange, are still checked; the positions pass still ran
    assert on_venue == 3 and report.checked == 1 + on_venue and len(report.unreachable) == 2
    assert all(str(error) in line for line in report.unreachable) and report.unprotected == []


@asynccontextmanager
async def _two_traders(world: World, error: Exception = REVOKED) -> AsyncIterator[Any]:
    """Alice (a limit entry resting) and Bob (in at market, stop 41,000) on the fake Binance; then Alice's key is
    revoked. The database is dropped at the end."""
    async with world.process(KillPlan(at=None, after=False)) as services:
        alice = await ccxt_user(services, 1000, BETA)  # follows Beta: a limit entry resting below the market
        await risk_settings.update_profile(alice, {"entry_style": "limit"})
        await ccxt_user(services, 1001, CHANNEL)  # follows Alpha: in at market, stop at 41,000
        world.market(0)
        await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider",
                                                  text=SIGNAL, created_at=POSTED))
        await services.pipeline.ingest(RawMessage(channel_id=BETA, message_id=2, author="provider",
                                                  text=RESTING, created_at=POSTED))
        assert sorted(p.status for p in await Position.find_all().to_list()) == ["open", "pending"]
        await services.gateways.close()  # the connections so far are closed; the next calls connect again
        await wrap_gateway(services, alice, lambda gateway: Revoked(gateway, error))

        yield services
        await services.client.drop_database(world.settings.db_name)


class BrokenCancel(GatewayWrapper):
    """A gateway whose cancel fails with an error nobody classified (a bad record, a bug in a venue's answer)."""

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        raise RuntimeError("a venue answer nobody expected")


async def test_a_provider_update_failing_for_one_holder_still_reaches_the_others(
        new_world: Callable[..., World]) -> None:
    world = new_world(True)
    async with world.process(KillPlan(at=None, after=False)) as services:
        provider = await services.accounts.register_provider("Alpha", CHANNEL)
        broken = await ccxt_user(services, 1000, CHANNEL, provider)
        fine = await ccxt_user(services, 1001, CHANNEL, provider)
        world.market(0)
        await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider",
                                                  text=SIGNAL, created_at=POSTED))
        await services.gateways.close()
        await wrap_gateway(services, broken, BrokenCancel)

        result = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=2, author="provider",
                                                           text="Close #BTCUSDT", created_at=POSTED))

        assert result.status == "processed"
        closed = await Position.find_one(Position.user_id == ref(fine))
        assert closed is not None and closed.status == "closed"
        told = await Notification.find_one(Notification.user_id == ref(broken),
                                           Notification.kind == NotificationKind.PROVIDER_CLOSE)
        assert told is not None and "could not be applied now" in told.text
        await services.client.drop_database(world.settings.db_name)


class BrokenResend(GatewayWrapper):
    """A gateway whose batch send is rate limited and whose look-up then fails with an error nobody classified."""

    async def create_orders(self, requests: Any) -> Any:
        return [RateLimited("429 too many requests") for _ in requests]

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        raise RuntimeError("a venue answer nobody expected")


async def test_a_call_opening_for_many_goes_on_past_one_failing_order(new_world: Callable[..., World],
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """One user's entry goes the one-order way (its batch send was rate limited) and fails there with an error
    nobody classified: the call still opens the other user's position and places its stop, and the failure is
    logged with the order it hit (the reconciler takes that order up)."""
    world = new_world(True)
    async with world.process(KillPlan(at=None, after=False)) as services:
        provider = await services.accounts.register_provider("Alpha", CHANNEL)
        broken = await ccxt_user(services, 1000, CHANNEL, provider)
        fine = await ccxt_user(services, 1001, CHANNEL, provider)
        await wrap_gateway(services, broken, BrokenResend)
        world.market(0)
        with caplog.at_level(logging.WARNING, logger="core.services.orders.batch"):
            result = await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider",
                                                               text=SIGNAL, created_at=POSTED))
        assert result.status == "processed"
        position = await Position.find_one(Position.user_id == ref(fine))
        assert position is not None and position.status == "open"
        stops = await OrderIntent.find(OrderIntent.user_id == ref(fine), OrderIntent.role == "sl").to_list()
        assert [s.status.value for s in stops] == ["open"]
        [entry] = await OrderIntent.find(OrderIntent.user_id == ref(broken), OrderIntent.role == "entry").to_list()
        assert any(entry.client_order_id in r.getMessage() and "nobody expected" in r.getMessage()
                   for r in caplog.records)
        await services.client.drop_database(world.settings.db_name)
