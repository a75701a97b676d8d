"""Property tests: the parser is total, and anything it calls a trade is consistent."""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain import NewSignal, Noise, ParseResult, RejectedSignal, SignalUpdate
from core.parsing import ParseContext, parse
from core.parsing.templates import teach
from core.parsing.validate import problem_with
from tests.core.parsing.test_corpus import CORPUS
from tests.core.parsing.test_templates import CORRECTED, ODD

REAL = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _check(result: ParseResult) -> None:
    assert isinstance(result, NewSignal | SignalUpdate | RejectedSignal | Noise)
    if isinstance(result, NewSignal):
        assert problem_with(result) is None
        assert result.symbol.count("/") == 1
    if isinstance(result, RejectedSignal | Noise):
        assert result.reason


@SETTINGS
@given(st.text(max_size=4096))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(parse(text))


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-_:x%$#() \nTPSLlongshortentry/USDTBC✅")),
               max_size=4096))
def test_signal_like_noise_never_raises(text: str) -> None:
    _check(parse(text, ParseContext(default_leverage=5)))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(REAL))
    for _ in range(draw(st.integers(0, 6))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "swap_lines", "flatten"]))
        if op == "delete":
            text = text[:at] + text[at + 1:]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(list("0123456789 -.:\n%x$"))) + text[at:]
        elif op == "replace":
            text = text[:at] + draw(st.characters()) + text[at + 1:]
        elif op == "swap_lines":
            lines = text.split("\n")
            lines.reverse()
            text = "\n".join(lines)
        else:
            text = text.replace("\n", " ")
    return text


@SETTINGS
@given(mutated())
def test_mutated_real_signals_never_raise_and_stay_consistent(text: str) -> None:
    _check(parse(text))


def test_pathological_inputs_return() -> None:
    for text in ("1" * 4096, "-" * 4096, "TP" * 2048, "1." * 2048, "#" * 4096, "x1" * 2048,
                 "entry " * 700, "BTC/USDT long " * 300, "\n" * 4096, "1,000," * 700, "🚀" * 4096):
        _check(parse(text))


# whole words and shapes providers use, so edits can build new (and broken) calls, not only typos
_PIECES = [*"0123456789.,-_:x%$#() \n/|", "✅", "🚀", "\ufe0f", "➊", "–", "\u00a0", "Т", "а", "0", "0.0", "-1",
           "cmp", "market", "now", "long", "short", "buy", "entry", "TP", "TP1", "SL", "stop", "10x", "x0",
           "2026-02-27", "13:00", "27.02.2026", "TP41.31", "www.x.com", "**", "PERP", "#BTC", "$ETH", "@here",
           "Pair: SOL", "LONG on XRP", "Leverage", "SHORTLeverage", "closed", "hit", "cancel", "move SL to entry"]


def test_a_seeded_sweep_of_edited_real_messages_never_raises() -> None:
    """30 seeded edit runs per corpus message (2,340 texts); this sweep found the zero market-price crash."""
    rng = random.Random(11)
    for text in REAL:
        for _ in range(30):
            chars = list(text)
            for _ in range(rng.randint(1, 6)):
                at, op = rng.randint(0, len(chars)), rng.random()
                if op < 0.4:
                    chars.insert(at, rng.choice(_PIECES))
                elif chars and op < 0.7:
                    del chars[min(at, len(chars) - 1)]
                elif chars:
                    chars[min(at, len(chars) - 1)] = rng.choice(_PIECES)
            _check(parse("".join(chars)))


@cache
def _taught() -> dict[str, Any]:
    """One template for every example (taught from the odd format of test_templates)."""
    return teach(ODD, CORRECTED)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-_:x%$ \nBagzoneInvalidationCashoutthenKAS🔔止损多空")),
               max_size=2048))
def test_templates_and_a_market_list_never_make_the_parser_raise_or_trade_an_inconsistent_call(text: str) -> None:
    _check(parse(text, ParseContext(templates=(_taught(),), markets=frozenset({"KAS", "BTC"}))))


@SETTINGS
@given(st.lists(st.floats(min_value=0.0001, max_value=100000, allow_nan=False), min_size=4, max_size=4).map(sorted),
       st.booleans())
def test_a_taught_format_reads_back_any_consistent_levels(levels: list[float], long: bool) -> None:
    """Teach once, then any later message in that shape with consistent levels reads back exactly."""
    low, a, b, high = (round(v, 6) for v in levels)
    if not low < a < b < high:
        return
    stop, entry, target1, target2 = (low, a, b, high) if long else (high, b, a, low)
    text = (f"🔔 KAS quick trade\nBag zone {entry} / {entry}\nInvalidation {stop}\nCashout {target1} then "
            f"{target2}\nMultiplier 5")
    result = parse(text, ParseContext(templates=(_taught(),)))
    if isinstance(result, NewSignal):
        assert (result.entries, result.take_profits, result.stop_loss) == ((entry, entry), (target1, target2), stop)
        assert result.side.value == ("long" if long else "short")
    else:
        assert isinstance(result, RejectedSignal | Noise)  # a level more than 10x away from the entry: never traded
