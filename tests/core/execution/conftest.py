"""Venues for the gateway contract suite: the paper exchange on the real embedded database, and ccxt (spot and
USDT-M futures) against the local fake Binance server. Each venue can move its market (`move`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from core.domain import Bar
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.costs import Costs, FixedSlippage, PercentageFee
from core.execution.gateway import ExecutionGateway
from core.execution.paper import PaperGateway
from core.market.prices import StaticPriceSource
from core.services.orders.paper_store import MongoPaperStore
from models import ExchangeAccount
from tests.conftest import FakeClock
from tests.fakes.binance import API_KEY, SECRET, FakeBinance


@dataclass
class Venue:
    name: str
    gateway: ExecutionGateway
    account_id: str
    fake: FakeBinance | None = None
    prices: StaticPriceSource | None = None
    clock: FakeClock | None = None

    def later(self, **delta: float) -> None:
        """Time passes on the venue (nothing trades)."""
        if self.fake is not None:
            self.fake.clock_ms += int(timedelta(**delta).total_seconds() * 1000)
        else:
            assert self.clock is not None
            self.clock.advance(**delta)

    async def move(self, symbol: str, price: float, volume: float = 1_000.0) -> None:
        """The market trades at `price` (resting orders it reaches fill)."""
        if self.fake is not None:
            self.fake.set_price(symbol.replace("/", ""), price)
            return
        assert self.prices is not None and self.clock is not None and isinstance(self.gateway, PaperGateway)
        old = self.prices.prices[symbol]
        self.prices.prices[symbol] = price
        self.clock.advance(minutes=1)
        ts = int(self.clock().timestamp() * 1000)
        await self.gateway.advance(Bar(symbol, ts, old, max(old, price), min(old, price), price, volume))


async def paper_venue(clock: FakeClock, costs: Costs | None = None, balance: float = 10_000.0) -> Venue:
    prices = StaticPriceSource({"BTC/USDT": 42_250.0, "ETH/USDT": 2_000.0})
    account = await ExchangeAccount(user_id="0" * 24, paper_balances={"USDT": balance}).insert()
    gateway = PaperGateway(prices=prices, store=MongoPaperStore(), clock=clock,
                           costs=costs or Costs(PercentageFee(0.0002, 0.0004), FixedSlippage(0)))
    return Venue("paper", gateway, str(account.id), prices=prices, clock=clock)


def ccxt_gateway(base_url: str, *, futures: bool = False) -> CcxtGateway:
    return CcxtGateway.build("binance", api_key=API_KEY, secret=SECRET, mode="testnet", futures=futures,
                             base_url=base_url, rate_limit_ms=1)


@pytest.fixture(params=["paper", "ccxt-spot", "ccxt-futures"])
async def venue(request: pytest.FixtureRequest, db: str, clock: FakeClock,
                fake_binance: tuple[FakeBinance, str]) -> AsyncIterator[Venue]:
    if request.param == "paper":
        yield await paper_venue(clock)
        return
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=request.param == "ccxt-futures")
    yield Venue(request.param, gateway, "acct", fake=fake)
    await gateway.close()
