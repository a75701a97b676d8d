"""Properties of the risk engine over generated profiles, prices and account states (fixed seed)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from core.domain import EntryType, NewSignal, RiskProfile, Side
from core.risk.checks import daily_limit
from core.risk.engine import evaluate
from core.risk.inputs import Exposure, ProviderRecord, TradeRequest
from core.risk.targets import split
from tests.core.risk.builders import BTC, request

EPS = 1e-9

profiles = st.builds(
    RiskProfile,
    sizing_mode=st.sampled_from(["percentage", "fixed", "risk", "kelly"]),
    position_pct=st.floats(0.1, 100),
    fixed_amount=st.floats(1, 50_000),
    risk_pct=st.floats(0.05, 2),
    max_risk_pct=st.floats(2, 10),
    kelly_fraction=st.floats(0.05, 1),
    max_position_size=st.none() | st.floats(10, 100_000),
    max_leverage=st.floats(1, 50),
    daily_loss_pct=st.none() | st.floats(0.5, 20),
    daily_loss_amount=st.none() | st.floats(10, 5_000),
    max_portfolio_heat_pct=st.none() | st.floats(1, 30),
    max_open_positions=st.none() | st.integers(1, 20),
    tp_split=st.sampled_from(["even", "front"]),
)


@st.composite
def requests(draw: Any) -> TradeRequest:
    side = draw(st.sampled_from([Side.LONG, Side.SHORT]))
    entry = draw(st.floats(1, 100_000))
    stop_pct = draw(st.floats(0.2, 30))
    sign = -1 if side is Side.LONG else 1
    stop = entry * (1 + sign * stop_pct / 100)
    targets = tuple(entry * (1 - sign * k * stop_pct / 100) for k in (1, 2, 3))
    signal = NewSignal(symbol="BTC/USDT", side=side, entry_type=EntryType.LIMIT, entries=(entry,),
                       take_profits=targets, stop_loss=stop, leverage=draw(st.floats(1, 100)))
    opened = tuple(Exposure("ETH/USDT", Side.LONG, "binance", draw(st.floats(0, 500)))
                   for _ in range(draw(st.integers(0, 4))))
    record = ProviderRecord(closed_trades=draw(st.integers(0, 60)), wins=0, avg_win_pct=draw(st.floats(0, 10)),
                            avg_loss_pct=draw(st.floats(0.1, 10)))
    record = replace(record, wins=draw(st.integers(0, record.closed_trades)))
    return request(signal, draw(profiles), price=entry, equity=draw(st.floats(10, 1_000_000)),
                   open_positions=opened, day_loss=draw(st.floats(0, 2_000)), provider=record)


@seed(20261121)
@settings(max_examples=400, deadline=None)
@given(requests())
def test_the_size_never_exceeds_any_cap(req: TradeRequest) -> None:
    decision = evaluate(req)
    if decision.sizing is None:
        return
    sized, plan, profile = decision.sizing, decision.plan, req.profile
    assert plan is not None and plan.stop is not None
    assert sized.quantity > 0
    assert sized.risk_amount <= req.equity * profile.max_risk_pct / 100 * (1 + EPS)
    assert sized.margin <= req.equity * (1 + EPS)
    assert plan.leverage <= profile.max_leverage
    if profile.max_position_size is not None:
        assert sized.notional <= profile.max_position_size * (1 + EPS)
    if profile.max_portfolio_heat_pct is not None:
        used = sum(p.risk for p in req.open_positions)
        assert used + sized.risk_amount <= profile.max_portfolio_heat_pct * req.equity / 100 * (1 + EPS) + EPS
    if profile.max_open_positions is not None:
        assert len(req.open_positions) < profile.max_open_positions
    assert sum(decision.tp_amounts) <= sized.quantity * (1 + EPS)


@seed(20261121)
@settings(max_examples=400, deadline=None)
@given(requests())
def test_the_worst_case_loss_never_pushes_the_day_past_its_limit(req: TradeRequest) -> None:
    decision = evaluate(req)
    limit = daily_limit(req)
    if decision.sizing is not None and limit is not None:
        assert req.day_loss + decision.sizing.risk_amount <= limit * (1 + EPS) + EPS


@seed(20261121)
@settings(max_examples=300, deadline=None)
@given(requests(), st.floats(1.0, 10.0))
def test_the_size_is_monotone_in_equity(req: TradeRequest, factor: float) -> None:
    small = evaluate(req)
    big = evaluate(replace(req, equity=req.equity * factor))
    small_qty = small.sizing.quantity if small.sizing else 0.0
    big_qty = big.sizing.quantity if big.sizing else 0.0
    if small.rule == "kelly" and small.outcome == "block":
        return  # no edge stays no edge at any equity
    assert big_qty >= small_qty


@seed(20261121)
@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1_000), st.lists(st.floats(0.01, 1_000_000), min_size=1, max_size=8), profiles)
def test_the_target_split_never_closes_more_than_the_position(quantity: float, prices: list[float],
                                                              profile: RiskProfile) -> None:
    amounts = split(quantity, tuple(prices), profile, BTC)
    assert all(a >= 0 for a in amounts)
    assert sum(amounts) <= quantity + 1e-9
