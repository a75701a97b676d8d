"""The error matrix on Bybit (v5, against the fake Bybit): every error class of every call the engine makes —
placing an entry, placing a stop, looking an order up, cancelling, loading the markets — mapped to the engine's
outcome, with the calls the gateway made for it (no retry of its own; a failed cancel is followed by one look-up).
On the wire Bybit answers a refusal with HTTP 200 and a retCode (10006 rate limit, 110007 insufficient balance,
10003 invalid key)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.gateway import OrderOutcomeUnknown, RateLimited
from tests.core.execution.conftest import bybit_gateway
from tests.core.execution.test_ccxt_error_matrix import FINAL, _expected, _request, _stop
from tests.fakes.bybit import FakeBybit

CREATE, CANCEL, OPEN_ORDERS = "/v5/order/create", "/v5/order/cancel", "/v5/order/realtime"
WIRE = ("rate_limit", "unavailable", "gateway_timeout", "drop_before", "drop_after", *FINAL)
Call = Callable[[CcxtGateway], Awaitable[Any]]
OPERATIONS: dict[str, tuple[str, str, Call, tuple[str, ...]]] = {
    # name: (method, path the fault hits, the call, the faults that apply)
    "place entry": ("POST", CREATE, lambda g: g.create_order(_request("sc" + "e" * 30)), WIRE),
    "place stop": ("POST", CREATE, lambda g: g.create_order(_stop("sc" + "s" * 30)), WIRE),
    "look up order": ("GET", OPEN_ORDERS, lambda g: g.fetch_order("sc" + "r" * 30, "BTC/USDT", "limit"),
                      ("rate_limit", "unavailable", "auth")),
}
CASES = [(name, fault) for name, (*_, faults) in OPERATIONS.items() for fault in faults]


async def _resting(gateway: CcxtGateway) -> None:
    """A position, a resting limit entry and a resting stop: what the calls under test act on."""
    await gateway.create_order(await gateway.prepare(_request("sc" + "p" * 30, leverage=5)))
    await gateway.create_order(await gateway.prepare(_request("sc" + "r" * 30, "limit", price=41_500.0)))
    await gateway.create_order(await gateway.prepare(_request("sc" + "t" * 30, "stop_market", OrderSide.SELL,
                                                              stop_price=40_000.0, reduce_only=True)))


@pytest.mark.parametrize(("operation", "fault"), CASES, ids=[f"{o}-{f}" for o, f in CASES])
async def test_each_error_class_of_each_call_on_bybit(fake_bybit: tuple[FakeBybit, str], operation: str,
                                                      fault: str) -> None:
    fake, url = fake_bybit
    method, path, call, _ = OPERATIONS[operation]
    gateway = bybit_gateway(url)
    try:
        await _resting(gateway)
        fake.calls.clear()
        fake.inject(path, fault)
        error, kind = _expected(fault if fault != "gateway_timeout" else "unavailable")
        with pytest.raises(error) as raised:
            await call(gateway)
        if kind is not None:
            assert getattr(raised.value, "kind", None) == kind
        assert fake.calls.count((method, path)) == 1  # one call, no retry inside
        if operation.startswith("place"):
            cid = "sc" + ("e" if operation == "place entry" else "s") * 30
            assert (fake.order(cid) is not None) is (fault == "drop_after")  # only a lost answer landed it
    finally:
        await gateway.close()


@pytest.mark.parametrize("fault", ["rate_limit", "unavailable"])
async def test_a_market_load_failure_on_bybit_is_a_venue_failure(fake_bybit: tuple[FakeBybit, str],
                                                                  fault: str) -> None:
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        fake.inject("/v5/market/instruments-info", fault)
        with pytest.raises(RateLimited if fault == "rate_limit" else OrderOutcomeUnknown):
            await gateway.prepare(_request("sc" + "m" * 30))
        # ccxt asks for the trading and the pre-launch instruments (at most one request each): no retry inside
        assert 1 <= fake.calls.count(("GET", "/v5/market/instruments-info")) <= 2
        assert await gateway.prepare(_request("sc" + "m" * 30))  # the next call loads them
    finally:
        await gateway.close()


@pytest.mark.parametrize(("kind", "cid"), [("limit", "sc" + "r" * 30), ("stop_market", "sc" + "t" * 30)])
@pytest.mark.parametrize("fault", ["unavailable", "auth"])
async def test_a_failed_cancel_on_bybit_reports_what_the_order_is_now(fake_bybit: tuple[FakeBybit, str], kind: str,
                                                                       cid: str, fault: str) -> None:
    fake, url = fake_bybit
    gateway = bybit_gateway(url)
    try:
        await _resting(gateway)
        fake.calls.clear()
        fake.inject(CANCEL, fault)
        result = await gateway.cancel_order(cid, "BTC/USDT", kind)
        assert result is not None and result.status is OrderStatus.OPEN  # still resting: retried later
        assert fake.calls.count(("POST", CANCEL)) == 1 and fake.calls.count(("GET", OPEN_ORDERS)) == 1
        fake.inject(CANCEL, "rate_limit")
        with pytest.raises(RateLimited):
            await gateway.cancel_order(cid, "BTC/USDT", kind)
        done = await gateway.cancel_order(cid, "BTC/USDT", kind)
        assert done is not None and done.status is OrderStatus.CANCELLED
    finally:
        await gateway.close()

