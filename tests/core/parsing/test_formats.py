"""What the parser reads: one case per shape real providers post (see issue 3 and the public corpus)."""

from __future__ import annotations

import pytest

from core.domain import EntryType, NewSignal, Noise, RejectedSignal, Side, SignalUpdate, UpdateAction
from core.parsing import ParseContext, parse


def signal(text: str, context: ParseContext | None = None) -> NewSignal:
    result = parse(text, context)
    assert isinstance(result, NewSignal), result
    return result


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("BTCUSDT long entry 100 sl 90", "BTC/USDT"),
        ("BTC/USDT long entry 100 sl 90", "BTC/USDT"),
        ("#BTC long entry 100 sl 90", "BTC/USDT"),
        ("$BTC long entry 100 sl 90", "BTC/USDT"),
        ("BTC-PERP long entry 100 sl 90", "BTC/USDT"),
        ("BTCUSDT.P long entry 100 sl 90", "BTC/USDT"),
        ("SUSHIUSDTPERP long entry 100 sl 90", "SUSHI/USDT"),
        ("ETH | USDT long entry 100 sl 90", "ETH/USDT"),
        ("1000PEPEUSDT long entry 0.01 sl 0.009", "1000PEPE/USDT"),
        ("ЕТН/USDT long entry 100 sl 90", "ETH/USDT"),  # Cyrillic Е and Т inside a Latin ticker
        ("ETH / BTC long entry 0.05 sl 0.04", "ETH/BTC"),
        ("Short #xbt at 6640-6700 stop 6800", "BTC/USD"),
        ("Pair: XRP LONG Entry: 0.5 SL: 0.4", "XRP/USDT"),
    ],
)
def test_pairs(text: str, symbol: str) -> None:
    assert signal(text).symbol == symbol


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("BTCUSDT LONG entry 100 sl 90", Side.LONG),
        ("BTCUSDT 🟢 Buy entry 100 sl 90", Side.LONG),
        ("BTCUSDT sell entry 100 sl 110", Side.SHORT),
        ("BTCUSDT (SHORT) entry 100 sl 110", Side.SHORT),
        ("BTCUSDT шорт вход 100 стоп 110", Side.SHORT),
        ("#BTCUSDT Открывать ЛОНГ", Side.LONG),
    ],
)
def test_sides(text: str, side: Side) -> None:
    assert signal(text).side is side


def test_side_implied_by_the_levels_and_noted() -> None:
    result = signal("#BNBUSDT\nEntry: 627.06\nTargets: 624.95 - 623.92\nStop: 630.2")
    assert result.side is Side.SHORT and result.extras["side_implied_by"] == "levels"


def test_a_horizon_is_not_a_side() -> None:
    result = signal("$SXP/USDT\nTerm: SHORT TERM\nENTRY: 3.55 - 3.80\nTARGETS\nShort Term: 3.90 - 4.00\nSTOP: 3.10")
    assert result.side is Side.LONG and result.take_profits == (3.9, 4.0)


@pytest.mark.parametrize(
    ("text", "entry_type", "entries"),
    [
        ("BTCUSDT long entry 42000 sl 41000", EntryType.LIMIT, (42000.0,)),
        ("BTCUSDT long entry 42000-42500 sl 41000", EntryType.RANGE, (42000.0, 42500.0)),
        ("BTCUSDT long Entry Zone: 0.076 _ 0.070 sl 0.06", EntryType.RANGE, (0.076, 0.070)),
        ("BTCUSDT long\nEntry Targets:\n1) 57450\n2) 56800\nSL 50000", EntryType.LIMIT, (57450.0, 56800.0)),
        ("BTCUSDT long Entry: market price SL 41000", EntryType.MARKET, ()),
        ("BTCUSDT long Entry at CMP: 42000 SL 41000", EntryType.MARKET, ()),
        ("BTCUSDT long Entry: 42000 (CMP) SL 41000", EntryType.MARKET, ()),
        ("Short $DOGE here 0.182, SL 0.19, TP1 0.17", EntryType.LIMIT, (0.182,)),
        ("ETH/USDT long entry 2,201.43 sl 2,100", EntryType.LIMIT, (2201.43,)),
        ("ETH/USDT long entry 2201,5 sl 2100", EntryType.LIMIT, (2201.5,)),
        ("BTC/USDT long entry 50k sl 45k", EntryType.LIMIT, (50000.0,)),
    ],
)
def test_entries(text: str, entry_type: EntryType, entries: tuple[float, ...]) -> None:
    result = signal(text)
    assert (result.entry_type, result.entries) == (entry_type, entries)


def test_market_entry_keeps_the_quoted_reference_price() -> None:
    assert signal("BTCUSDT long Entry: 42000 cmp SL 41000").extras["reference_price"] == "42000"


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("BTCUSDT long entry 100\nTP1 110\nTP2 120\nSL 90", (110.0, 120.0)),
        ("BTCUSDT long entry 100 Targets: 110 - 120 - 130 SL 90", (110.0, 120.0, 130.0)),
        ("BTCUSDT long entry 100 Targets: 110, 120, 130 SL 90", (110.0, 120.0, 130.0)),
        ("BTCUSDT long entry 100\nTargets:\n1) 110 - 50%\n2) 120 - 50%\nSL 90", (110.0, 120.0)),
        ("BTCUSDT long entry 100\nTargets:\n1️⃣ 110\n2️⃣ 120\n3️⃣ 🚀\nSL 90", (110.0, 120.0)),
        ("BTCUSDT long entry 100\nTP ➊: 110\nTP ➋: 120\nSL 90", (110.0, 120.0)),
        ("BTCUSDT long entry 100 Targets: 110 - 120 - null SL 90", (110.0, 120.0)),
        ("BTCUSDT long entry 100\nTP1 110\nTP2 120\nTP3130.5\nSL 90", (110.0, 120.0, 130.5)),
        ("ETHUSDT long вход 2033 тейки: 2034-2035", (2034.0, 2035.0)),
    ],
)
def test_targets(text: str, targets: tuple[float, ...]) -> None:
    assert signal(text).take_profits == targets


@pytest.mark.parametrize(
    ("text", "stop"),
    [
        ("BTCUSDT long entry 100 tp 110 SL 90", 90.0),
        ("BTCUSDT long entry 100 tp 110 Stop-Loss: 90$", 90.0),
        ("BTCUSDT long entry 100 tp 110 SL: H4 candle close below 90", 90.0),
        ("BTCUSDT long entry 100 tp 110\nStop Targets:\n1) -7%", "-7%"),
        ("BTCUSDT long entry 100 tp 110\nSL - 25-30%", "25-30%"),
    ],
)
def test_stops(text: str, stop: float | str) -> None:
    assert signal(text).stop_loss == stop


@pytest.mark.parametrize(
    ("text", "leverage"),
    [
        ("BTCUSDT long entry 100 sl 90 10x", 10.0),
        ("BTCUSDT long entry 100 sl 90 x20", 20.0),
        ("BTCUSDT long entry 100 sl 90 Leverage: Cross 20x", 20.0),
        ("BTCUSDT long entry 100 sl 90 Leverage: Isolated (10.0X)", 10.0),
        ("BTCUSDT long entry 100 sl 90 Leverage: Cross (20х)", 20.0),  # Cyrillic х
        ("BTCUSDT long entry 100 sl 90 Leverage: 5-10x", 5.0),
        ("BTCUSDT long entry 100 sl 90 (20x-50x Leverage)", 20.0),
        ("BTCUSDT long entry 100 sl 90 Leverage X10 X25", 10.0),
    ],
)
def test_leverage(text: str, leverage: float) -> None:
    assert signal(text).leverage == leverage


def test_markup_and_lost_line_breaks() -> None:
    html = signal("<b>BTC/USDT</b> **LONG**\n__Entry:__ 100\n`SL:` 90")
    assert (html.symbol, html.entries, html.stop_loss) == ("BTC/USDT", (100.0,), 90.0)
    flat = signal("AVAXUSDT SHORTLeverage: Cross 20xEntry: 58.57Targets: 56.66 - 54.45SL: 61.62")
    assert (flat.side, flat.leverage, flat.entries, flat.take_profits, flat.stop_loss) == (
        Side.SHORT, 20.0, (58.57,), (56.66, 54.45), 61.62)


def test_context_hints() -> None:
    sats = signal("#BRD buy around 666-652 targets 677-690 stop 600", ParseContext(prices_in_satoshis=True))
    assert sats.symbol == "BRD/BTC"
    assert signal("#SOL long entry 140 sl 130", ParseContext(default_leverage=3)).leverage == 3


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("#DOT/USDT Take-Profit target 2 ✅", UpdateAction.TP_HIT),
        ("Target 1 hit on $SOL ✅ 35% profit (10x)", UpdateAction.TP_HIT),
        ("#APE/USDT Closed at stoploss after reaching take profit", UpdateAction.SL_HIT),
        ("#BTC/USDT Stoploss ⛔️", UpdateAction.SL_HIT),
        ("Close 25% #ETHUSDT and move SL on entry", UpdateAction.CLOSE),
        ("Please close all longs now", UpdateAction.CLOSE),
        ("Move SL to 105", UpdateAction.MOVE_SL),
        ("#WAVES/USDT Cancelled ❌", UpdateAction.CANCEL),
        ("#ALGO/USDT Entered entry zone ✅", UpdateAction.OTHER),
    ],
)
def test_updates(text: str, action: UpdateAction) -> None:
    result = parse(text, ParseContext(reply_to=77))
    assert isinstance(result, SignalUpdate) and result.action is action and result.reply_to == 77


def test_update_details() -> None:
    close = parse("Close 25% #ETHUSDT and move SL on entry")
    assert isinstance(close, SignalUpdate) and (close.symbol, close.percentage) == ("ETH/USDT", 25.0)
    moved = parse("Move SL to 105")
    assert isinstance(moved, SignalUpdate) and moved.new_stop == 105.0
    hit = parse("#DOT/USDT Take-Profit target 2 ✅")
    assert isinstance(hit, SignalUpdate) and hit.target == 2


def test_a_results_post_quoting_targets_is_not_a_new_signal() -> None:
    text = "COIN: $ETH/USDT\nDirection: SHORT\nEntry: 1900\nTarget 1: 1,880✅\nTarget 2: 1,850✅\nStop: 1950"
    result = parse(text)
    assert isinstance(result, SignalUpdate) and result.action is UpdateAction.TP_HIT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("BTC/USDT LONG entry 42000 TP1 43000 SL 43500", "a long's stop-loss (43500) must be below the entry (42000)"),
        ("BTC/USDT SHORT entry 42000 TP1 43000 SL 45000", "target 1 (43000) is not below the short entry (42000)"),
        ("ETH/USDT LONG entry 2000 TP1 2100 TP2 21000 SL 1900",
         "target 2 (21000) is more than 10x away from the entry (2000): a typo?"),
        ("PROMPT/USDT Short Entry: 0.03670 (CMP) TP1: 0.003510 SL: 0.04044",
         "target 1 (0.00351) is more than 10x away from the entry (0.0367): a typo?"),
        # found by mutating a corpus message: a market entry quoting 0 used to divide by zero
        ("ENA/USDT Short Entry: 0.0 cmp TP1: 0.09190 SL: 0.10825", "the quoted entry price (0) is zero or negative"),
    ],
)
def test_inconsistent_calls_are_rejected_with_a_reason(text: str, reason: str) -> None:
    result = parse(text)
    assert isinstance(result, RejectedSignal) and result.reason == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty message"),
        ("gm everyone, big week ahead", "no trading pair found"),
        ("$ZRO 🔥🔥 Enjoy the day", "no entry price or market-entry instruction"),
        ("#BTCUSDT potential SHORT, RSI 67", "no entry price or market-entry instruction"),
        ("BTCUSDT entry 100", "no side (long/short) written and the levels do not imply one"),
        ("🔥 CALL ALERT on CRWD at 2025-11-10T14:40:01Z | Price: $552.17", "no trading pair found"),
    ],
)
def test_chit_chat_is_noise_with_a_reason(text: str, reason: str) -> None:
    assert parse(text) == Noise(reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("⚡⚡ #BTCUSDT ⚡⚡\nSignal Type: Regular (Long)\nLeverage: Isolated (10X)\n\n"
         "Entry Zone:\nBuy at current price\n\nTake-Profit Targets:\n1) 93400\n2) 93520\n\n"
         "Stop Targets:\n1) 91500\n\nTrailing Configuration:\n"
         "Stop: Moving Target -\nTrigger: Target (1)",
         ("BTC/USDT", Side.LONG, EntryType.MARKET, (), (93400.0, 93520.0), 91500.0, 10.0)),
        ("#BTC/USDT\nLeverage: Isolated (10X)\nEntry: 67000\nTake-Profit Targets: 1) 68000 2) 69000 3) 70000\n"
         "Stop Targets: 1) 66000\nSignal Type: Regular (Long)",
         ("BTC/USDT", Side.LONG, EntryType.LIMIT, (67000.0,), (68000.0, 69000.0, 70000.0), 66000.0, 10.0)),
        ("LONG #ETH\nEntry 1: 1800\nEntry 2: 1750\nTP 1: 1900\nTP 2: 2000\nSL: 1700",
         ("ETH/USDT", Side.LONG, EntryType.LIMIT, (1800.0, 1750.0), (1900.0, 2000.0), 1700.0, None)),
        ("📈 BUY SIGNAL: $AVAX\nBuy: $32.50 - $33.10\nTP: $35 / $37 / $40\nSL: $30.8",
         ("AVAX/USDT", Side.LONG, EntryType.RANGE, (32.5, 33.1), (35.0, 37.0, 40.0), 30.8, None)),
        ("BTC short now, tp 60k, sl 66k",
         ("BTC/USDT", Side.SHORT, EntryType.MARKET, (), (60000.0,), 66000.0, None)),
        ("We are LONG on BTC from 42000, targets 43000 and 44000, stop at 41000",
         ("BTC/USDT", Side.LONG, EntryType.LIMIT, (42000.0,), (43000.0, 44000.0), 41000.0, None)),
    ],
)
def test_more_layouts(text: str, expected: tuple[object, ...]) -> None:
    got = signal(text)
    fields = (got.symbol, got.side, got.entry_type, got.entries, got.take_profits, got.stop_loss, got.leverage)
    assert fields == expected


def test_trailing_instructions_are_kept() -> None:
    got = signal("BTCUSDT long entry 100 tp 110 sl 90\n(Use Trailing SL when in profit)")
    assert got.extras["trailing"].startswith("use trailing sl when in profit")


def test_russian_updates() -> None:
    close = parse("Закрываем позицию по BTC")
    cancel = parse("Отмена сигнала по #ETHUSDT")
    assert isinstance(close, SignalUpdate) and close.action is UpdateAction.CLOSE
    assert isinstance(cancel, SignalUpdate) and cancel.action is UpdateAction.CANCEL and cancel.symbol == "ETH/USDT"
