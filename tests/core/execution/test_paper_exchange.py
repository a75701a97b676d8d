"""The paper exchange beyond the shared contract: triggers on bar high/low, gaps, partial fills by volume,
reduce-only trimming, fees and slippage, and realised P&L in the balance (real embedded database)."""

from __future__ import annotations

import dataclasses
import itertools
import os

import pytest
from bson.errors import InvalidId

from core.domain import Bar, OrderSide, OrderStatus
from core.execution.costs import Costs, FixedFee, FixedSlippage, PercentageFee
from core.execution.gateway import OrderRejected, OrderRequest, OrderResult
from core.execution.paper import Moves, PaperGateway, PaperHolding, PaperOrderState
from core.services.orders.paper_store import MongoPaperStore
from models import ExchangeAccount, PaperHoldingDoc, PaperOrder, bulk
from tests.conftest import FakeClock
from tests.core.execution.conftest import Venue, paper_venue

_ids = itertools.count(1)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def req(venue: Venue, side: OrderSide, order_type: str = "market", amount: float = 0.1, **extra: object
        ) -> OrderRequest:
    fields: dict[str, object] = {"leverage": 10, "ref_price": 42_250.0, **extra}
    return OrderRequest(client_order_id=f"sc{next(_ids):030d}", account_id=venue.account_id, symbol="BTC/USDT",
                        side=side, order_type=order_type, amount=amount, **fields)  # type: ignore[arg-type]


def bar(clock: FakeClock, o: float, h: float, low: float, c: float, volume: float = 100.0) -> Bar:
    clock.advance(minutes=1)
    return Bar("BTC/USDT", int(clock().timestamp() * 1000), o, h, low, c, volume)


async def status(venue: Venue, request: OrderRequest) -> tuple[OrderStatus, float, float | None]:
    found = await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT")
    assert found is not None
    return found.status, found.filled, found.average_price


async def test_stop_triggers_on_the_low_and_fills_at_the_stop_or_the_gapped_open(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    await gateway.create_order(req(venue, BUY))
    stop = req(venue, SELL, "stop_market", stop_price=41_000.0, reduce_only=True)
    assert (await gateway.create_order(stop)).status is OrderStatus.OPEN
    await gateway.advance(bar(clock, 42_250, 42_400, 41_100, 41_200))  # low 41,100: not touched
    assert (await status(venue, stop))[0] is OrderStatus.OPEN
    await gateway.advance(bar(clock, 41_200, 41_300, 40_900, 41_000))
    assert await status(venue, stop) == (OrderStatus.FILLED, pytest.approx(0.1), pytest.approx(41_000))

    await gateway.create_order(req(venue, BUY))
    gapped = req(venue, SELL, "stop_market", stop_price=40_500.0, reduce_only=True)
    await gateway.create_order(gapped)
    await gateway.advance(bar(clock, 40_000, 40_100, 39_800, 40_050))  # opened below the stop
    assert (await status(venue, gapped))[2] == pytest.approx(40_000)


async def test_take_profit_and_stop_limit(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    await gateway.create_order(req(venue, BUY))
    tp = req(venue, SELL, "take_profit", amount=0.05, stop_price=43_000.0, reduce_only=True)
    stop_limit = req(venue, SELL, "stop_limit", amount=0.05, stop_price=41_000.0, price=40_900.0,
                     reduce_only=True)
    await gateway.create_order(tp)
    await gateway.create_order(stop_limit)
    await gateway.advance(bar(clock, 42_250, 43_100, 42_200, 43_050))
    assert await status(venue, tp) == (OrderStatus.FILLED, pytest.approx(0.05), pytest.approx(43_000))
    await gateway.advance(bar(clock, 41_500, 41_500, 40_950, 41_000))  # triggered; 40,900 limit meets 41,000
    assert await status(venue, stop_limit) == (OrderStatus.FILLED, pytest.approx(0.05), pytest.approx(41_000))


async def test_a_stop_limit_that_gaps_below_its_limit_rests(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    await gateway.create_order(req(venue, BUY))
    stop_limit = req(venue, SELL, "stop_limit", stop_price=41_000.0, price=40_900.0, reduce_only=True)
    await gateway.create_order(stop_limit)
    await gateway.advance(bar(clock, 40_800, 40_850, 40_700, 40_750))  # gapped through trigger and limit
    assert await status(venue, stop_limit) == (OrderStatus.OPEN, 0.0, None)
    await gateway.advance(bar(clock, 40_750, 41_000, 40_700, 40_950))
    assert await status(venue, stop_limit) == (OrderStatus.FILLED, pytest.approx(0.1), pytest.approx(40_900))


async def test_a_trigger_already_passed_is_refused(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    await venue.gateway.create_order(req(venue, BUY))
    with pytest.raises(OrderRejected, match="would fire immediately"):
        await venue.gateway.create_order(req(venue, SELL, "stop_market", stop_price=43_000.0, reduce_only=True))


async def test_small_bar_volume_gives_partial_fills(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    limit = req(venue, BUY, "limit", amount=0.1, price=42_000.0)
    await gateway.create_order(limit)
    await gateway.advance(bar(clock, 42_100, 42_100, 41_900, 42_000, volume=0.6))  # 10 % of 0.6 = 0.06
    assert await status(venue, limit) == (OrderStatus.PARTIALLY_FILLED, pytest.approx(0.06), pytest.approx(42_000))
    await gateway.advance(bar(clock, 42_000, 42_050, 41_950, 42_000, volume=5))
    assert (await status(venue, limit))[:2] == (OrderStatus.FILLED, pytest.approx(0.1))


async def test_reduce_only_never_opens_or_flips(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    with pytest.raises(OrderRejected, match="no position to reduce"):
        await gateway.create_order(req(venue, SELL, reduce_only=True))
    await gateway.create_order(req(venue, BUY, amount=0.1))
    tp = req(venue, SELL, "take_profit", amount=0.1, stop_price=43_000.0, reduce_only=True)
    sl = req(venue, SELL, "stop_market", amount=0.1, stop_price=41_000.0, reduce_only=True)
    await gateway.create_order(tp)
    await gateway.create_order(sl)
    await gateway.advance(bar(clock, 42_250, 43_200, 42_200, 43_100))
    await gateway.advance(bar(clock, 43_100, 43_100, 40_000, 40_500))  # the stop finds nothing left to close
    assert (await status(venue, tp))[0] is OrderStatus.FILLED
    assert await status(venue, sl) == (OrderStatus.CANCELLED, 0.0, None)


async def test_fees_slippage_and_realised_pnl_move_the_balance(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock, Costs(PercentageFee(0.0002, 0.0004), FixedSlippage(10)))
    gateway = venue.gateway
    entry = await gateway.create_order(req(venue, BUY, amount=0.1))
    assert entry.average_price == pytest.approx(42_292.25)  # 10 bps against the buyer
    assert entry.fee == pytest.approx(0.1 * 42_292.25 * 0.0004)  # taker
    tp = req(venue, SELL, "limit", amount=0.1, price=43_000.0, reduce_only=True)
    await gateway.create_order(tp)
    await venue.move("BTC/USDT", 43_100.0)
    done = await gateway.fetch_order(tp.client_order_id, "BTC/USDT")
    assert done is not None and done.average_price == pytest.approx(43_000) and done.fee == pytest.approx(0.86)
    balance = (await gateway.balance(venue.account_id))["USDT"]
    assert balance == pytest.approx(10_000 + 0.1 * (43_000 - 42_292.25) - entry.fee - 0.86)


async def test_fixed_fee_and_insufficient_margin_counts_open_positions(db: str, clock: FakeClock) -> None:
    venue = await paper_venue(clock, Costs(FixedFee(1.0)), balance=1_000.0)
    first = await venue.gateway.create_order(req(venue, BUY, amount=0.2))  # 8,450 notional, 845 margin at 10x
    assert first.fee == 1.0
    with pytest.raises(OrderRejected, match="insufficient funds") as refused:
        await venue.gateway.create_order(req(venue, BUY, amount=0.1))  # 422.5 more; 154 free
    assert refused.value.kind == "funds"


async def test_in_a_transaction_a_batch_is_written_all_or_nothing(
        db: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the order is written (here: the balance update names an account id that is not one)
    rolls the whole batch back: no order without its holding and balance, or the reverse. (The embedded server
    is used with transactions only here, one session at a time: its transactions are not isolated.)"""
    monkeypatch.setitem(bulk._transactions, "supported", True)
    venue = await paper_venue(clock)
    request = req(venue, BUY)
    state = PaperOrderState(request, OrderStatus.FILLED, clock(), filled=0.1, cost=4_225.0)
    moves = Moves({(venue.account_id, "BTC/USDT"): PaperHolding(0.1, 42_250.0, 10.0)}, {"not-an-id": {"USDT": -1.0}},
                  {})
    store = MongoPaperStore()

    with pytest.raises(InvalidId):
        await store.write([state], [], lambda stored: moves)

    assert await PaperOrder.count() == 0 and await PaperHoldingDoc.count() == 0
    assert await venue.gateway.fetch_order(request.client_order_id, "BTC/USDT") is None


@pytest.mark.parametrize("transactions", [False, True])
async def test_a_repeated_id_in_a_batch_is_answered_and_settled_once(
        db: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, transactions: bool) -> None:
    """With or without transactions: the repeat answers with the first order, the new order beside it is
    stored and settled, and nothing is settled twice."""
    monkeypatch.setitem(bulk._transactions, "supported", transactions)
    venue = await paper_venue(clock)
    first = await venue.gateway.create_order(req(venue, BUY))
    repeat = req(venue, BUY)
    repeat = OrderRequest(**{**repeat.__dict__, "client_order_id": first.client_order_id})
    fresh = req(venue, BUY)

    other, again = await venue.gateway.create_orders([fresh, repeat])

    assert isinstance(again, OrderResult) and isinstance(other, OrderResult)
    assert (again.exchange_order_id, again.filled) == (first.exchange_order_id, first.filled)
    assert other.status is OrderStatus.FILLED and await PaperOrder.count() == 2
    balance = (await venue.gateway.balance(venue.account_id))["USDT"]
    assert balance == pytest.approx(10_000 - first.fee - other.fee - 2 * 0.1 * 42_250 / 10)  # two fills, not three


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="checks the embedded server")
async def test_the_embedded_server_is_not_used_with_transactions(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """nx-27017 runs every session on one SQLite connection: one session's abort rolls back the writes of the
    others. It reports no replica set in `hello`, so the paper store writes in order there."""
    monkeypatch.setitem(bulk._transactions, "supported", None)
    assert await bulk.transactions(PaperOrder) is False


async def test_an_order_fills_only_on_what_traded_after_it_was_placed(db: str, clock: FakeClock) -> None:
    """The execution issue's defect 8: a limit placed half-way through a candle does not fill on that candle's
    low (which may have traded before it existed), only on the candles after it."""
    venue = await paper_venue(clock)
    gateway = venue.gateway
    assert isinstance(gateway, PaperGateway)
    clock.advance(seconds=30)  # 12:00:30: the 12:00 candle is half done
    limit = req(venue, BUY, "limit", price=41_000.0)
    assert (await gateway.create_order(limit)).status is OrderStatus.OPEN
    started = clock().replace(second=0)
    await gateway.advance(Bar("BTC/USDT", int(started.timestamp() * 1000), 42_250, 42_300, 40_900, 42_200, 100.0))
    assert (await status(venue, limit))[0] is OrderStatus.OPEN  # its low may be from before 12:00:30
    clock.advance(seconds=30)
    await gateway.advance(Bar("BTC/USDT", int(clock().timestamp() * 1000), 42_200, 42_250, 40_950, 41_100, 100.0))
    assert await status(venue, limit) == (OrderStatus.FILLED, pytest.approx(0.1), pytest.approx(41_000))


class Died(BaseException):
    """The process died here."""


async def test_a_batch_cut_off_after_its_journal_is_finished_once_on_restart(
        db: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without transactions (the embedded server) a batch is journaled first: a process that dies after storing
    the filled order but before its holding and cash leaves the journal entry, and the next start-up finishes it
    — the holding and the fee count once, even if recovery itself runs twice. Before, the order stayed filled
    with no holding: every reduce-only stop was refused as "no position to reduce"."""
    from core.services.orders import paper_store

    venue = await paper_venue(clock, Costs(PercentageFee(0.0002, 0.0004), FixedSlippage(0)))
    store = venue.gateway.store  # type: ignore[attr-defined]
    real_insert = paper_store._insert_missing

    async def dies_after_the_orders(model: object, docs: list[dict[str, object]]) -> None:
        await real_insert(model, docs)  # type: ignore[arg-type]
        if model is PaperOrder:
            raise Died

    monkeypatch.setattr(paper_store, "_insert_missing", dies_after_the_orders)
    entry = req(venue, BUY, amount=0.1)
    with pytest.raises(Died):
        await venue.gateway.create_order(entry)
    monkeypatch.setattr(paper_store, "_insert_missing", real_insert)
    assert await PaperHoldingDoc.count() == 0  # the fill is stored, its holding is not (yet)

    restarted = MongoPaperStore()
    await restarted.recover()
    await restarted.recover()

    [holding] = await PaperHoldingDoc.find(PaperHoldingDoc.account_id == venue.account_id).to_list()
    assert holding.amount == pytest.approx(0.1)
    other = await ExchangeAccount(user_id="1" * 24, paper_balances={"USDT": 10_000.0}).insert()
    control = dataclasses.replace(venue, account_id=str(other.id))
    await control.gateway.create_order(req(control, BUY, amount=0.1))  # the same order, nothing cut off
    balance = (await venue.gateway.balance(venue.account_id))["USDT"]
    assert balance == pytest.approx((await control.gateway.balance(control.account_id))["USDT"])
    cash = {a.id: a.paper_balances["USDT"] for a in await ExchangeAccount.find_all().to_list()}
    assert len(set(cash.values())) == 1 and next(iter(cash.values())) < 10_000  # the fee left the cash once, each
    stop = req(venue, SELL, "stop_market", amount=0.1, stop_price=41_000.0, reduce_only=True)
    assert (await venue.gateway.create_order(stop)).status is OrderStatus.OPEN
    assert store is not None
