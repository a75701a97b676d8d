"""The ccxt gateway on Binance spot against the fake Binance: the stop rests as a stop-loss-limit, the coins a
resting stop holds cannot be sold until it is cancelled, and spot's minimum notional binds exits too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.gateway import OrderRejected, OrderRequest
from tests.core.execution.conftest import ccxt_gateway
from tests.fakes.binance import FEE_RATE, FakeBinance

BOUGHT = 0.01 * (1 - FEE_RATE)  # a buy of 0.01 BTC leaves this: the commission is taken in BTC


def request(cid: str, order_type: str = "market", side: OrderSide = OrderSide.BUY, amount: float = 0.01,
            **extra: object) -> OrderRequest:
    fields: dict[str, object] = {"ref_price": 42_250.0, **extra}
    return OrderRequest(client_order_id="sc" + cid * 30, account_id="acct", symbol="BTC/USDT", side=side,
                        order_type=order_type, amount=amount, **fields)  # type: ignore[arg-type]


def stop(cid: str, trigger: float, amount: float = BOUGHT) -> OrderRequest:
    return request(cid, "stop_market", OrderSide.SELL, amount, stop_price=trigger, reduce_only=True)


@pytest.fixture
async def spot(fake_binance: tuple[FakeBinance, str]) -> AsyncIterator[tuple[FakeBinance, CcxtGateway]]:
    fake, url = fake_binance
    gateway = ccxt_gateway(url)
    try:
        await gateway.create_order(await gateway.prepare(request("1")))
        yield fake, gateway
    finally:
        await gateway.close()


async def test_the_stop_rests_as_a_stop_loss_limit_two_percent_past_its_trigger(
        spot: tuple[FakeBinance, CcxtGateway]) -> None:
    fake, gateway = spot
    placed = await gateway.create_order(await gateway.prepare(stop("2", 41_000.0)))
    assert placed.status is OrderStatus.OPEN
    resting = fake.order("sc" + "2" * 30)
    assert resting is not None and resting.type == "STOP_LOSS_LIMIT"
    assert (resting.stop, resting.price) == (41_000.0, pytest.approx(40_180.0))
    assert fake.held("test-key", "BTC") == pytest.approx(BOUGHT)  # it holds the coins it would sell

    fake.set_price("BTCUSDT", 40_950.0)  # triggered and marketable: it sells at the market
    done = await gateway.fetch_order("sc" + "2" * 30, "BTC/USDT", "stop_market")
    assert done is not None and done.status is OrderStatus.FILLED
    assert done.average_price == pytest.approx(40_950.0) and done.fee_currency == "USDT"


async def test_a_gap_past_the_limit_leaves_the_stop_triggered_and_unfilled(
        spot: tuple[FakeBinance, CcxtGateway]) -> None:
    """The documented cost of a stop-limit: a market that jumps past its limit does not fill it (the monitor then
    exits at market); it fills at its limit if the price comes back."""
    fake, gateway = spot
    await gateway.create_order(await gateway.prepare(stop("3", 41_000.0)))
    fake.set_price("BTCUSDT", 40_000.0)
    working = await gateway.fetch_order("sc" + "3" * 30, "BTC/USDT", "stop_market")
    assert working is not None and working.status is OrderStatus.OPEN and working.filled == 0
    fake.set_price("BTCUSDT", 40_200.0)
    done = await gateway.fetch_order("sc" + "3" * 30, "BTC/USDT", "stop_market")
    assert done is not None and done.status is OrderStatus.FILLED and done.average_price == pytest.approx(40_180.0)


async def test_coins_a_resting_stop_holds_are_sold_only_after_it_is_cancelled(
        spot: tuple[FakeBinance, CcxtGateway]) -> None:
    fake, gateway = spot
    await gateway.create_order(await gateway.prepare(stop("4", 41_000.0)))
    exit_ = await gateway.prepare(request("5", side=OrderSide.SELL, amount=BOUGHT, reduce_only=True))
    with pytest.raises(OrderRejected) as refused:
        await gateway.create_order(exit_)
    assert refused.value.kind == "funds"
    await gateway.cancel_order("sc" + "4" * 30, "BTC/USDT", "stop_market")
    sold = await gateway.create_order(exit_)
    assert sold.status is OrderStatus.FILLED and fake.balances["BTC"] == pytest.approx(0.0)


async def test_the_minimum_notional_binds_a_spot_exit_too(spot: tuple[FakeBinance, CcxtGateway]) -> None:
    """Futures exempt reduce-only orders from the minimum notional; Binance spot applies it to every order."""
    _, gateway = spot
    with pytest.raises(OrderRejected) as refused:
        await gateway.prepare(stop("6", 41_000.0, amount=0.0001))  # 4.10 USDT < 5
    assert refused.value.kind == "minimum"


async def test_a_stop_is_replaced_in_one_request_the_old_one_freeing_its_coins_for_the_new(
        spot: tuple[FakeBinance, CcxtGateway]) -> None:
    fake, gateway = spot
    await gateway.create_order(await gateway.prepare(stop("7", 41_000.0)))
    fake.calls.clear()
    new = await gateway.replace_order("sc" + "7" * 30, await gateway.prepare(stop("8", 41_500.0)))
    assert new.status is OrderStatus.OPEN and new.client_order_id == "sc" + "8" * 30
    assert [c for c in fake.calls if c[0] != "GET"] == [("POST", "/api/v3/order/cancelReplace")]
    old, placed = fake.order("sc" + "7" * 30), fake.order("sc" + "8" * 30)
    assert old is not None and old.status == "CANCELED"
    assert placed is not None and (placed.type, placed.stop, placed.status) == ("STOP_LOSS_LIMIT", 41_500.0, "NEW")


async def test_a_replacement_is_placed_even_when_the_old_stop_is_gone(spot: tuple[FakeBinance, CcxtGateway]) -> None:
    """The old stop was cancelled already (a lost answer, or by hand): the new one is placed all the same."""
    fake, gateway = spot
    await gateway.create_order(await gateway.prepare(stop("9", 41_000.0)))
    await gateway.cancel_order("sc" + "9" * 30, "BTC/USDT", "stop_market")
    new = await gateway.replace_order("sc" + "9" * 30, await gateway.prepare(stop("a", 41_500.0)))
    assert new.status is OrderStatus.OPEN and fake.held("test-key", "BTC") == pytest.approx(BOUGHT)


@pytest.mark.parametrize(("trigger", "sold", "kind"), [(42_500.0, False, "triggered"), (41_500.0, True, "funds")])
async def test_a_refused_replacement_is_refused_as_a_create_would_be(
        spot: tuple[FakeBinance, CcxtGateway], trigger: float, sold: bool, kind: str) -> None:
    """The price already passed the new stop (the old one is cancelled: the engine exits at market), or the coins
    are gone (the old stop filled first: both halves fail)."""
    fake, gateway = spot
    await gateway.create_order(await gateway.prepare(stop("b", 41_000.0)))
    if sold:
        fake.set_price("BTCUSDT", 40_900.0)
        fake.set_price("BTCUSDT", 41_800.0)
    with pytest.raises(OrderRejected) as refused:
        await gateway.replace_order("sc" + "b" * 30, await gateway.prepare(stop("c", trigger)))
    assert refused.value.kind == kind
    assert fake.order("sc" + "c" * 30) is None
    old = fake.order("sc" + "b" * 30)
    assert old is not None and old.status == ("FILLED" if sold else "CANCELED")
