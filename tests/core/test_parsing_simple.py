from __future__ import annotations

from core.domain import EntryType, NewSignal, Noise, Side
from core.parsing import ParseContext, parse


def test_plain_call() -> None:
    result = parse("BTC/USDT LONG entry 42000-42500, TP1 43000, TP2 44000, SL 41000, 10x")
    assert result == NewSignal(symbol="BTC/USDT", side=Side.LONG, entry_type=EntryType.RANGE,
                               entries=(42_000.0, 42_500.0), take_profits=(43_000.0, 44_000.0),
                               stop_loss=41_000.0, leverage=10.0)


def test_short_single_entry_uses_the_providers_default_leverage() -> None:
    result = parse("ETHUSDT sell entry 2000 target 1900 stop 2100", ParseContext(default_leverage=5))
    assert isinstance(result, NewSignal)
    assert (result.symbol, result.side, result.entry_type, result.leverage) == ("ETH/USDT", Side.SHORT,
                                                                                EntryType.LIMIT, 5)


def test_chit_chat_and_inconsistent_calls_are_noise_with_reasons() -> None:
    assert parse("good morning, BTC looks strong") == Noise("no trading pair and side found")
    assert parse("BTC/USDT long, waiting for a dip") == Noise("no entry price found")
    bad = parse("BTC/USDT SHORT entry 42000 TP1 43000 SL 45000")
    assert bad == Noise("not a valid trade: target 1 (43000) is not below the short entry (42000)")
