"""Kill the process at every order call and restart it: no order is sent twice, none is left behind untracked,
and the trade ends as it would have without the crash. Runs on the embedded database with the app's real
services, against the paper exchange and against ccxt talking to the fake Binance or the fake Bybit (testnet
accounts).

A kill is a BaseException raised by a gateway wrapper just before or just after the venue call, so it passes
every `except Exception` like a real SIGKILL passes everything: the database and the venue keep exactly what
was written up to that instant. The restart builds fresh services (no in-memory state) on the same database
and runs the start-up path (`Services.start_up`: reconcile, then resume unfinished messages)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.app import Services, build_services
from core.domain import OrderSide, OrderStatus, RawMessage, TradeMode
from core.execution.gateway import ExecutionGateway, OrderRequest
from core.market.prices import StaticPriceSource
from core.services.orders.desk import LIVE_QUERY
from models import ExchangeAccount, Fill, Notification, OrderIntent, PaperHoldingDoc, PaperOrder, Position
from models.refs import ref
from tests.conftest import FakeClock, make_settings
from tests.e2e.test_order_lifecycle import CHANNEL, POSTED
from tests.fakes import binance, bybit
from tests.fakes.accounts import add_testnet_account
from tests.fakes.binance import FakeBinance
from tests.fakes.bybit import FakeBybit
from tests.fakes.wrapped import GatewayWrapper

SIGNAL = "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x"
STEPS = (42_250.0, 43_100.0, 40_900.0)  # the market at each tick: entry, target 1, then the stop


class Killed(BaseException):
    """The process died here."""


@dataclass
class KillPlan:
    at: int | None  # the n-th order call (create / cancel) dies; None: a clean run
    after: bool  # before the call reaches the venue, or after it landed (its answer lost)
    calls: int = 0

    async def around(self, call: Callable[[], Awaitable[Any]]) -> Any:
        index, self.calls = self.calls, self.calls + 1
        if index == self.at and not self.after:
            raise Killed
        result = await call()
        if index == self.at:
            raise Killed
        return result


class Killing(GatewayWrapper):
    """An ExecutionGateway that dies where the plan says; everything else is the real gateway."""

    def __init__(self, inner: ExecutionGateway, plan: KillPlan) -> None:
        super().__init__(inner)
        self._plan = plan

    async def create_order(self, request: Any) -> Any:
        return await self._plan.around(lambda: self._inner.create_order(request))

    async def create_orders(self, requests: Any) -> Any:
        return await self._plan.around(lambda: self._inner.create_orders(requests))

    async def replace_order(self, replaced: str, request: Any) -> Any:
        return await self._plan.around(lambda: self._inner.replace_order(replaced, request))

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        return await self._plan.around(lambda: self._inner.cancel_order(client_order_id, symbol, order_type))


@dataclass
class World:
    settings: Any
    clock: FakeClock
    prices: StaticPriceSource
    fake: FakeBinance | FakeBybit | None
    spot: bool = False  # the account trades Binance spot

    @asynccontextmanager
    async def process(self, plan: KillPlan) -> AsyncIterator[Services]:
        async with build_services(self.settings, prices=self.prices, clock=self.clock) as services:
            services.gateways.paper = Killing(services.gateways.paper, plan)  # type: ignore[assignment]
            connect = services.gateways.connect
            assert connect is not None

            async def killing_connect(account: ExchangeAccount) -> ExecutionGateway:
                return Killing(await connect(account), plan)  # type: ignore[return-value]

            services.gateways.connect = killing_connect
            yield services

    @property
    def venue(self) -> str:
        """"paper", "ccxt" (the fake Binance's USDT-M futures), "spot" (its spot) or "bybit": what `setup` opens
        the user's account on."""
        if self.fake is None:
            return "paper"
        return "bybit" if isinstance(self.fake, FakeBybit) else "spot" if self.spot else "ccxt"

    def market(self, step: int) -> None:
        self.prices.prices["BTC/USDT"] = STEPS[step]
        if self.fake is not None:
            self.fake.set_price("BTCUSDT", STEPS[step])


async def setup(services: Services, venue: str) -> None:
    """A provider and one subscribed user, trading on paper, or on a testnet account on the fake Binance ("ccxt":
    USDT-M futures, "spot": spot) or the fake Bybit ("bybit")."""
    provider = await services.accounts.register_provider("Alpha", CHANNEL)
    user = await services.accounts.ensure_user(1000, "trader")
    await services.accounts.subscribe(user, provider)
    if venue in ("ccxt", "spot"):
        await add_testnet_account(services, user, market="futures" if venue == "ccxt" else "spot")
    elif venue == "bybit":
        await add_testnet_account(services, user, bybit.API_KEY, bybit.SECRET, exchange="bybit")


async def step(services: Services, world: World, index: int) -> None:
    """One step of the trade's life; safe to run again after a restart."""
    world.market(index)
    world.clock.advance(minutes=1)
    if index == 0:
        await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider",
                                                  text=SIGNAL, created_at=POSTED))
    await services.monitor.tick()


async def protected_while_open() -> None:
    """The invariant after every completed step: an open position has exactly one live stop."""
    for position in await Position.find(Position.status == "open").to_list():
        stops = await OrderIntent.find({"position_id": ref(position), "role": "sl", "status": LIVE_QUERY}).to_list()
        assert len(stops) == 1, f"{len(stops)} live stops for an open position"
        assert stops[0].amount == pytest.approx(position.amount)


async def run(world: World, venue: str, plan: KillPlan) -> tuple[bool, dict[str, Any]]:
    """The whole trade, with one kill where the plan says: (whether the kill happened, the outcome). The
    database is dropped at the end."""
    done, killed, result = 0, False, {}
    while done < len(STEPS):
        try:
            async with world.process(plan) as services:
                if killed:
                    world.clock.advance(minutes=2)  # the restart takes a while: past the grace before a resume
                    await services.start_up()
                elif done == 0:
                    await setup(services, venue)
                while done < len(STEPS):
                    await step(services, world, done)
                    await protected_while_open()
                    done += 1
                world.clock.advance(minutes=1)
                await services.reconciler.run()  # the minute job after the last step
                await services.monitor.tick()
                result = await outcome(world)
                await services.client.drop_database(world.settings.db_name)
        except Killed:
            assert not killed, "one kill per run"
            killed = True
    return killed, result


async def outcome(world: World) -> dict[str, Any]:
    [position] = await Position.find_all().to_list()
    fills = await Fill.find_all().to_list()
    intents = await OrderIntent.find_all().to_list()
    bought = sum(f.amount for f in fills if f.side.value == "buy")
    sold = sum(f.amount for f in fills if f.side.value == "sell")
    live = [i.leg for i in intents if i.status.value in LIVE_QUERY["$in"]]
    if world.fake is not None:
        book = world.fake.order_book()
        venue_ids, venue_open = [cid for cid, _, _ in book], [cid for cid, state, _ in book if state == "open"]
    else:
        paper = await PaperOrder.find_all().to_list()
        venue_ids = [o.client_order_id for o in paper]
        venue_open = [o.client_order_id for o in paper if o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)]
    known = {i.client_order_id for i in intents}
    notes = sorted(n.kind for n in await Notification.find_all().to_list())
    return {"notes": notes, "status": position.status, "reason": position.close_reason, "bought": round(bought, 8),
            "sold": round(sold, 8), "pnl": round(position.realized_pnl, 6), "live": live, "venue_open": venue_open,
            "duplicates": len(venue_ids) - len(set(venue_ids)), "orphans": sorted(set(venue_ids) - known)}


@pytest.fixture
def new_world(mongo_url: str, tmp_path: Path, fake_binance: tuple[FakeBinance, str],
              fake_bybit: tuple[FakeBybit, str]) -> Callable[..., World]:
    """A fresh database (and, with an exchange, the fake Binance, or the fake Bybit when `exchange="bybit"`) for
    one run of the app; the key file is shared."""

    def make(with_exchange: bool, exchange: str = "binance", spot: bool = False) -> World:
        fake, url = fake_bybit if exchange == "bybit" else fake_binance
        env = {"MONGODB_URI": mongo_url, "SIGNALCORD_DB_NAME": f"t_{uuid.uuid4().hex[:10]}",
               "SIGNALCORD_EXCHANGE_BASE_URL": url, "SIGNALCORD_EXCHANGE_RATE_LIMIT_MS": "1"}
        return World(make_settings(tmp_path, **env), FakeClock(POSTED), StaticPriceSource({"BTC/USDT": STEPS[0]}),
                     fake if with_exchange else None, spot)

    return make


def world_for(new_world: Callable[..., World], venue: str) -> World:
    """The world of a venue name: "paper", "ccxt" (the fake Binance's futures), "spot" (its spot) or "bybit"."""
    return new_world(venue != "paper", "bybit" if venue == "bybit" else "binance", venue == "spot")


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_a_kill_at_any_order_call_then_restart_leaves_no_duplicate_and_no_orphan(
        new_world: Callable[..., World], venue: str) -> None:
    clean_plan = KillPlan(at=None, after=False)
    clean = await _run_in(world_for(new_world, venue), venue, clean_plan)
    assert clean["status"] == "closed" and clean["reason"] == "stop-loss hit"
    assert clean["bought"] == 0.08 and clean["sold"] == held_after_buying(venue, 0.08)
    assert clean["live"] == [] and clean["venue_open"] == [] and clean["duplicates"] == 0
    assert clean_plan.calls >= 3

    for at in range(clean_plan.calls):
        for after in (False, True):
            plan = KillPlan(at=at, after=after)
            got = await _run_in(world_for(new_world, venue), venue, plan)
            where = f"killed {'after' if after else 'before'} order call {at}"
            assert got["duplicates"] == 0 and got["orphans"] == [], where
            assert got["live"] == [] and got["venue_open"] == [], where
            assert (got["status"], got["reason"], got["bought"], got["sold"]) == \
                (clean["status"], clean["reason"], clean["bought"], clean["sold"]), where
            assert got["pnl"] == pytest.approx(clean["pnl"], abs=0.01), where
            assert got["notes"] == clean["notes"], where


def held_after_buying(venue: str, amount: float) -> float:
    """What a market buy leaves to sell: Binance spot takes the commission from the coin bought."""
    return round(amount * (1 - binance.FEE_RATE), 8) if venue == "spot" else amount


async def _run_in(world: World, venue: str, plan: KillPlan) -> dict[str, Any]:
    """Run in a fresh database (and a fresh fake exchange book)."""
    if world.fake is not None:  # one server for all runs: each run starts from an empty order book
        world.fake.reset({"BTCUSDT": STEPS[0]})
    killed, result = await run(world, venue, plan)
    assert killed == (plan.at is not None), "the planned kill did not happen"
    return result


@pytest.fixture
def ccxt_world(new_world: Callable[..., World]) -> World:
    return new_world(True)


async def test_strays_are_adopted_and_vanished_orders_are_marked(ccxt_world: World) -> None:
    fake = ccxt_world.fake
    assert fake is not None
    async with ccxt_world.process(KillPlan(at=None, after=False)) as services:
        await setup(services, "ccxt")
        [account] = await ExchangeAccount.find(ExchangeAccount.mode == TradeMode.TESTNET).to_list()
        gateway = await services.gateways.for_account(ref(account))
        stray = "sc" + "7" * 30
        await gateway.create_order(OrderRequest(stray, ref(account), "BTC/USDT", OrderSide.BUY, "limit", 0.01,
                                                price=40_000.0))
        foreign = await gateway.create_order(OrderRequest("manual1", ref(account), "BTC/USDT", OrderSide.BUY,
                                                          "limit", 0.01, price=39_000.0))

        report = await services.reconciler.run()
        assert report.adopted == [f"BTC/USDT {stray}"]  # ours by prefix; the user's own order is left alone
        adopted = await OrderIntent.find_one(OrderIntent.client_order_id == stray)
        assert adopted is not None and (adopted.role, adopted.status, adopted.amount) == ("stray", OrderStatus.OPEN,
                                                                                           0.01)
        assert await OrderIntent.find_one(OrderIntent.client_order_id == foreign.client_order_id) is None
        [note] = await Notification.find(Notification.kind == "order_reconciled").to_list()
        assert "Signalcord placed but has no record of" in note.text
        assert (await services.reconciler.run()).adopted == []  # adopted once

        del fake.orders[next(k for k, o in fake.orders.items() if o.client_id == stray)]  # gone without a trace
        ccxt_world.clock.advance(minutes=1)
        report = await services.reconciler.run()
        assert report.dropped == ["BTC/USDT stray: vanished"]
        adopted = await OrderIntent.find_one(OrderIntent.client_order_id == stray)
        assert adopted is not None and adopted.status is OrderStatus.CANCELLED
        assert adopted.history[-1].cause == "no longer on the exchange (cancelled outside Signalcord?)"


async def test_an_order_that_never_landed_is_sent_once_while_fresh_and_refused_when_late(
        ccxt_world: World) -> None:
    fake = ccxt_world.fake
    assert fake is not None
    async with ccxt_world.process(KillPlan(at=0, after=False)) as services:  # dies before the entry is sent
        await setup(services, "ccxt")
        with pytest.raises(Killed):
            await step(services, ccxt_world, 0)
    async with ccxt_world.process(KillPlan(at=None, after=False)) as services:
        [entry] = await OrderIntent.find(OrderIntent.leg == "entry").to_list()
        assert entry.status is OrderStatus.SUBMITTED and fake.order_posts() == 0
        report = await services.reconciler.run()  # right after the crash: it may still be in flight
        assert report.resent == [] and fake.order_posts() == 0

        ccxt_world.clock.advance(minutes=5)  # too late for a market entry at the call's price
        report = await services.reconciler.run()
        assert report.dropped == ["BTC/USDT entry: a market entry this late would not be the call's price"]
        assert fake.order_posts() == 0
        entry = await OrderIntent.get(entry.id)
        assert entry is not None and entry.status is OrderStatus.REJECTED
        [position] = await Position.find_all().to_list()
        assert position.status == "cancelled"
        [note] = await Notification.find(Notification.kind == "order_rejected").to_list()
        assert "never reached the exchange and a market entry this late" in note.text


async def test_an_open_position_whose_stop_cannot_be_replaced_is_reported(services: Services) -> None:
    await setup(services, "paper")
    await services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=1, author="provider", text=SIGNAL,
                                              created_at=POSTED))
    [stop] = await OrderIntent.find(OrderIntent.leg == "sl").to_list()
    await services.gateways.paper.cancel_order(stop.client_order_id, stop.symbol)  # cancelled on the venue...
    await PaperHoldingDoc.find_all().delete()  # ...and the coins sold there by hand: nothing left to protect

    report = await services.reconciler.run()
    assert report.dropped == [] and report.updated == ["sl -> cancelled"]
    assert report.unprotected and report.unprotected[0].startswith("BTC/USDT ")
    kinds = [n.kind async for n in Notification.find_all()]
    assert "order_rejected" in kinds and "position_unprotected" in kinds
    [note] = await Notification.find(Notification.kind == "position_unprotected").to_list()
    assert note.text.startswith("Your BTC/USDT position has no stop-loss on the exchange")
    await services.reconciler.run()
    assert await Notification.find(Notification.kind == "position_unprotected").count() == 1  # told once
