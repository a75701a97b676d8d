"""The ccxt gateway's error classes, futures set-up and position modes, against the fake Binance server."""

from __future__ import annotations

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected, OrderRequest, RateLimited
from tests.core.execution.conftest import ccxt_gateway
from tests.fakes.binance import FakeBinance

CID = "sc" + "1" * 30


def buy(**extra: object) -> OrderRequest:
    fields: dict[str, object] = {"ref_price": 42_250.0, "order_type": "market", **extra}
    return OrderRequest(client_order_id=CID, account_id="acct", symbol="BTC/USDT", side=OrderSide.BUY,
                        amount=0.01, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fault", "error", "kind"), [
    ("rate_limit", RateLimited, None),
    ("unavailable", OrderOutcomeUnknown, None),
    ("drop_before", OrderOutcomeUnknown, None),
    ("insufficient", OrderRejected, "funds"),
    ("auth", OrderRejected, "auth"),
])
async def test_each_fault_maps_to_its_outcome_class(fake_binance: tuple[FakeBinance, str], fault: str,
                                                    error: type[Exception], kind: str | None) -> None:
    fake, url = fake_binance
    gateway = ccxt_gateway(url)
    try:
        await gateway.prepare(buy())
        fake.inject("/api/v3/order", fault)
        with pytest.raises(error) as raised:
            await gateway.create_order(buy())
        if kind is not None:
            assert getattr(raised.value, "kind", None) == kind
        assert CID not in fake.orders  # none of these faults placed an order
    finally:
        await gateway.close()


async def test_a_dropped_answer_is_unknown_and_the_order_is_found_by_client_id(
        fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    gateway = ccxt_gateway(url)
    try:
        fake.inject("/api/v3/order", "drop_after")
        with pytest.raises(OrderOutcomeUnknown):
            await gateway.create_order(buy())
        found = await gateway.fetch_order(CID, "BTC/USDT")  # what reconciliation does: look, never re-send
        assert found is not None and found.status is OrderStatus.FILLED and fake.order_posts() == 1
        # sent again it would be a second order: Binance refuses a repeated id only while the first is open
        again = await gateway.create_order(buy())
        assert again.exchange_order_id != found.exchange_order_id and len(fake.orders) == 2
    finally:
        await gateway.close()


async def test_futures_sets_leverage_and_margin_once_and_exits_reduce_only(
        fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=True)
    try:
        await gateway.create_order(buy(leverage=7, margin_mode="isolated"))
        assert fake.leverage == {"BTCUSDT": 7} and fake.margin_type == {"BTCUSDT": "ISOLATED"}
        exit_ = OrderRequest(client_order_id="sc" + "2" * 30, account_id="acct", symbol="BTC/USDT",
                             side=OrderSide.SELL, order_type="market", amount=0.01, reduce_only=True)
        result = await gateway.create_order(exit_)
        placed = fake.order(exit_.client_order_id)
        assert result.status is OrderStatus.FILLED and placed is not None and placed.reduce_only
        assert [p for _, p in fake.calls].count("/fapi/v1/leverage") == 1  # not set again for the exit
    finally:
        await gateway.close()


async def test_hedge_mode_sends_the_position_side(fake_binance: tuple[FakeBinance, str]) -> None:
    fake, url = fake_binance
    fake.hedge_mode = True
    gateway = ccxt_gateway(url, futures=True)
    try:
        await gateway.create_order(buy(leverage=3))
        close = OrderRequest(client_order_id="sc" + "3" * 30, account_id="acct", symbol="BTC/USDT",
                             side=OrderSide.SELL, order_type="market", amount=0.01, reduce_only=True)
        await gateway.create_order(close)
        assert fake.position_sides == ["LONG", "LONG"]  # opened and closed on the long side, no reduceOnly
        placed_close = fake.order(close.client_order_id)
        assert placed_close is not None and not placed_close.reduce_only
    finally:
        await gateway.close()


async def test_targets_are_not_held_on_spot(fake_binance: tuple[FakeBinance, str]) -> None:
    """Binance spot holds the stop (as a stop-loss-limit) but not the targets: a resting sell holds its coins, so a
    stop and targets on the same coins cannot all rest; the engine watches the targets."""
    _, url = fake_binance
    gateway = ccxt_gateway(url)
    try:
        assert gateway.supports("limit") and gateway.supports("stop_market") and not gateway.supports("take_profit")
        with pytest.raises(OrderRejected) as refused:
            await gateway.create_order(buy(order_type="take_profit", stop_price=43_000.0))
        assert refused.value.kind == "unsupported"
    finally:
        await gateway.close()


async def test_a_fill_whose_trades_cannot_be_read_is_still_reported_with_a_warning(
        fake_binance: tuple[FakeBinance, str], caplog: pytest.LogCaptureFixture) -> None:
    """The order landed and filled: its outcome must come back even when the fee lookup fails."""
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=True)
    try:
        fake.inject("/fapi/v1/userTrades", "unavailable")
        result = await gateway.create_order(buy(leverage=5))
        assert result.status is OrderStatus.FILLED and result.filled == pytest.approx(0.01) and result.fee == 0
        assert f"fee of order {CID} unknown" in caplog.text
        fetched = await gateway.fetch_order(CID, "BTC/USDT")  # a later report reads it
        assert fetched is not None and fetched.fee == pytest.approx(0.01 * 42_250 * 0.001)
    finally:
        await gateway.close()
