"""Optional tags kept on a call: timeframe, horizon, confidence, risk level, break-even instruction."""

from __future__ import annotations

import pytest

from core.domain import NewSignal
from core.parsing import parse
from core.parsing.extras import read_extras

CALL = "BTC/USDT LONG entry 42000 TP 43000 SL 41000\n"


@pytest.mark.parametrize(
    ("tail", "extras"),
    [
        ("Timeframe: 4h", {"timeframe": "4h"}),
        ("⏱ 15m Mid Term", {"timeframe": "15m", "horizon": "mid-term"}),
        ("Confidence: 85%", {"confidence": "85"}),
        ("Accuracy 8/10", {"confidence": "80"}),
        ("confidence level: high", {"confidence": "80"}),
        ("Probability: 120%", {"confidence": "100"}),
        ("Risk of the signal: 7/10", {"risk": "7/10"}),
        ("LOW RISK setup", {"risk": "low"}),
        ("RISKY TRADE, FOMC TODAY", {"risk": "high"}),
        ("Move SL to entry after TP1", {"break_even": "move sl to entry after tp1"}),
        ("set stop-loss to breakeven", {"break_even": "set stop-loss to breakeven"}),
        ("good luck", {}),
    ],
)
def test_tags_are_read_when_present(tail: str, extras: dict[str, str]) -> None:
    assert read_extras(tail.lower()) == extras
    parsed = parse(CALL + tail)
    assert isinstance(parsed, NewSignal)
    assert {k: v for k, v in parsed.extras.items() if k in extras} == extras
