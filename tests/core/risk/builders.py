"""Small builders for risk tests: a long BTC call and a request around it, overridable field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from core.domain import EntryType, MarketRules, NewSignal, RiskProfile, Side
from core.risk.inputs import TradeRequest

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
BTC = MarketRules(amount_step=0.00001, price_tick=0.01, min_amount=0.00001, min_notional=5.0)


def call(**fields: Any) -> NewSignal:
    base: dict[str, Any] = dict(symbol="BTC/USDT", side=Side.LONG, entry_type=EntryType.RANGE,
                                entries=(42_000.0, 42_500.0), take_profits=(43_000.0, 44_000.0),
                                stop_loss=41_000.0, leverage=10.0)
    base.update(fields)
    return NewSignal(**base)


def request(signal: NewSignal | None = None, profile: dict[str, Any] | RiskProfile | None = None,
            **fields: Any) -> TradeRequest:
    chosen = profile if isinstance(profile, RiskProfile) else RiskProfile(**(profile or {}))
    base = TradeRequest(signal=signal or call(), profile=chosen, price=42_250.0, equity=10_000.0, rules=BTC,
                        now=NOW, posted_at=NOW)
    return replace(base, **fields)
