#!/usr/bin/env python3
"""A mixed fault campaign: many signals for many users while venue calls fail at a seeded rate and the process
is killed and restarted every few signals; then every record is checked against the venue.

    .venv/bin/python scripts/bench/faults.py [--venue paper|ccxt|spot|bybit|both] [--signals 200] [--users 50]
                                             [--fault-rate 0.05] [--kill-every 5] [--seed N]
                                             [--processes 1]

Faults on every venue call: timeouts (504), 5xx (503), rate limits (429), connection resets before the venue
acted, and accepted-then-timeout (the venue acted, the answer was lost). On paper they are raised around the
paper exchange's calls; on ccxt the fake Binance answers them (the real ccxt client, over HTTP; spot: its spot
market, where a resting stop holds the coins), on bybit the fake Bybit (v5, USDT perpetuals) does. Kills land at a
random database write or venue call. Each signal is a whole trade: a call, the price through target 1 or the
stop, the provider's close. With `--processes 2` (ccxt) a second app instance on the same database runs its monitor
and a reconcile alongside every part of every trade. At the end the faults stop, the app restarts once more and
reconciles, and:

- duplicate_orders: client ids placed twice on the venue, and positions that sold more than they bought;
- lost_records: venue orders with Signalcord's prefix but no record, venue fills missing from the records,
  calls never decided (a message left unprocessed);
- unreconciled: records that disagree with the venue, or orders left claimed but unsent;
- unprotected_positions: open positions without exactly one working stop.

The last line is JSON: {"venue", "seed", "signals", "users", "orders", "faults_injected", "restarts",
"duplicate_orders", "lost_records", "unreconciled", "unprotected_positions", "decisions" (trades and blocks by
rule), "seconds"} (one line per venue).
Target: 0 in each of the four counts, every run; the seed is printed so a failure can be replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestServer  # noqa: E402
from pymongo.asynchronous.collection import AsyncCollection  # noqa: E402

from core.api.views import Caller  # noqa: E402
from core.app import Services, build_services  # noqa: E402
from core.config.settings import load_settings  # noqa: E402
from core.domain import LIVE, ON_VENUE, OrderStatus, RawMessage  # noqa: E402
from core.execution.gateway import ExecutionGateway, OrderOutcomeUnknown, OrderResult, RateLimited  # noqa: E402
from core.execution.ids import PREFIX  # noqa: E402
from core.market.prices import StaticPriceSource  # noqa: E402
from models import Decision, ExchangeAccount, Fill, Message, OrderIntent, PaperOrder, Position  # noqa: E402
from models.bootstrap import make_client  # noqa: E402
from models.embedded import EmbeddedMongo  # noqa: E402
from models.refs import ref  # noqa: E402
from tests.fakes.accounts import add_testnet_account  # noqa: E402
from tests.fakes.binance import FakeBinance  # noqa: E402
from tests.fakes.bybit import FakeBybit  # noqa: E402
from tests.fakes.wrapped import GatewayWrapper  # noqa: E402

CHANNEL = 955_000_001
CALL = "BTC/USDT LONG entry 42000-42500 TP1 43000 TP2 44000 SL 41000 10x"
PATHS = ((42_250.0, 43_100.0, 42_250.0), (42_250.0, 40_900.0, 40_900.0))  # through target 1 / the stop
FAULTS = ("gateway_timeout", "unavailable", "rate_limit", "drop_before", "drop_after")
WRITES = ("insert_one", "insert_many", "update_one", "update_many", "replace_one", "bulk_write",
          "find_one_and_update", "delete_one")


class Killed(BaseException):
    """The process died here."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


class Campaign:
    """The seeded choices: which venue call fails and how, and where the next kill lands."""

    def __init__(self, rng: random.Random, fault_rate: float) -> None:
        self.rng, self.fault_rate = rng, fault_rate
        self.faults = 0
        self.kill_in: int | None = None  # steps (database writes and venue calls) until the kill
        self.on = True

    def fault(self) -> str | None:
        if not self.on or self.rng.random() >= self.fault_rate:
            return None
        self.faults += 1
        return self.rng.choice(FAULTS)

    def step(self) -> None:
        if self.kill_in is None:
            return
        self.kill_in -= 1
        if self.kill_in < 0:
            self.kill_in = None
            raise Killed


class FaultyPaper(GatewayWrapper):
    """A venue with the campaign's faults around its calls (paper), or only its kill points (ccxt: the fake
    Binance answers the faults itself)."""

    def __init__(self, inner: ExecutionGateway, campaign: Campaign, inject: bool = True) -> None:
        super().__init__(inner)
        self._campaign, self._inject = campaign, inject  # ccxt: the fake injects the faults, this counts kills

    def _fault(self) -> str | None:
        return self._campaign.fault() if self._inject else None

    async def _call(self, call: Callable[[], Awaitable[Any]]) -> Any:
        self._campaign.step()
        kind = self._fault()
        if kind == "rate_limit":
            raise RateLimited("429 (injected)")
        if kind in ("gateway_timeout", "unavailable", "drop_before"):
            raise OrderOutcomeUnknown(f"{kind} (injected)")
        result = await call()
        if kind == "drop_after":
            raise OrderOutcomeUnknown("accepted, then the answer was lost (injected)")
        return result

    async def create_order(self, request: Any) -> OrderResult:
        return await self._call(lambda: self._inner.create_order(request))  # type: ignore[no-any-return]

    async def replace_order(self, replaced: str, request: Any) -> OrderResult:
        return await self._call(lambda: self._inner.replace_order(replaced, request))  # type: ignore[no-any-return]

    async def create_orders(self, requests: Sequence[Any]) -> list[OrderResult | Exception]:
        self._campaign.step()
        kinds = [self._fault() for _ in requests]
        sent = [r for r, k in zip(requests, kinds, strict=True) if k in (None, "drop_after")]
        answers = iter(await self._inner.create_orders(sent) if sent else [])
        results: list[OrderResult | Exception] = []
        for kind in kinds:
            if kind == "rate_limit":
                results.append(RateLimited("429 (injected)"))
            elif kind in ("gateway_timeout", "unavailable", "drop_before"):
                results.append(OrderOutcomeUnknown(f"{kind} (injected)"))
            else:
                answer = next(answers)
                results.append(OrderOutcomeUnknown("accepted, then lost (injected)") if kind else answer)
        return results

    async def fetch_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        return await self._call(lambda: self._inner.fetch_order(client_order_id, symbol, order_type))

    async def cancel_order(self, client_order_id: str, symbol: str, order_type: str | None = None) -> Any:
        return await self._call(lambda: self._inner.cancel_order(client_order_id, symbol, order_type))


class Venue:
    def __init__(self, name: str, fake: FakeBinance | FakeBybit | None, url: str | None) -> None:
        self.name, self.fake, self.url = name, fake, url
        self.exchange = "bybit" if isinstance(fake, FakeBybit) else "binance"

    def move(self, prices: StaticPriceSource, price: float) -> None:
        prices.prices["BTC/USDT"] = price
        if self.fake is not None:
            self.fake.set_price("BTCUSDT", price)


@asynccontextmanager
async def running(settings: Any, prices: StaticPriceSource, clock: Clock, venue: Venue, campaign: Campaign,
                  processes: int = 1) -> AsyncIterator[list[Services]]:
    """`processes` instances of the app on one database, their venue calls and database writes counted toward the
    next kill (which stops them all: a kill is the deployment's restart)."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(_instance(settings, prices, clock, venue, campaign))
               for _ in range(processes)]


@asynccontextmanager
async def _counted_writes(campaign: Campaign) -> AsyncIterator[None]:
    originals = {name: getattr(AsyncCollection, name) for name in WRITES}

    def counted(name: str) -> Any:
        original = originals[name]

        async def write(collection: AsyncCollection[Any], *args: Any, **kwargs: Any) -> Any:
            campaign.step()
            return await original(collection, *args, **kwargs)
        return write

    for name in WRITES:
        setattr(AsyncCollection, name, counted(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(AsyncCollection, name, original)


@asynccontextmanager
async def _instance(settings: Any, prices: StaticPriceSource, clock: Clock, venue: Venue,
                    campaign: Campaign) -> AsyncIterator[Services]:
    async with build_services(settings, prices=prices, clock=clock) as services:
        if venue.fake is None:
            services.gateways.paper = FaultyPaper(services.gateways.paper, campaign)  # type: ignore[assignment]
        else:
            connect = services.gateways.connect
            assert connect is not None

            async def counted_connect(account: ExchangeAccount) -> ExecutionGateway:
                return FaultyPaper(await connect(account), campaign, inject=False)  # type: ignore[return-value]

            services.gateways.connect = counted_connect
        yield services


async def set_up(services: Services, venue: Venue, users: int) -> None:
    provider = await services.accounts.register_provider("Faults", CHANNEL)
    for n in range(users):
        user = await services.accounts.ensure_user(700_000 + n, f"user{n}")
        await services.accounts.subscribe(user, provider)
        # half the trades are stop-outs: with the default 5 % daily limit most users would be paused for the day
        # after a few, and the campaign would exercise pauses instead of orders
        await services.api.risk.patch(Caller(discord_id=700_000 + n), {"daily_loss_pct": 100})
        if venue.fake is not None:  # each user an account of its own: positions (and reduce-only) are per account
            key, secret = f"fault-key-{n}", f"fault-secret-{n}"
            venue.fake.other_accounts[key] = secret
            await add_testnet_account(services, user, key, secret, exchange=venue.exchange,
                                      market="spot" if venue.name == "spot" else "futures")


async def trade(instances: list[Services], venue: Venue, prices: StaticPriceSource, clock: Clock, n: int,
                path: tuple[float, ...]) -> None:
    """Signal n's whole trade, run by the first instance; each part is safe to run again after a restart (messages
    are stored once). Any other instance runs its monitor and a reconcile alongside each part, on the same
    positions: what two processes meeting on one order or position would do."""
    services, others = instances[0], instances[1:]

    async def alongside(part: Awaitable[Any]) -> None:
        await asyncio.gather(part, *(job for other in others for job in (other.monitor.tick(),
                                                                           other.reconciler.run())))

    venue.move(prices, path[0])
    clock.advance(1)
    await alongside(services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=2 * n + 1,
                                                        author="provider", text=CALL, created_at=clock())))
    for price in path[1:]:
        venue.move(prices, price)
        clock.advance(1)
        await alongside(services.monitor.tick())
    await alongside(services.pipeline.ingest(RawMessage(channel_id=CHANNEL, message_id=2 * n + 2,
                                                        author="provider", text="Close #BTCUSDT",
                                                        created_at=clock())))
    if n % 3 == 2:
        clock.advance(1)
        await services.reconciler.run()


async def run_venue(venue: Venue, uri: str, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    started = time.perf_counter()
    campaign = Campaign(rng, args.fault_rate)
    if venue.fake is not None:
        fake = venue.fake
        fake.balances["USDT"] = 1e12
        fake.chaos = lambda method, path: campaign.fault() if "order" in path.lower() else None
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, SIGNALCORD_DATA_DIR=tmp, MONGODB_URI=uri,
                                 SIGNALCORD_DB_NAME=f"faults_{venue.name}_{args.seed}",
                                 SIGNALCORD_EXCHANGE_BASE_URL=venue.url or "",
                                 SIGNALCORD_EXCHANGE_RATE_LIMIT_MS="1", SIGNALCORD_PAPER_START_BALANCE="1000000")
        prices, clock = StaticPriceSource({"BTC/USDT": 42_250.0}), Clock()
        client = make_client(uri)  # a fresh database before the app makes its indexes (a drop takes them along)
        await client.drop_database(settings.db_name)
        await client.close()
        done, restarts, first, planned = 0, 0, True, set()
        while done < args.signals:
            try:
                async with _counted_writes(campaign), running(settings, prices, clock, venue, campaign,
                                                              args.processes) as instances:
                    services = instances[0]
                    if first:
                        await set_up(services, venue, args.users)
                        first = False
                    else:
                        clock.advance(2)  # a restart takes a while: past the grace before a resume
                        await asyncio.gather(*(instance.start_up() for instance in instances))
                    while done < args.signals:
                        if done % args.kill_every == args.kill_every - 1 and done not in planned:
                            planned.add(done)
                            campaign.kill_in = rng.randrange(1, 120)  # a kill somewhere in the next trade or so
                        await trade(instances, venue, prices, clock, done, PATHS[done % len(PATHS)])
                        done += 1
            except Killed:
                restarts += 1
        campaign.on, campaign.kill_in = False, None
        async with _counted_writes(campaign), running(settings, prices, clock, venue, campaign) as [services]:
            # faults over: one instance settles up
            clock.advance(2)
            await services.start_up()
            for _ in range(2):
                clock.advance(1)
                await services.monitor.tick()
                await services.reconciler.run()
            result = await check(services, venue)
            await services.client.drop_database(settings.db_name)
    return {"venue": venue.name, "seed": args.seed, "signals": args.signals, "users": args.users,
            "processes": args.processes, **result,
            "faults_injected": campaign.faults, "restarts": restarts,
            "seconds": round(time.perf_counter() - started, 1)}


async def check(services: Services, venue: Venue) -> dict[str, Any]:
    intents = await OrderIntent.find_all().to_list()
    by_cid = {i.client_order_id: i for i in intents}
    problems: dict[str, list[str]] = {"duplicate_orders": [], "lost_records": [], "unreconciled": [],
                                      "unprotected_positions": []}
    venue_orders = await _venue_orders(venue)
    seen: dict[str, int] = {}
    for cid, _, _ in venue_orders:
        seen[cid] = seen.get(cid, 0) + 1
    problems["duplicate_orders"] += [f"{cid} placed {n} times" for cid, n in seen.items() if n > 1]
    for cid in (cid for cid, n in seen.items() if n > 1 and cid in by_cid):
        story(by_cid[cid])
    fills = await Fill.find_all().to_list()
    filled: dict[str, float] = {}
    for fill in fills:
        filled[fill.client_order_id] = filled.get(fill.client_order_id, 0.0) + fill.amount
    for cid, status, amount in venue_orders:
        intent = by_cid.get(cid)
        if intent is None:
            problems["lost_records"].append(f"{cid} on the venue, no record")
            continue
        if abs(filled.get(cid, 0.0) - amount) > 1e-9:
            problems["lost_records"].append(f"{cid} filled {amount:g} on the venue, {filled.get(cid, 0.0):g} booked")
            story(intent)
        if (status in ON_VENUE) != (intent.status in ON_VENUE) and not intent.emulated:
            problems["unreconciled"].append(f"{cid} is {intent.status.value} here, {status.value} there")
            story(intent)
    for intent in intents:
        if intent.status is OrderStatus.PENDING and not intent.emulated:
            problems["unreconciled"].append(f"{intent.client_order_id} never sent ({intent.leg})")
    for position in await Position.find_all().to_list():
        bought = sum(f.amount for f in fills if f.client_order_id in by_cid
                     and by_cid[f.client_order_id].position_id == ref(position)
                     and by_cid[f.client_order_id].role == "entry")
        sold = sum(f.amount for f in fills if f.client_order_id in by_cid
                   and by_cid[f.client_order_id].position_id == ref(position)
                   and by_cid[f.client_order_id].role != "entry")
        if sold > bought + 1e-9:
            problems["duplicate_orders"].append(f"position {position.id} sold {sold:g} of {bought:g}")
            explain(position, [i for i in intents if i.position_id == ref(position)], fills)
        if position.status == "open":
            stops = [i for i in intents if i.position_id == ref(position) and i.role == "sl" and i.status in LIVE]
            if len(stops) != 1:
                problems["unprotected_positions"].append(f"position {position.id}: {len(stops)} working stops")
                explain(position, [i for i in intents if i.position_id == ref(position)], fills)
    unprocessed = await Message.find(Message.status != "processed").count()
    if unprocessed:
        problems["lost_records"].append(f"{unprocessed} messages never processed")
    for name, found in problems.items():
        for line in found[:5]:
            print(f"{venue.name} {name}: {line}", file=sys.stderr)
    outcomes: dict[str, int] = {}
    for decision in await Decision.find_all().to_list():
        key = "trade" if decision.outcome.value == "trade" else f"block:{decision.rule}"
        outcomes[key] = outcomes.get(key, 0) + 1
    return {"orders": len(intents), **{name: len(found) for name, found in problems.items()},
            "decisions": dict(sorted(outcomes.items(), key=lambda kv: -kv[1]))}


EXPLAIN: dict[str, bool] = {"on": False}


def story(intent: OrderIntent) -> None:
    """With --explain: one flagged order's history, to stderr."""
    if EXPLAIN["on"]:
        print(f"   {intent.client_order_id} {intent.leg} {intent.side.value} {intent.amount:g}: " + "; ".join(
            f"{t.status.value}@{t.at_ms % 10_000_000}: {t.cause}" for t in intent.history), file=sys.stderr)


def explain(position: Position, intents: list[OrderIntent], fills: list[Fill]) -> None:
    """With --explain: a flagged position's story (its orders' histories and fills), to stderr."""
    if not EXPLAIN["on"]:
        return
    print(f"-- position {position.id} user {position.user_id} signal {position.signal_id}: {position.status}, "
          f"amount {position.amount:g}, opened {position.opened_at_ms}, closed {position.closed_at_ms} "
          f"({position.close_reason})", file=sys.stderr)
    for intent in sorted(intents, key=lambda i: i.history[0].at_ms):
        steps = "; ".join(f"{t.status.value}@{t.at_ms % 10_000_000}: {t.cause}" for t in intent.history)
        got = sum(f.amount for f in fills if f.client_order_id == intent.client_order_id)
        print(f"   {intent.leg} {intent.side.value} {intent.amount:g} filled {got:g}: {steps}", file=sys.stderr)


async def _venue_orders(venue: Venue) -> list[tuple[str, OrderStatus, float]]:
    """(client id, status, filled) of every order Signalcord placed on the venue."""
    if venue.fake is None:
        return [(o.client_order_id, o.status, o.filled) for o in await PaperOrder.find_all().to_list()]
    return [(cid, OrderStatus(state), filled) for cid, state, filled in venue.fake.order_book()
            if cid.startswith(PREFIX)]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venue", choices=["paper", "ccxt", "spot", "bybit", "both"], default="both",
                        help="both: paper and ccxt (the fake Binance's futures); spot: the fake Binance's spot")
    parser.add_argument("--signals", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--kill-every", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--explain", action="store_true", help="print each flagged position's orders and fills")
    parser.add_argument("--processes", type=int, default=1,
                        help="app instances on one database (not paper: the paper exchange matches in one process)")
    args = parser.parse_args()
    if args.processes > 1 and args.venue not in ("ccxt", "spot", "bybit"):
        parser.error("--processes above 1 needs --venue ccxt, spot or bybit: the paper exchange matches orders in one "
                     "process")
    EXPLAIN["on"] = args.explain
    args.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"seed {args.seed}", file=sys.stderr)
    logging.basicConfig(level=logging.CRITICAL)
    results = []
    with EmbeddedMongo(None) as mongo:
        for name in (["paper", "ccxt"] if args.venue == "both" else [args.venue]):
            fake = FakeBybit() if name == "bybit" else FakeBinance() if name in ("ccxt", "spot") else None
            server: TestServer | None = None
            if fake is not None:
                server = TestServer(fake.app())
                await server.start_server()
            try:
                url = str(server.make_url("")).rstrip("/") if server else None
                results.append(await run_venue(Venue(name, fake, url), mongo.uri, args, random.Random(args.seed)))
            finally:
                if server is not None:
                    await server.close()
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
