"""The ccxt gateway on Bybit (v5, USDT perpetuals, unified account) against the fake Bybit: each error class,
a lost answer, leverage already set, hedge mode, and an order whose state cannot be read right after it."""

from __future__ import annotations

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected, OrderRequest, RateLimited
from tests.core.execution.conftest import bybit_gateway
from tests.fakes.bybit import FakeBybit

CID = "sc" + "4" * 30


def buy(**extra: object) -> OrderRequest:
    fields: dict[str, object] = {"client_order_id": CID, "ref_price": 42_250.0, "order_type": "market",
                                 "leverage": 5, **extra}
    return OrderRequest(account_id="acct", symbol="BTC/USDT", side=OrderSide.BUY, amount=0.01,
                        **fields)  # type: ignore[arg-type]


def close(cid: str = "sc" + "5" * 30) -> OrderRequest:
    return OrderRequest(client_order_id=cid, account_id="acct", symbol="BTC/USDT", side=OrderSide.SELL,
                        order_type="market", amount=0.01, reduce_only=True)


@pytest.mark.parametrize(("fault", "error", "kind"), [
    ("rate_limit", RateLimited, None),
    ("unavailable", OrderOutcomeUnknown, None),
    ("gateway_timeout", OrderOutcomeUnknown, None),
    ("drop_before", OrderOutcomeUnknown, None),
    ("insufficient", OrderRejected, "funds"),
    ("auth", OrderRejected, "auth"),
])
async def test_each_fault_maps_to_its_outcome_class(fake_bybit: tuple[FakeBybit, str], fault: str,
                                                    error: type[Exception], kind: str | None) -> None:
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        await gateway.prepare(buy())
        fake.inject("/v5/order/create", fault)
        with pytest.raises(error) as raised:
            await gateway.create_order(buy())
        if kind is not None:
            assert getattr(raised.value, "kind", None) == kind
        assert fake.order(CID) is None  # none of these faults placed an order
    finally:
        await gateway.close()


async def test_a_lost_answer_is_unknown_the_order_is_found_and_a_resend_adopts_it(
        fake_bybit: tuple[FakeBybit, str]) -> None:
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        fake.inject("/v5/order/create", "drop_after")
        with pytest.raises(OrderOutcomeUnknown):
            await gateway.create_order(buy())
        found = await gateway.fetch_order(CID, "BTC/USDT")
        assert found is not None and found.status is OrderStatus.FILLED and found.filled == pytest.approx(0.01)
        again = await gateway.create_order(buy())  # Bybit refuses the repeated id: the order it has is reported
        assert again.exchange_order_id == found.exchange_order_id and len(fake.orders) == 1
        assert fake.order_posts() == 2
        # the order is there but cannot be read right now: its outcome is unknown (looked up again later), never
        # a rate limit that the desk would resend and finally refuse
        fake.inject("/v5/order/realtime", "rate_limit")
        with pytest.raises(OrderOutcomeUnknown, match="already has an order under this id"):
            await gateway.create_order(buy())
        assert len(fake.orders) == 1
    finally:
        await gateway.close()


async def test_leverage_already_set_is_not_a_refusal_and_the_account_margin_mode_is_left_alone(
        fake_bybit: tuple[FakeBybit, str]) -> None:
    """After a restart the leverage is set again and Bybit answers 110043 (not modified): the order goes. A
    unified account's margin mode is the whole account's: it is never changed for one call."""
    fake, url = fake_bybit
    for cid in ("sc" + "6" * 30, "sc" + "7" * 30):  # two processes, one after the other
        gateway = bybit_gateway(url)
        try:
            result = await gateway.create_order(buy(client_order_id=cid, margin_mode="isolated"))
            assert result.status is OrderStatus.FILLED
        finally:
            await gateway.close()
    assert [p for _, p in fake.calls].count("/v5/position/set-leverage") == 2
    assert fake.leverage == {(fake.api_key, "BTCUSDT"): 5} and fake.margin_calls == 0


async def test_one_way_mode_exits_reduce_only_and_hedge_mode_names_the_long_side(
        fake_bybit: tuple[FakeBybit, str]) -> None:
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        await gateway.create_order(buy())
        exit_ = await gateway.create_order(close())
        placed = fake.order(exit_.client_order_id)
        assert exit_.status is OrderStatus.FILLED and placed is not None and placed.reduce_only
        assert fake.position_indexes == [0, 0]
    finally:
        await gateway.close()
    fake.hedge_mode, fake.position_indexes = True, []
    gateway = bybit_gateway(url)
    try:
        await gateway.create_order(buy(client_order_id="sc" + "8" * 30))
        await gateway.create_order(close("sc" + "9" * 30))
        assert fake.position_indexes == [1, 1]  # opened and closed on the long side of the book
    finally:
        await gateway.close()


async def test_an_order_whose_state_cannot_be_read_after_it_is_reported_working_then_read(
        fake_bybit: tuple[FakeBybit, str], caplog: pytest.LogCaptureFixture) -> None:
    """Bybit's answer to a create names the order only; when reading its state right after fails, the order is
    there all the same: it is reported working (never unknown, never refused) and read later by its id."""
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        await gateway.prepare(buy())
        fake.inject("/v5/order/realtime", "unavailable")
        result = await gateway.create_order(buy())
        assert result.status is OrderStatus.OPEN and result.exchange_order_id and f"order {CID} placed" in caplog.text
        later = await gateway.fetch_order(CID, "BTC/USDT")
        assert later is not None and later.status is OrderStatus.FILLED
        assert later.fee == pytest.approx(0.01 * 42_250 * 0.00055)
    finally:
        await gateway.close()
