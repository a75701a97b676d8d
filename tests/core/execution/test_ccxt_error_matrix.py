"""Every ccxt error class from every venue call the engine makes — placing an entry, placing a stop, looking an
order or a stop up, cancelling, loading the markets — mapped to the engine's outcome (final with its kind, rate
limited, or unknown), with the number of calls the gateway made for it: it never retries on its own (retries
belong to the order desk, which looks an order up by client id before any second send)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.domain import OrderSide, OrderStatus
from core.execution.ccxt_gateway import CcxtGateway
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected, OrderRequest, RateLimited
from tests.core.execution.conftest import ccxt_gateway
from tests.fakes.binance import FakeBinance

FAULTS = {  # the fake's fault -> what it is on the wire
    "rate_limit": "HTTP 429, Binance -1003",
    "unavailable": "HTTP 503",
    "drop_before": "connection reset before the venue acted",
    "drop_after": "connection reset after the venue acted",
    "insufficient": "Binance -2010 insufficient balance",
    "auth": "HTTP 401, Binance -2015 invalid key",
}
UNKNOWN, LIMITED = OrderOutcomeUnknown, RateLimited
FINAL = {"insufficient": "funds", "auth": "auth"}


def _request(cid: str, kind: str = "market", side: OrderSide = OrderSide.BUY, **extra: Any) -> OrderRequest:
    return OrderRequest(client_order_id=cid, account_id="acct", symbol="BTC/USDT", side=side, order_type=kind,
                        amount=0.01, ref_price=42_250.0, **extra)


def _stop(cid: str) -> OrderRequest:
    return _request(cid, "stop_market", OrderSide.SELL, stop_price=41_000.0, reduce_only=True)


def _expected(fault: str) -> tuple[type[Exception], str | None]:
    if fault in FINAL:
        return OrderRejected, FINAL[fault]
    return (LIMITED if fault == "rate_limit" else UNKNOWN), None


Call = Callable[[CcxtGateway, FakeBinance], Awaitable[Any]]


async def _entry(gateway: CcxtGateway, fake: FakeBinance) -> Any:
    return await gateway.create_order(_request("sc" + "e" * 30))


async def _place_stop(gateway: CcxtGateway, fake: FakeBinance) -> Any:
    return await gateway.create_order(_stop("sc" + "s" * 30))


async def _fetch(gateway: CcxtGateway, fake: FakeBinance) -> Any:
    return await gateway.fetch_order("sc" + "r" * 30, "BTC/USDT", "limit")


async def _fetch_stop(gateway: CcxtGateway, fake: FakeBinance) -> Any:
    return await gateway.fetch_order("sc" + "t" * 30, "BTC/USDT", "stop_market")


OPERATIONS: dict[str, tuple[str, str, Call, tuple[str, ...]]] = {
    # name: (method, path the fault hits, the call, the faults that apply)
    "place entry": ("POST", "/fapi/v1/order", _entry, tuple(FAULTS)),
    "place stop": ("POST", "/fapi/v1/algoOrder", _place_stop, tuple(FAULTS)),
    "look up order": ("GET", "/fapi/v1/order", _fetch, ("rate_limit", "unavailable", "auth")),
    "look up stop": ("GET", "/fapi/v1/algoOrder", _fetch_stop, ("rate_limit", "unavailable", "auth")),
}
CASES = [(name, fault) for name, (*_, faults) in OPERATIONS.items() for fault in faults]


@pytest.mark.parametrize(("operation", "fault"), CASES, ids=[f"{o}-{f}" for o, f in CASES])
async def test_each_error_class_of_each_call(fake_binance: tuple[FakeBinance, str], operation: str,
                                             fault: str) -> None:
    fake, url = fake_binance
    method, path, call, _ = OPERATIONS[operation]
    gateway = ccxt_gateway(url, futures=True)
    try:
        await gateway.prepare(_request("sc" + "p" * 30))  # markets loaded: only the call under test is faulted
        await gateway.create_order(await gateway.prepare(_request("sc" + "r" * 30, "limit", price=41_500.0)))
        await gateway.create_order(await gateway.prepare(_request("sc" + "t" * 30, "stop_market", OrderSide.SELL,
                                                                  stop_price=40_000.0, reduce_only=True)))
        fake.calls.clear()
        fake.inject(path, fault)
        error, kind = _expected(fault)
        with pytest.raises(error) as raised:
            await call(gateway, fake)
        if kind is not None:
            assert getattr(raised.value, "kind", None) == kind
        assert [c for c in fake.calls if c == (method, path)] == [(method, path)]  # one call, no retry inside
        landed = fault == "drop_after"
        if operation == "place entry":
            assert (fake.order("sc" + "e" * 30) is not None) is landed
        if operation == "place stop":
            assert (fake.algo("sc" + "s" * 30) is not None) is landed
    finally:
        await gateway.close()


@pytest.mark.parametrize("fault", ["rate_limit", "unavailable"])
async def test_a_market_load_failure_is_a_venue_failure_and_loads_once(fake_binance: tuple[FakeBinance, str],
                                                                      fault: str) -> None:
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=True)
    try:
        fake.calls.clear()
        fake.inject("/fapi/v1/exchangeInfo", fault)
        with pytest.raises(LIMITED if fault == "rate_limit" else UNKNOWN):
            await gateway.prepare(_request("sc" + "m" * 30))
        assert fake.calls.count(("GET", "/fapi/v1/exchangeInfo")) == 1
        assert await gateway.prepare(_request("sc" + "m" * 30))  # the next call loads them
    finally:
        await gateway.close()


@pytest.mark.parametrize(("kind", "path", "cid"), [("limit", "/fapi/v1/order", "sc" + "r" * 30),
                                                    ("stop_market", "/fapi/v1/algoOrder", "sc" + "t" * 30)])
@pytest.mark.parametrize("fault", ["unavailable", "auth"])
async def test_a_failed_cancel_reports_what_the_order_is_now(fake_binance: tuple[FakeBinance, str], kind: str,
                                                              path: str, cid: str, fault: str) -> None:
    """A cancel that fails is followed by one look-up: the caller learns the order still rests (and retries
    later) instead of taking it for cancelled; a rate limit is raised as such, with no look-up."""
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=True)
    try:
        extra: dict[str, Any] = {"price": 41_500.0} if kind == "limit" else {"stop_price": 40_000.0,
                                                                              "reduce_only": True}
        side = OrderSide.BUY if kind == "limit" else OrderSide.SELL
        await gateway.create_order(await gateway.prepare(_request(cid, kind, side, **extra)))
        fake.calls.clear()
        fake.inject(path, fault)
        result = await gateway.cancel_order(cid, "BTC/USDT", kind)
        assert result is not None and result.status is OrderStatus.OPEN
        assert [c for c in fake.calls if c[1] == path] == [("DELETE", path), ("GET", path)]
        fake.inject(path, "rate_limit")
        with pytest.raises(RateLimited):
            await gateway.cancel_order(cid, "BTC/USDT", kind)
    finally:
        await gateway.close()


@pytest.mark.parametrize(("call", "method", "path"), [(_fetch, "GET", "/fapi/v1/order"),
                                                       (_fetch_stop, "GET", "/fapi/v1/algoOrder")])
async def test_a_reset_look_up_is_sent_again_by_the_http_client(fake_binance: tuple[FakeBinance, str], call: Call,
                                                                 method: str, path: str) -> None:
    """A connection reset before the venue answered a GET: aiohttp sends an idempotent request once more on a
    fresh connection (a look-up changes nothing, so this is safe); a POST that creates is never sent again."""
    fake, url = fake_binance
    gateway = ccxt_gateway(url, futures=True)
    try:
        await gateway.create_order(await gateway.prepare(_request("sc" + "r" * 30, "limit", price=41_500.0)))
        await gateway.create_order(await gateway.prepare(_request("sc" + "t" * 30, "stop_market", OrderSide.SELL,
                                                                  stop_price=40_000.0, reduce_only=True)))
        fake.calls.clear()
        fake.inject(path, "drop_before")
        found = await call(gateway, fake)
        assert found is not None and found.status is OrderStatus.OPEN
        assert fake.calls.count((method, path)) == 2
    finally:
        await gateway.close()
