"""Venues for the gateway contract suite: the paper exchange on the real embedded database, ccxt (spot and
USDT-M futures) against the local fake Binance server, and ccxt (USDT perpetuals) against the local fake Bybit.
Each venue can move its market (`move`) and names its (taker, maker) fee rates."""

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
from tests.fakes import binance, bybit
from tests.fakes.binance import API_KEY, SECRET, FakeBinance
from tests.fakes.bybit import FakeBybit


@dataclass
class Venue:
    name: str
    gateway: ExecutionGateway
    account_id: str
    fake: FakeBinance | FakeBybit | None = None
    prices: StaticPriceSource | None = None
    clock: FakeClock | None = None
    fees: tuple[float, float] = (0.0004, 0.0002)  # (taker, maker)

    @property
    def spot(self) -> bool:
        return self.name == "ccxt-spot"

    def bought(self, amount: float) -> float:
        """What a market buy of `amount` leaves in the account: spot takes the commission from the coin bought."""
        return amount * (1 - self.fees[0]) if self.spot else amount

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


def bybit_gateway(base_url: str) -> CcxtGateway:
    return CcxtGateway.build("bybit", api_key=bybit.API_KEY, secret=bybit.SECRET, mode="testnet", futures=True,
                             base_url=base_url, rate_limit_ms=1)


@pytest.fixture(params=["paper", "ccxt-spot", "ccxt-futures", "ccxt-bybit"])
async def venue(request: pytest.FixtureRequest, db: str, clock: FakeClock, fake_binance: tuple[FakeBinance, str],
                fake_bybit: tuple[FakeBybit, str]) -> AsyncIterator[Venue]:
    if request.param == "paper":
        yield await paper_venue(clock)
        return
    if request.param == "ccxt-bybit":
        gateway = bybit_gateway(fake_bybit[1])
        yield Venue(request.param, gateway, "acct", fake=fake_bybit[0], fees=(bybit.TAKER, bybit.MAKER))
    else:
        gateway = ccxt_gateway(fake_binance[1], futures=request.param == "ccxt-futures")
        yield Venue(request.param, gateway, "acct", fake=fake_binance[0], fees=(binance.FEE_RATE, binance.FEE_RATE))
    await gateway.close()
