"""Layouts and phrases channels use in several languages, written for these tests (issue 17): each case is a
convention seen in more than one channel, not one channel's message."""

from __future__ import annotations

import pytest

from core.domain import NewSignal, Noise, SignalUpdate, UpdateAction
from core.parsing import parse

CALLS = [
    ("📊 #BTCUSDT\n🔴 SHORT\n👉 Вход: 64500 - 65000\n🎯 Цели: 63800 / 63000 / 62000\n⛔️ Стоп: 65800\n⚙️ Плечо: 10х",
     ("BTC/USDT", "short", (64500, 65000), (63800, 63000, 62000), 65800, 10)),
    ("Монета: #ETH\nНаправление: ЛОНГ 🟢\nТочка входа: 3120\nТейк-профит: 3180, 3250, 3340\nСтоп-лосс: 3050\n"
     "Плечо: x20", ("ETH/USDT", "long", (3120,), (3180, 3250, 3340), 3050, 20)),
    ("ЛОНГ по BTC от 64200, стоп 63500, цели 65000 и 66000",
     ("BTC/USDT", "long", (64200,), (65000, 66000), 63500, None)),
    ("SOL шорт с рынка, стоп 152, тейк 140", ("SOL/USDT", "short", (), (140,), 152, None)),
    ("#DOGE Long\nGiriş: 0.1520 - 0.1480\nHedef 1: 0.1560\nHedef 2: 0.1600\nStop: 0.1430\nKaldıraç: 10x",
     ("DOGE/USDT", "long", (0.152, 0.148), (0.156, 0.16), 0.143, 10)),
    ("BTC/USDT LONG 🟢\nGiriş Bölgesi: 64000-64500\nHedefler: 65000 - 66000 - 67000\nZarar Durdur: 63000",
     ("BTC/USDT", "long", (64000, 64500), (65000, 66000, 67000), 63000, None)),
    ("#AVAX Short\nEntrada: 35,20\nAlvos: 34,50 - 33,80 - 32,90\nStop: 36,10\nAlavancagem: 10x",
     ("AVAX/USDT", "short", (35.2,), (34.5, 33.8, 32.9), 36.1, 10)),
    ("SEÑAL: ETH LARGO\nEntrada: 3100\nObjetivo 1: 3150\nObjetivo 2: 3200\nStop Loss: 3050\nApalancamiento: 5x",
     ("ETH/USDT", "long", (3100,), (3150, 3200), 3050, 5)),
    ("BTC 做多 64000-64500\n止盈 65500 / 66500\n止损 63200\n杠杆 20倍",
     ("BTC/USDT", "long", (64000, 64500), (65500, 66500), 63200, 20)),
    ("【現貨】ETH 現價買入\n目標 3300 3400\n止損 3050", ("ETH/USDT", "long", (), (3300, 3400), 3050, None)),
    ("ETH 空 3150 止损 3220 止盈 3050 2980", ("ETH/USDT", "short", (3150,), (3050, 2980), 3220, None)),
    ("#SOL/USDT 📈 BUY\nENTRY ➡️ 145.5\nTP ➡️ 150 / 155 / 160\nSL ➡️ 139",
     ("SOL/USDT", "long", (145.5,), (150, 155, 160), 139, None)),
    ("SUI LONG 🚀\nCMP: 1.85\nTP1 1.95 TP2 2.05 TP3 2.20\nSL 1.72",
     ("SUI/USDT", "long", (), (1.95, 2.05, 2.2), 1.72, None)),
    ("$BTC Long\nEntry: Market (64,250)\nSL: 63,400\nTP: 65,800", ("BTC/USDT", "long", (), (65800,), 63400, None)),
    ("⚡️⚡️ #ORDI/USDT ⚡️⚡️\nSignal Type: Regular (Long)\nLeverage: Cross (10.0X)\nEntry Targets:\n1) 36.5\n2) 35.9\n"
     "Take-Profit Targets:\n1) 37.2\n2) 38.0\n3) 39.1\nStop Targets:\n1) 34.8",
     ("ORDI/USDT", "long", (36.5, 35.9), (37.2, 38.0, 39.1), 34.8, 10)),
]


@pytest.mark.parametrize(("text", "fields"), CALLS)
def test_calls(text: str, fields: tuple[object, ...]) -> None:
    result = parse(text)
    assert isinstance(result, NewSignal), result
    assert (result.symbol, result.side.value, result.entries, result.take_profits, result.stop_loss,
            result.leverage) == fields


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("#LINK стоп 🛑", UpdateAction.SL_HIT),
        ("Стоп переносим в безубыток по SOL", UpdateAction.MOVE_SL),
        ("Закрываем 50% по ETH, остальное держим", UpdateAction.CLOSE),
        ("Отменяем вход по #DOGE", UpdateAction.CANCEL),
        ("SOL ilk hedef ✅", UpdateAction.TP_HIT),
        ("Stop girişe çekildi #AVAX", UpdateAction.MOVE_SL),
        ("Fechamos a posição em BTC com lucro", UpdateAction.CLOSE),
        ("BTC止盈2已触发", UpdateAction.TP_HIT),
        ("ETH 止损已触发", UpdateAction.SL_HIT),
        ("SOL 止损移到开仓价", UpdateAction.MOVE_SL),
        ("#ETH 2nd entry filled", UpdateAction.OTHER),
        ("#XRP closed in profit +12%", UpdateAction.CLOSE),
        ("BTCUSDT Long Closed at Take Profit 2", UpdateAction.CLOSE),
        ("#ETH hit stop loss after reaching TP1", UpdateAction.SL_HIT),
    ],
)
def test_updates(text: str, action: UpdateAction) -> None:
    result = parse(text)
    assert isinstance(result, SignalUpdate) and result.action is action, result


def test_a_moved_stop_carries_its_new_price() -> None:
    result = parse("$OP Stop moved to 1.85")
    assert isinstance(result, SignalUpdate) and (result.action, result.new_stop) == (UpdateAction.MOVE_SL, 1.85)


@pytest.mark.parametrize("text", [
    "BTC bullish divergence on 4h, watching 63k support for a bounce", "ETH breaking out 🚀🚀 who's in?",
    "New listing: $XYZ on Binance tomorrow", "Our VIP signals made 300% this week! Join now",
    "GOLD (XAUUSD) BUY NOW 2340\nTP 2350\nSL 2330", "US30 SELL 39000 SL 39200 TP 38600",
    "AAPL calls 190 strike exp Friday",
])
def test_chatter_analysis_and_other_markets_are_noise(text: str) -> None:
    assert isinstance(parse(text), Noise)


@pytest.mark.parametrize("text", ["SELL XRP @ 0.8", "long btc 64000", "BTC LONG 64000", "buy eth at 3000"])
def test_a_side_and_a_bare_price_is_chatter_but_a_labelled_entry_is_a_call(text: str) -> None:
    chatter = parse(text)
    assert isinstance(chatter, Noise) and "chatter" in chatter.reason
    assert isinstance(parse("#LA/USDT\n#SHORT\nENTRY: 0.0668"), NewSignal)


UPDATE_PHRASES = [
    ('止盈1达成', 'tp_hit'), ('第一止盈到位', 'tp_hit'), ('目标1到达 ✅', 'tp_hit'), ('已到第一目标', 'tp_hit'),
    ('被止损了', 'sl_hit'), ('打损出局', 'sl_hit'), ('保本出局', 'close'), ('止损上移至成本', 'move_sl'),
    ('止損設置成本價', 'move_sl'), ('全部平仓', 'close'), ('先出一半', 'close'), ('减半仓', 'close'),
    ('撤单', 'cancel'), ('挂单取消', 'cancel'), ('加仓', 'other'), ('挂单成交', 'other'), ('已进场', 'other'),
    ('Первая цель достигнута ✅', 'tp_hit'), ('Цель 2 выполнена', 'tp_hit'), ('Тейк 1 ✅', 'tp_hit'),
    ('Выбило по стопу', 'sl_hit'), ('Закрылись по стопу', 'sl_hit'), ('Переводим в безубыток', 'move_sl'),
    ('Стоп в бу', 'move_sl'), ('Фиксируем 50%', 'close'), ('Закрываем позицию', 'close'),
    ('Вход отменен', 'cancel'), ('Ордер исполнен', 'other'), ('Вошли в позицию', 'other'),
    ('Набрали позицию', 'other'), ('TP1 ✅', 'tp_hit'), ('Hedef 1 geldi', 'tp_hit'), ('1. hedef ✅', 'tp_hit'),
    ('Tüm hedefler tamamlandı', 'tp_hit'), ('Stop olduk', 'sl_hit'), ('Stop patladı', 'sl_hit'),
    ('Maalesef stop olduk', 'sl_hit'), ('Stopu maliyete çekin', 'move_sl'), ('Pozisyonu kapatın', 'close'),
    ('Yarısını kapatın', 'close'), ('İşlem iptal', 'cancel'), ('Giriş gerçekleşti', 'other'),
    ('Emir doldu', 'other'), ('Alvo 1 atingido ✅', 'tp_hit'), ('Primeiro alvo batido', 'tp_hit'),
    ('Bateu o alvo 2', 'tp_hit'), ('Stopado', 'sl_hit'), ('Stop atingido', 'sl_hit'), ('Bateu no stop', 'sl_hit'),
    ('Mover stop para entrada', 'move_sl'), ('Realizar parcial', 'close'), ('Fechar posição', 'close'),
    ('Encerrar operação', 'close'), ('Cancelar entrada', 'cancel'), ('Entrada executada', 'other'),
    ('Ordem executada', 'other'), ('Objetivo 1 alcanzado ✅', 'tp_hit'), ('Stop tocado', 'sl_hit'),
    ('Cerrar posición', 'close'), ('Mover stop a entrada', 'move_sl'), ('Orden ejecutada', 'other'),
    ('Entrada cancelada', 'cancel'), ('تارگت ۱ تاچ شد', 'tp_hit'), ('استاپ خوردیم', 'sl_hit'),
    ('ریسک فری کنید', 'move_sl'), ('پوزیشن رو ببندید', 'close'), ('TP2 reached 🎯', 'tp_hit'),
    ('Target 3 done ✅', 'tp_hit'), ('SL triggered', 'sl_hit'), ('Stopped out at BE', 'sl_hit'),
    ('Close half now', 'close'), ('Take partial profits here', 'close'), ('Book 50% profit', 'close'),
    ('SL to BE', 'move_sl'), ('Trail stop to 3100', 'move_sl'), ('Entry 2 filled', 'other'),
    ('Order cancelled', 'cancel'),
]


RESULT_POSTS = [
    ('Итоговый профит: +120%', 'other'), ('Все тейки взяты ✅', 'tp_hit'),
    ('Тейк 1 ✅ Тейк 2 ✅ Тейк 3 ✅', 'tp_hit'), ('Цена дошла до 65000, профит +25%', 'other'),
    ('Стоп достигнут', 'sl_hit'), ('Закрыл вручную', 'close'), ('Закрыли в точке входа', 'close'),
    ('Вторая точка входа сработала', 'other'), ('Итог по сделке: +35%', 'other'), ('最终盈利 120%', 'other'),
    ('止盈1 ✅ 止盈2 ✅', 'tp_hit'), ('到达65000，盈利25%', 'other'), ('止损到了', 'sl_hit'), ('手动平仓', 'close'),
    ('保本平仓', 'close'), ('新目标 3300', 'other'), ('第二次补仓已成交', 'other'), ('Toplam kar: %120', 'other'),
    ('Tüm hedefler ✅', 'tp_hit'), ('1. hedef ✅ 2. hedef ✅', 'tp_hit'), ('Stop seviyesine geldi', 'sl_hit'),
    ('Manuel kapattık', 'close'), ('Yeni hedefler: 3300, 3400', 'other'), ('İkinci giriş yapıldı', 'other'),
    ('Lucro final: +120%', 'other'), ('Fechado manualmente', 'close'), ('Novos alvos: 3300, 3400', 'other'),
    ('Segunda entrada executada', 'other'), ('Final profit +120% 🔥', 'other'), ('All targets done ✅', 'tp_hit'),
    ('TP1 ✅ TP2 ✅ TP3 ✅', 'tp_hit'), ('Reached 65000 with +25% profit', 'other'), ('Stop reached', 'sl_hit'),
    ('Closed manually', 'close'), ('Closed at entry', 'close'), ('New targets: 3300, 3400', 'other'),
    ('Second entry opened', 'other'),
]


@pytest.mark.parametrize(("text", "action"), UPDATE_PHRASES + RESULT_POSTS)
def test_update_phrases_channels_use(text: str, action: str) -> None:
    """Management phrases, and results written as updates (final profit, all or a list of targets done, a price
    reached, stop reached, closed manually or at entry, new targets, a second entry), in six languages."""
    result = parse(text)
    assert isinstance(result, SignalUpdate) and result.action.value == action, result


ZH_FUTURES = [
    ("BTC 现价多 止损63000 止盈66000", ("long", (), (66000,), 63000)),
    ("ETH 3200附近空 止损3300 目标3100 3000", ("short", (3200,), (3100, 3000), 3300)),
    ("大饼 现价空 止损65500 看到62000", ("short", (), (62000,), 65500)),
    ("SOL 150-152 多 防守145 目标160/170", ("long", (150, 152), (160, 170), 145)),
    ("以太 3200附近接多，止损3150，止盈3300", ("long", (3200,), (3300,), 3150)),
    ("BTC多单 63500-64000进场，止损62800，止盈65000、66000", ("long", (63500, 64000), (65000, 66000), 62800)),
    ("ETH 短線空單 3350 止損3420 目標3250", ("short", (3350,), (3250,), 3420)),
    ("ETH现价空，止损3300，第一止盈3150，第二止盈3100", ("short", (), (3150, 3100), 3300)),
]


@pytest.mark.parametrize(("text", "fields"), ZH_FUTURES)
def test_chinese_futures_channel_shorthand(text: str, fields: tuple[object, ...]) -> None:
    result = parse(text)
    assert isinstance(result, NewSignal), result
    assert (result.side.value, result.entries, result.take_profits, result.stop_loss) == fields


def test_a_one_character_side_counts_only_standing_alone() -> None:
    assert isinstance(parse("很多人空仓等待 BTC"), Noise)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("Берем SOL в лонг от 145 до 142, стоп 138, цели 150 155", ("long", (145, 142), (150, 155), 138)),
        ("Открываю лонг по ARB 0.82, стоп 0.78", ("long", (0.82,), (), 0.78)),
        ("#ETH VENDA\nEntrada: 3300 a 3320\nAlvos: 3250 / 3200\nStop: 3380",
         ("short", (3300, 3320), (3250, 3200), 3380)),
        ("Long #INJ 25.5 - 25\nTP 27 / 28.5 / 30\nSL 24.2", ("long", (25.5, 25), (27, 28.5, 30), 24.2)),
        ("#SOL LONG 🟢\nGiriş: Piyasa fiyatı\nHedef: 160 - 165\nStop: 148", ("long", (), (160, 165), 148)),
        ("BTC ALIM 64000 STOP 63000 HEDEF 66000", ("long", (64000,), (66000,), 63000)),
    ],
)
def test_range_words_prepositions_and_prices_that_look_like_item_numbers(text: str,
                                                                         fields: tuple[object, ...]) -> None:
    result = parse(text)
    assert isinstance(result, NewSignal), result
    assert (result.side.value, result.entries, result.take_profits, result.stop_loss) == fields
    entries = fields[1]
    assert isinstance(entries, tuple)
    assert result.entry_type.value == ("range" if len(entries) == 2 else "market" if not entries else "limit")


NOT_CALLS = [
    ("BTC - Market Analysis\n\nBitcoin is consolidating between 62,000 and 65,000. A break above 65,000 could "
     "send it to 68,000, while losing 62,000 opens 60,000. #BTC #crypto"),
    '📊 Weekly results: 45 signals, 38 wins, 7 losses. Profit: +320% 🚀 Join VIP: t.me/xxx',
    'ETH to 5000 this year? What do you think?',
    'Bitcoin dominance rising, altcoins bleeding. Be careful with longs here.',
    'Good morning traders ☀️ BTC holding 64k support nicely',
    'If BTC breaks 66000 we go long, target 70000',
    'Fed meeting today, expect volatility. No new trades until then.',
    'New signal coming in 10 minutes, get ready! ⏰',
    '#BTC #ETH #SOL #XRP top movers today',
    'ETH/BTC ratio at 0.052, lowest since 2021',
    'Support at 3000, resistance at 3300 for ETH. Wait for breakout.',
    'Лонг или шорт по биткоину сейчас? Как думаете?',
    'Биткоин сегодня: поддержка 62000, сопротивление 65000. Ждем пробоя.',
    '今天大饼走势分析：支撑62000，压力65000，观望为主',
    'BTC bugün 64000 desteğinde, 66000 direnç. Yorum: yükseliş bekliyoruz',
    'Análise do BTC: suporte em 62000 e resistência em 65000',
    'Result of the month: +85% on all calls ✅✅✅',
    'We closed 12 trades this week, 10 in profit',
    'Binance lists $NEWCOIN at 10:00 UTC, deposits open',
    'Reminder: always use a stop loss! Risk max 2% per trade.',
    'SOL looks bearish below 140, careful',
    'Which exchange do you use for futures? Bybit or Binance?',
    'BTC 64000 🚀🚀🚀',
    '$ETH 3200 📉',
    "Long term I'm bullish on LINK, accumulating below 15",
    'Who else is long BTC from 60k? 🙋',
    'Took profit on my BTC long from 60k, what a ride',
]


@pytest.mark.parametrize("text", NOT_CALLS)
def test_analysis_results_questions_and_chatter_are_never_calls(text: str) -> None:
    result = parse(text)
    assert not isinstance(result, NewSignal), result


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("ETHUSDT.P SHORT\nEntry @ 3250\nTake profit @ 3150\nStop loss @ 3300", ((3250,), (3150,), 3300)),
        ("Long $AVAX @ 35.2, SL 34.1, TP 37 / 39 / 41 (10x)", ((35.2,), (37, 39, 41), 34.1)),
        ("📈 BUY #ZIL/USDT\n\n🔸Buy Zone: 0.0210 - 0.0220\n\n🎯Sell Targets:\n0.0230\n0.0245\n0.0260\n\n"
         "🛑Stop Loss: 0.0199",
         ((0.021, 0.022), (0.023, 0.0245, 0.026), 0.0199)),
        ("TRADE: SHORT $LTC\nEntries: 85.5 / 86.8 / 88.0\nTPs: 83.0, 81.5, 79.0\nSL: 90.2",
         ((85.5, 86.8, 88.0), (83.0, 81.5, 79.0), 90.2)),
    ],
)
def test_a_filler_before_a_labelled_value_stays_in_that_field(text: str, fields: tuple[object, ...]) -> None:
    result = parse(text)
    assert isinstance(result, NewSignal), result
    assert (result.entries, result.take_profits, result.stop_loss) == fields
