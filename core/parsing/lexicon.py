"""The words providers use, as data: label phrases, side words, market-entry words, number shapes."""

from __future__ import annotations

import re
from typing import Final

COLON: Final = ":"  # a phrase element that matches ':' or '='

_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "ign_rest": ("trailing configuration", "use trailing", "trailing stop", "confluences", "confluence",
                 "published by", "this message cannot", "manage your risk", "copy signals"),
    "ign": ("average entry price", "avg entry price", "avg entry", "expected profit", "last price", "wallet size",
            "risk of the signal", "risk level", "signal id", "of your deposit", "profit :", "loss :", "price :",
            "dca", "ote", "period", "ticker", "timeframe", "таймфрейм", "время", "ставка", "volume", "rsi",
            "strategy", "exchange", "exchanges", "client", "risk"),
    "entry": ("entry zone", "entry targets", "entry target", "entry price", "entry point", "entry range",
              "entry area", "entries", "entry", "buy zone", "buy around", "buy range", "buy between", "sell zone",
              "sell around", "get in", "enter at", "enter around", "enter between", "between", "точка входа", "вход"),
    "tp": ("take profit targets", "take profit target", "take profits", "take profit", "selling targets",
           "exit targets", "targets", "target", "close the order at the price", "tp", "exit", "тейки", "тейк",
           "цели", "цель"),
    "stop": ("stop targets", "stop target", "stop loss", "stoploss", "stop", "sl", "стоп лосс", "стоп"),
    "lev_label": ("leverage", "lev", "плечо"),
    "market": ("market price", "market", "cmp", "current market price", "current price", "now", "по рынку",
               "открывать", "открыть"),
}

# first word -> [(phrase words, kind)], longest phrase first
PHRASES: Final[dict[str, list[tuple[tuple[str, ...], str]]]] = {}
for _kind, _phrases in _PHRASES.items():
    for _phrase in _phrases:
        _words = tuple(_phrase.split())
        PHRASES.setdefault(_words[0], []).append((_words, _kind))
for _candidates in PHRASES.values():
    _candidates.sort(key=lambda item: -len(item[0]))

LONG_WORDS: Final = frozenset({"long", "longs", "buy", "buying", "покупка", "bullish"})
SHORT_WORDS: Final = frozenset({"short", "shorts", "sell", "selling", "продажа", "bearish", "bearsish"})
RU_LONG, RU_SHORT = "лонг", "шорт"
WEAK_ENTRY_WORDS: Final = frozenset({"at", "here", "from", "@"})
RANGE_WORDS: Final = frozenset({"-", "_", "~", "to"})
CHECKS: Final = frozenset({"✅", "☑", "✔"})

# Tokens: alphanumeric runs (with decimals and a letter suffix: "10.0x", "1.5k", "tp1"), line breaks and the
# few symbols that matter. Everything else (spaces, emojis, other punctuation) is skipped by findall.
TOKEN: Final = re.compile(r"[^\W_]+(?:[.,]\d+)*[^\W\d_]*|\n|[-~:=$#%()./@+✅☑✔_]")
# the same tokens for ASCII text (lower-cased): ASCII classes are cheaper to test than Unicode categories
TOKEN_ASCII: Final = re.compile(r"[a-zA-Z0-9]+(?:[.,][0-9]+)*[a-zA-Z]*|[\n\-~:=$#%()./@+_]", re.ASCII)
NUMBER: Final = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?")
LEVERAGE: Final = re.compile(r"(\d{1,3}(?:\.\d+)?)[xх]|[xх](\d{1,3}(?:\.\d+)?)")
THOUSANDS: Final = re.compile(r"(\d+(?:\.\d+)?)k")
TP_INDEXED: Final = re.compile(r"tp(\d{1,2})")


def is_letter(char: str) -> bool:
    """char.isalpha(), with ASCII answered by its code (a method call costs more in the compiled parser)."""
    code = ord(char)
    if code < 128:
        return 97 <= code <= 122 or 65 <= code <= 90
    return char.isalpha()


def is_number(word: str) -> bool:
    """NUMBER.fullmatch(word), with the common shapes ('42000', '0.0367') answered without the regex."""
    if word.isdecimal():  # what \d matches
        return True
    head, dot, tail = word.partition(".")
    if dot and "," not in head:
        return head.isdecimal() and tail.isdecimal()
    return NUMBER.fullmatch(word) is not None


# words worth a closer look; every other word only counts as prose
INTERESTING: Final = frozenset(PHRASES) | LONG_WORDS | SHORT_WORDS | WEAK_ENTRY_WORDS | {"to"}
CLOSER_LOOK_INITIALS: Final = frozenset("xхtлш")


def side_of_word(word: str) -> str | None:
    if word in LONG_WORDS or word.startswith(RU_LONG):
        return "long"
    if word in SHORT_WORDS or word.startswith(RU_SHORT):
        return "short"
    return None


def to_number(raw: str) -> float:
    """'27,400' -> 27400; '0,5' -> 0.5; '2,201.43' -> 2201.43."""
    if "," in raw:
        head, _, tail = raw.partition(",")
        if "." in tail or "," in tail or (len(tail) == 3 and head != "0"):
            raw = raw.replace(",", "")
        else:
            raw = head + "." + tail
    return float(raw)
