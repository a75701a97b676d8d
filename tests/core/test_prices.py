from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.market.prices import PriceUnavailable, ReplayPriceSource, StaticPriceSource


async def test_replay_never_quotes_a_price_from_after_the_time() -> None:
    """The execution issue's defect 8: a candle still forming at t gives its open, not its close."""
    source = ReplayPriceSource()
    # the bundled 1m file opens with 1774267740000 (12:09 UTC): open 69979.98, close 70070.53
    forming = await source.quote("BTC/USDT", datetime(2026, 3, 23, 12, 9, 30, tzinfo=UTC))
    assert forming.price == 69_979.98 and forming.at == datetime(2026, 3, 23, 12, 9, tzinfo=UTC)
    closed = await source.quote("BTC/USDT", datetime(2026, 3, 23, 12, 10, tzinfo=UTC))
    assert closed.price == 70_070.53 and closed.at == datetime(2026, 3, 23, 12, 10, tzinfo=UTC)
    late = await source.quote("BTC/USDT", datetime(2026, 11, 21, tzinfo=UTC))  # after the data: the last close
    assert late.price == 78_314.31 and late.at == datetime(2026, 4, 22, 12, 8, tzinfo=UTC)


async def test_replay_bars_are_the_closed_ones() -> None:
    source = ReplayPriceSource()
    mid = datetime(2026, 3, 23, 12, 10, 30, tzinfo=UTC)  # the 12:10 candle is forming
    assert [b.ts_ms for b in await source.bars("BTC/USDT", None, mid)] == [1_774_267_740_000]  # 12:09
    assert await source.bars("BTC/USDT", 1_774_267_740_000, mid) == []


async def test_replay_explains_missing_data() -> None:
    source = ReplayPriceSource()
    with pytest.raises(PriceUnavailable, match="starts after"):
        await source.quote("BTC/USDT", datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(PriceUnavailable, match="no candle data for PEPE/USDT"):
        await source.quote("PEPE/USDT", datetime(2026, 4, 1, tzinfo=UTC))


async def test_static_source() -> None:
    source = StaticPriceSource({"BTC/USDT": 1.0})
    assert (await source.quote("BTC/USDT", datetime(2026, 1, 1, tzinfo=UTC))).price == 1.0
    with pytest.raises(PriceUnavailable):
        await source.quote("ETH/USDT", datetime(2026, 1, 1, tzinfo=UTC))
