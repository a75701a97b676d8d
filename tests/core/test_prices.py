from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.market.prices import PriceUnavailable, ReplayPriceSource, StaticPriceSource


async def test_replay_uses_the_real_candle_at_or_before_the_time() -> None:
    source = ReplayPriceSource()
    first = await source.quote("BTC/USDT", datetime(2026, 3, 23, 12, 9, 30, tzinfo=UTC))
    # the bundled 1m file opens with 1774267740000 (12:09 UTC) close 70070.53
    assert first.price == 70_070.53 and first.at == datetime(2026, 3, 23, 12, 9, tzinfo=UTC)
    late = await source.quote("BTC/USDT", datetime(2026, 11, 21, tzinfo=UTC))
    assert late.price == 78_314.31 and late.at == datetime(2026, 4, 22, 12, 7, tzinfo=UTC)


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
