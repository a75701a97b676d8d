"""Calls, updates and refusals in the languages the lexicon files cover, and what is never a trade (issue 17).

The messages are written for these tests in the layouts real channels use (see the public fixtures for the
channels themselves); each case is a convention, not one channel's message.
"""

from __future__ import annotations

import pytest

from core.domain import EntryType, NewSignal, Noise, RejectedSignal, Side, SignalUpdate, UpdateAction
from core.parsing import ParseContext, parse
from core.parsing.lexicon import LANGUAGE_CODES


def call(text: str, context: ParseContext | None = None) -> NewSignal:
    result = parse(text, context)
    assert isinstance(result, NewSignal), result
    return result


def test_every_required_language_has_a_file() -> None:
    assert {"en", "ru", "zh", "tr", "pt", "es", "fa"} <= set(LANGUAGE_CODES)


@pytest.mark.parametrize(
    ("text", "symbol", "side", "entries", "targets", "stop", "leverage"),
    [
        ("Монета: DOGE ЛОНГ\nЦена входа: 0.12 - 0.118\nТейки: 0.125 0.13\nСтоп: 0.11\nПлечо - 10",
         "DOGE/USDT", Side.LONG, (0.12, 0.118), (0.125, 0.13), 0.11, 10),
        ("SOL，150附近，做空\n止损：158\n止盈：140", "SOL/USDT", Side.SHORT, (150,), (140,), 158, None),
        ("比特币做多\n入场：60000\n止損：58000\n目標：64000/66000\n10倍", "BTC/USDT", Side.LONG, (60000,),
         (64000, 66000), 58000, 10),
        ("#LINK COMPRA\nEntrada: 14.2\nAlvo 1: 15\nAlvo 2: 16\nStop: 13.5\nAlavancagem: 5x", "LINK/USDT",
         Side.LONG, (14.2,), (15, 16), 13.5, 5),
        ("ADA/USDT venta\nEntrada: 0.45\nObjetivos: 0.42 - 0.40\nStop: 0.47", "ADA/USDT", Side.SHORT, (0.45,),
         (0.42, 0.40), 0.47, None),
        ("#AVAX SHORT\nGiriş: 30.5\nHedef 1: 29\nHedef 2: 28\nStop: 31.5\nKaldıraç: 10x", "AVAX/USDT",
         Side.SHORT, (30.5,), (29, 28), 31.5, 10),
        ("رمزارز ARB\nبا لوریج 3 در نقطه 1.2 پوزیشن لانگ باز کنید\nتارگت: 1.3 - 1.4\nاستاپ: 1.1",
         "ARB/USDT", Side.LONG, (1.2,), (1.3, 1.4), 1.1, 3),
    ],
)
def test_calls_in_other_languages(text: str, symbol: str, side: Side, entries: tuple[float, ...],
                                  targets: tuple[float, ...], stop: float, leverage: float | None) -> None:
    result = call(text)
    assert (result.symbol, result.side, result.entries, result.take_profits, result.stop_loss, result.leverage) \
        == (symbol, side, entries, targets, stop, leverage)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Тейк 2 взят, стоп в безубыток", UpdateAction.TP_HIT),
        ("Тут стоп, перезаходить не буду", UpdateAction.SL_HIT),
        ("Закрываю позицию в ноль", UpdateAction.CLOSE),
        ("触发止损", UpdateAction.SL_HIT),
        ("已经触发止盈！", UpdateAction.TP_HIT),
        ("止损上移: 61000", UpdateAction.MOVE_SL),
        ("ETH空单在2700补仓", UpdateAction.OTHER),
        ("Alvo 2 atingido #SOL", UpdateAction.TP_HIT),
        ("Hedef 1 geldi ✅", UpdateAction.TP_HIT),
        ("Stop oldu, sonraki işleme bakıyoruz", UpdateAction.SL_HIT),
        ("Objetivo 3 alcanzado", UpdateAction.TP_HIT),
        ("استاپ بیاد نقطه ورود", UpdateAction.MOVE_SL),
        ("Closed SOL", UpdateAction.CLOSE),
        ("Reduced BTC short by 50%", UpdateAction.CLOSE),
        ("Added to my LINK long", UpdateAction.OTHER),
    ],
)
def test_updates_in_other_languages(text: str, action: UpdateAction) -> None:
    result = parse(text)
    assert isinstance(result, SignalUpdate) and result.action is action, result


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("BTC - Market Analysis\nBearish below the key levels, watch 60000 #BTC", "no entry"),
        ("ETH looks bullish here, long soon?", "opinion"),
        ("Long ETH now?", "question"),
        ("We are long term bullish on ETH here.", "no entry"),
        ("Will open a SOL long if price holds support", "no entry"),
        ("Buying BTC here, bullish above the key level", "opinion"),
        ("GOLD BUY 2350\nSL 2340\nTP 2380", "commodity"),
        ("BUY EURUSD 1.0850\nSL 1.0820\nTP 1.0900", "forex"),
        ("#XAUUSD sell 2400 SL 2410 TP 2380", "commodity"),
        ("$TSLA 250 calls for $2.10", "stocks, options"),
    ],
)
def test_opinions_questions_and_other_markets_are_noise_with_the_reason(text: str, reason: str) -> None:
    result = parse(text)
    assert isinstance(result, Noise), result
    assert reason in result.reason


def test_a_call_without_a_pair_is_rejected_with_the_reason_never_traded() -> None:
    result = parse("Entry at $95,000 with SL at $93,500")
    assert isinstance(result, RejectedSignal)
    assert result.reason == "the call names no trading pair"
    assert result.draft.entries == (95000,) and result.draft.stop_loss == 93500


@pytest.mark.parametrize(
    ("text", "symbol", "side"),
    [
        ("Took sol scalp long too", "SOL/USDT", Side.LONG),
        ("shorted SOL too", "SOL/USDT", Side.SHORT),
        ("Buying #BICO here on Binance", "BICO/USDT", Side.LONG),
    ],
)
def test_a_market_instruction_standing_beside_the_side(text: str, symbol: str, side: Side) -> None:
    result = call(text)
    assert (result.symbol, result.side, result.entry_type, result.entries) == (symbol, side, EntryType.MARKET, ())


def test_a_word_that_is_also_a_ticker_needs_a_marker() -> None:
    assert isinstance(parse("Do not sell now, the market is hot"), Noise)
    assert call("#HOT LONG entry 0.002 sl 0.0018").symbol == "HOT/USDT"


def test_the_market_list_decides_bare_tickers() -> None:
    text = "ZZZ long entry 1.5 stop 1.4"
    unknown = parse(text)
    assert isinstance(unknown, RejectedSignal) and unknown.reason == "the call names no trading pair"
    assert call(text, ParseContext(markets=frozenset({"ZZZ"}))).symbol == "ZZZ/USDT"


def test_item_numbers_are_never_prices_and_allocations_are_not_targets() -> None:
    medals = call("#ALPHA/USDT LONG\nEntry - 0.1498\nSL 0.14\nTargets:\n🥇 0.1528 (40% of profit)\n"
                  "🥈 0.1543 (60% of profit)\n🚀 0.1558 (100% of profit)")
    assert medals.take_profits == (0.1528, 0.1543, 0.1558)
    numbered = call("#ALPHA/USDT LONG\nEntry 0.1498\nSL 0.14\nTargets:\n1) 0.1528\n2) 0.1543\n3️⃣ 0.1558")
    assert numbered.take_profits == (0.1528, 0.1543, 0.1558)


def test_percentage_targets_and_a_zone_fused_with_the_side() -> None:
    result = call("#LA/USDT\n#SHORT\nZONE: 0.0668 - 0.0671\nSTOPLOSS: 0.0711\nTargets: 5%-10%")
    assert result.entry_type is EntryType.RANGE and result.take_profits == ("5%", "10%")


def test_a_result_post_quoting_the_call_is_an_update_and_a_plan_stays_a_call() -> None:
    quoted = "#KITE/USDT\n#LONG\nENTRY: 0.1373\nTARGETS:\n1) 0.1395\nSTOPLOSS: 0.1295\n\nAll targets achieved"
    assert isinstance(parse(quoted), SignalUpdate)
    plan = "#KITE/USDT LONG\nENTRY: 0.1373\nTP: 0.1395\nSL: 0.1295\nMove SL to entry after TP1 hit"
    assert isinstance(parse(plan), NewSignal)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("ETH SHORT\nShort below 3000\nTargets 2900 2800\nStop 3100",
         ("ETH/USDT", Side.SHORT, (3000,), (2900, 2800), 3100, None)),
        ("SOL LONG\nMarket\nTP 160\nSL 140", ("SOL/USDT", Side.LONG, (), (160,), 140, None)),
        ("XRP LONG\nEntry: 0.5\nTarget 1 - 0.52\nTarget 2 - 0.54\nSL: 0.48",
         ("XRP/USDT", Side.LONG, (0.5,), (0.52, 0.54), 0.48, None)),
        ("SHIB LONG\nEntry: 1.2e-5\nTP: 1.4e-5\nSL: 1.0e-5",
         ("SHIB/USDT", Side.LONG, (0.000012,), (0.000014,), 0.00001, None)),
        ("ADA LONG\nCross 10-20\nEntry 0.5\nTP 0.55\nSL 0.45", ("ADA/USDT", Side.LONG, (0.5,), (0.55,), 0.45, 10)),
        ("long btc 60000 sl 59000 tp 62000", ("BTC/USDT", Side.LONG, (60000,), (62000,), 59000, None)),
        ("#CROSS/USDT LONG\nEntry: 0.5\nSL 0.45\nTP 0.6", ("CROSS/USDT", Side.LONG, (0.5,), (0.6,), 0.45, None)),
        ("LINK long\nEntry: [14.5 - 14.2]\nTP: {15, 16}\nSL: (13.9)",
         ("LINK/USDT", Side.LONG, (14.5, 14.2), (15, 16), 13.9, None)),
        ("AVAX SHORT\nEntry: 30 – 31\nTP1: 29 | TP2: 28\nSL: 32",
         ("AVAX/USDT", Side.SHORT, (30, 31), (29, 28), 32, None)),
        ("BTC LONG\nEntry: 60000\nSL: 4H candle close below 58000\nTP: 64000",
         ("BTC/USDT", Side.LONG, (60000,), (64000,), 58000, None)),
        ("#ADA/BTC long\nEntry: 1250 - 1300 sats\nTargets: 1400 1500\nStop: 1150",
         ("ADA/BTC", Side.LONG, (1250, 1300), (1400, 1500), 1150, None)),
    ],
)
def test_layouts(text: str, fields: tuple[object, ...]) -> None:
    result = call(text)
    assert (result.symbol, result.side, result.entries, result.take_profits, result.stop_loss, result.leverage) \
        == fields


@pytest.mark.parametrize(
    ("text", "action", "new_stop"),
    [
        ("止盈预计: 84000/86600/89300", UpdateAction.OTHER, None),
        ("SL: 58200", UpdateAction.MOVE_SL, 58200),
        ("Новые цели: 3200, 3300", UpdateAction.OTHER, None),
        ("Все цели достигнуты #SOL", UpdateAction.TP_HIT, None),
        ("全部止盈 #BTC", UpdateAction.TP_HIT, None),
        ("止盈1已到达", UpdateAction.TP_HIT, None),
        ("BTC/USDT\nFinal profit: 120% ✅", UpdateAction.OTHER, None),
        ("#SOL second entry opened at 145", UpdateAction.OTHER, None),
    ],
)
def test_new_levels_and_results_are_updates(text: str, action: UpdateAction, new_stop: float | None) -> None:
    result = parse(text)
    assert isinstance(result, SignalUpdate) and (result.action, result.new_stop) == (action, new_stop), result


def test_item_numbers_and_tallies_are_not_levels() -> None:
    assert isinstance(parse("$10 target 1\n$50 target 2"), Noise)
    assert isinstance(parse("会员群策略【盈利29 保本4 亏损3】"), Noise)


@pytest.mark.parametrize("targets", [
    "1 - 0.52\n2 - 0.54", "1/ 0.52\n2/ 0.54", "#1 0.52\n#2 0.54", "🎯1 0.52\n🎯2 0.54", "① 0.52\n② 0.54",
    "Target 1 → 0.52\nTarget 2 → 0.54", "TP1 ➡️ 0.52\nTP2 ➡️ 0.54", "[1] 0.52\n[2] 0.54", "1 0.52\n2 0.54",
    "1⃣ 0.52 2⃣ 0.54", "Tp 1 = 0.52 | Tp 2 = 0.54", "🥇0.52\n🥈0.54",
])
def test_numbered_lists_of_any_style_never_read_their_numbers_as_prices(targets: str) -> None:
    assert call("#XRP/USDT LONG\nEntry: 0.5\nSL: 0.48\nTargets:\n" + targets).take_profits == (0.52, 0.54)


def test_an_abbreviated_continuation_of_a_long_decimal_is_completed() -> None:
    result = call("#PEPE long\nEntry: 0.00001234 - 1250\nTargets: 0.0000130 - 140\nSL: 0.0000118")
    assert result.entries == (0.00001234, 0.0000125) and result.take_profits == (0.000013, 0.000014)


@pytest.mark.parametrize(
    ("text", "entries", "targets", "stop"),
    [
        ("BTC LONG 60000 58000 62000 64000", (60000,), (62000, 64000), 58000),
        ("ETH short 3000 3100 2900 2800", (3000,), (2900, 2800), 3100),
        ("BTC long 60000-60500 58000 62000 64000", (60000, 60500), (62000, 64000), 58000),
        ("XRP LONG\nEntry: 0.5\nTargets: 0.56 0.54 0.52\nSL 0.48", (0.5,), (0.52, 0.54, 0.56), 0.48),
    ],
)
def test_consistency_assigns_what_the_labels_leave_open(text: str, entries: tuple[float, ...],
                                                        targets: tuple[float, ...], stop: float) -> None:
    result = call(text)
    assert (result.entries, result.take_profits, result.stop_loss) == (entries, targets, stop)


def test_a_call_with_no_consistent_reading_is_rejected_with_the_reason() -> None:
    result = parse("ETH，2605附近，做多\n止损预计：2579\n止盈预计：2557")  # both levels below a long's entry
    assert isinstance(result, RejectedSignal)
    assert result.reason == "target 1 (2557) is not above the long entry (2605)"


def test_persian_digits_and_decimal_separator_are_prices() -> None:
    result = call("#BTC/USDT\nپوزیشن شورت باز کنید\nدر نقطه ۲۷۴۶۱٫۵\nتارگت: ۲۶۰۰۰\nاستاپ: ۲۸۰۰۰")
    assert (result.side, result.entries, result.take_profits, result.stop_loss) == (
        Side.SHORT, (27461.5,), (26000,), 28000)


@pytest.mark.parametrize(
    ("text", "target"),
    [("TP2 reached, move SL to TP1", 2), ("Тейк 2 взят", 2), ("止盈2已触发", 2), ("Second target reached", 2),
     ("第二止盈到位", 2), ("Alvo 3 atingido", 3), ("Hedef 1 geldi", 1), ("Primeiro alvo batido", 1),
     ("#BTC Take-Profit target 3 ✅", 3)],
)
def test_a_target_hit_names_its_target_in_every_language(text: str, target: int) -> None:
    result = parse(text)
    assert isinstance(result, SignalUpdate) and (result.action, result.target) == (UpdateAction.TP_HIT, target)


@pytest.mark.parametrize(
    ("text", "new_stop"),
    [("Двигаю стоп на 0.091$, остальное все также", 0.091), ("止损下移: 58200", 58200), ("Stop moved to 1.85", 1.85),
     ("SL moved to 64,250", 64250), ("Mova o stop para 245.5", 245.5), ("Stopu 3050e çekin", 3050),
     ("SL to BE", None), ("move SL to TP1", None), ("Стоп переносим в безубыток по SOL", None)],
)
def test_a_moved_stop_carries_its_new_price_in_every_language(text: str, new_stop: float | None) -> None:
    result = parse(text)
    assert isinstance(result, SignalUpdate) and (result.action, result.new_stop) == (UpdateAction.MOVE_SL, new_stop)
