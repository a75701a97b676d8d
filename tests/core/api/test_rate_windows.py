"""The dashboard's rate limits are counted in MongoDB (the `limits` library's strategies on our storage), so two
dashboard processes count against one limit; the moving window moves; racing hits never exceed the limit."""

from __future__ import annotations

import asyncio

from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from core.api.rate_windows import MongoRateStorage
from models import RateWindow


class Wall:
    """A wall clock the test moves (epoch seconds)."""

    def __init__(self) -> None:
        self.t = 1_796_000_000.0

    def __call__(self) -> float:
        return self.t


async def test_two_processes_count_against_one_moving_window(db: str) -> None:
    wall = Wall()
    one, two = (MovingWindowRateLimiter(MongoRateStorage(wall)) for _ in range(2))
    item = parse("5/minute")
    granted = []
    for n in range(7):
        wall.t += 1
        granted.append(await (one if n % 2 else two).hit(item, "auth", "ip:10.0.0.1"))
    assert granted == [True] * 5 + [False] * 2
    assert await one.hit(item, "auth", "ip:10.0.0.2")  # another address has its own window
    reset, left = await two.get_window_stats(item, "auth", "ip:10.0.0.1")
    assert left == 0 and reset == 1_796_000_001.0 + 60  # the oldest hit leaves the window then: Retry-After
    wall.t = 1_796_000_001.0 + 60.5  # the first hit has left the window: one more fits
    assert await one.hit(item, "auth", "ip:10.0.0.1")
    assert not await two.hit(item, "auth", "ip:10.0.0.1")


async def test_racing_hits_from_two_processes_never_exceed_the_limit(db: str) -> None:
    wall = Wall()
    limiters = [MovingWindowRateLimiter(MongoRateStorage(wall)) for _ in range(2)]
    item = parse("20/minute")
    results = await asyncio.gather(*(limiters[n % 2].hit(item, "api", "user:1") for n in range(30)))
    assert results.count(True) == 20
    [record] = await RateWindow.find_all().to_list()
    assert len(record.hits) == 20 and record.version == 20


async def test_the_fixed_window_strategies_count_and_restart(db: str) -> None:
    wall = Wall()
    limiter = FixedWindowRateLimiter(MongoRateStorage(wall))
    item = parse("3/minute")
    assert [await limiter.hit(item, "webhook", "p1") for _ in range(4)] == [True, True, True, False]
    assert (await limiter.get_window_stats(item, "webhook", "p1")).remaining == 0
    wall.t += 61
    assert await limiter.hit(item, "webhook", "p1")
    assert (await limiter.get_window_stats(item, "webhook", "p1")).remaining == 2


async def test_records_nothing_counts_in_any_more_are_swept(db: str) -> None:
    wall = Wall()
    storage = MongoRateStorage(wall)
    limiter = MovingWindowRateLimiter(storage)
    await limiter.hit(parse("5/minute"), "auth", "old")
    wall.t += 30
    await limiter.hit(parse("5/minute"), "auth", "recent")
    wall.t += 45  # "old" ended 15 s ago; "recent" still counts for 15 s
    assert await storage.sweep() == 1
    assert [r.key async for r in RateWindow.find_all()] == ["LIMITER/auth/recent/5/1/minute"]
    assert await storage.check()
