"""Kill the process at every database write of a whole trade (the execution issue's proof): the decision, the
intent insert, the send claim, the venue's answer, the fill record, the ledger row, the position update, each
protective placement and replacement, each notification — before the write and right after it. Restart on the
same database and finish the trade; per kill point: no client id sent twice, no venue order without an intent,
nothing left live, the same fills and P&L as the run without a kill, and the same notifications (a fill's notice is
stored before the position that folds it, so a kill in between repeats it - a repeat, dropped - instead of losing
it). (Kills at every venue call are in test_restart.py; this file adds every persistence step.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from core.app import Services
from tests.e2e.test_restart import Killed, KillPlan, World, run, world_for

GAP = 0.04 * (43_100.0 - 43_000.0)  # see the P&L check below
SET_UP = ("users", "providers", "subscriptions", "exchange_accounts")  # the test's set-up: not the trade's steps
WRITES = ("insert_one", "insert_many", "update_one", "update_many", "replace_one", "bulk_write",
          "find_one_and_update", "find_one_and_replace", "delete_one", "delete_many")


@dataclass
class WritePlan(KillPlan):
    """Dies at the `write_at`-th database write of the trade (before it, or once it landed)."""

    write_at: int | None = None
    writes: int = 0
    counting: bool = False

    async def around_write(self, call: Callable[[], Any]) -> Any:
        if not self.counting:
            return await call()
        index, self.writes = self.writes, self.writes + 1
        if index == self.write_at and not self.after:
            raise Killed
        result = await call()
        if index == self.write_at:
            raise Killed
        return result


class WriteKillWorld(World):
    @asynccontextmanager
    async def process(self, plan: KillPlan) -> AsyncIterator[Services]:
        assert isinstance(plan, WritePlan)
        originals = {name: getattr(AsyncCollection, name) for name in WRITES}

        def wrapped(name: str) -> Any:
            original = originals[name]

            async def write(collection: AsyncCollection[Any], *args: Any, **kwargs: Any) -> Any:
                if collection.name.startswith("system") or collection.name in SET_UP:
                    return await original(collection, *args, **kwargs)
                return await plan.around_write(lambda: original(collection, *args, **kwargs))
            return write

        for name in WRITES:
            setattr(AsyncCollection, name, wrapped(name))
        try:
            async with super().process(plan) as services:
                plan.counting = True
                yield services
        finally:
            plan.counting = False
            for name, original in originals.items():
                setattr(AsyncCollection, name, original)


@pytest.mark.parametrize("venue", ["paper", "ccxt", "bybit", "spot"])
async def test_a_kill_at_any_database_write_then_restart_loses_and_duplicates_nothing(
        new_world: Callable[..., World], venue: str) -> None:
    def world() -> WriteKillWorld:
        base = world_for(new_world, venue)
        return WriteKillWorld(base.settings, base.clock, base.prices, base.fake, base.spot)

    clean_plan = WritePlan(at=None, after=False)
    killed, clean = await run(world(), venue, clean_plan)
    assert not killed and clean["status"] == "closed" and clean["reason"] == "stop-loss hit"
    total = clean_plan.writes
    assert total >= 20, f"only {total} writes counted"

    for at in range(total):
        for after in (False, True):
            plan = WritePlan(at=None, after=after, write_at=at)
            fake = world().fake
            if fake is not None:  # one server for all runs: each run starts from an empty order book
                fake.reset({"BTCUSDT": 42_250.0})
            where = f"killed {'after' if after else 'before'} database write {at} of {total}"
            try:
                killed, got = await run(world(), venue, plan)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None
            assert killed, where
            assert got["notes"] == clean["notes"], f"{where}: the user was told {got['notes']}"  # none lost, none twice
            assert got["duplicates"] == 0 and got["orphans"] == [], where
            assert got["live"] == [] and got["venue_open"] == [], where
            assert (got["status"], got["reason"], got["bought"], got["sold"]) == \
                (clean["status"], clean["reason"], clean["bought"], clean["sold"]), where
            # a kill between a price move and the bar that matches it: after the restart the quote bar opens at the
            # new price, so the order it reaches fills at that open (a gap: target 1 at 43,100 instead of 43,000, the
            # stop at 40,900 instead of 41,000) — 0.04 BTC x 100 either way; never a different amount
            assert got["pnl"] == pytest.approx(clean["pnl"], abs=GAP + 0.01), where
