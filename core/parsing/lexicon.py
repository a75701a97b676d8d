"""The words providers use, as data: one file per language in `languages/` (adding a language = adding a file).

Each file holds label phrases (entry, targets, stop, leverage, market entry, symbol labels, ignored fields), side
words, opinion and non-crypto markers, coin names and the update phrases (regular expressions on lower-cased
text). This module merges every file into the lookup tables the tokenizer and the rules read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

LANGUAGES_DIR: Final = Path(__file__).with_name("languages")
COLON: Final = ":"  # a phrase element that matches ':' or '='

# Han characters are tokens of their own (Chinese is written without spaces): a label such as 止损 is two tokens
CJK: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Tokens: alphanumeric runs (with decimals and a letter suffix: "10.0x", "1.5k", "tp1"), single Han characters,
# line breaks and the few symbols that matter. Everything else (spaces, emojis, other punctuation) is skipped.
TOKEN: Final = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:[.,]\d+)*[^\W\d_{CJK}]*|\n|[-~:=$#%()./@+✅☑✔_]")
# the same tokens for ASCII text (lower-cased): ASCII classes are cheaper to test than Unicode categories
TOKEN_ASCII: Final = re.compile(r"[a-zA-Z0-9]+(?:[.,][0-9]+)*[a-zA-Z]*|[\n\-~:=$#%()./@+_]", re.ASCII)
NUMBER: Final = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?")
THOUSANDS: Final = re.compile(r"(\d+(?:\.\d+)?)k")
TP_INDEXED: Final = re.compile(r"(?:tp|t)(\d{1,2})")
RANGE_WORDS: Final[set[str]] = {"-", "_", "~"}  # and each language's words: to, до, a, até
CHECKS: Final = frozenset({"✅", "☑", "✔"})

# JSON label key -> the section kind the collector uses
_KINDS: Final = {"ignore_rest": "ign_rest", "ignore": "ign", "entry": "entry", "entry_after": "entry_after",
                 "tp": "tp", "stop": "stop", "leverage": "lev_label", "market": "market"}


def _load() -> list[dict[str, Any]]:
    files = sorted(LANGUAGES_DIR.glob("*.json"), key=lambda p: (p.stem != "en", p.stem))
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase as the tokens the tokenizer makes of it ('stop-loss' -> stop, -, loss; '止损' -> 止, 损)."""
    return tuple(word for word in TOKEN.findall(phrase.lower()) if word != "-")


LANGUAGES: Final = _load()
LANGUAGE_CODES: Final = tuple(lang["language"] for lang in LANGUAGES)

# first word -> [(phrase words, kind)], longest phrase first
PHRASES: Final[dict[str, list[tuple[tuple[str, ...], str]]]] = {}
LONG_WORDS: Final[set[str]] = set()
SHORT_WORDS: Final[set[str]] = set()
SIDE_PREFIXES: Final[dict[str, str]] = {}
ENTERED: Final[set[str]] = set()  # past-tense sides: "longed BTC" is a market entry already taken
HORIZON_WORDS: Final[set[str]] = set()  # "short term": a horizon, not a side
NEGATIONS: Final[set[str]] = set()  # "do not sell": no side
ORDINALS: Final[dict[str, int]] = {}  # "second", "второй", "第二": a target's number in words
TARGET_WORDS: Final[set[str]] = {"t"}  # the single-word target labels (tp, target, тейк, 止盈 ...)
STOP_WORDS: Final[set[str]] = set()  # the single-word stop labels (sl, stop, стоп, 止损, استاپ ...)
LONE_SIDES: Final[dict[str, str]] = {}  # a one-character side (Chinese 多/空) when it stands alone
WEAK_ENTRY_WORDS: Final[set[str]] = {"here"}  # a price right after them is an entry ("at 42000", "от 64200")
SYMBOL_LABELS: Final[list[str]] = []
OPINION: Final[list[str]] = []
NON_CRYPTO: Final[list[str]] = []
COIN_NAMES: Final[dict[str, str]] = {}
LEVERAGE_SUFFIXES: Final[set[str]] = set()
UPDATE_PATTERNS: Final[list[tuple[str, str]]] = []


def _add_phrase(phrase: str, kind: str) -> None:
    words = phrase_words(phrase)
    if words:
        PHRASES.setdefault(words[0], []).append((words, kind))


for _lang in LANGUAGES:
    for _key, _phrases in _lang["labels"].items():
        if _key == "symbol":
            SYMBOL_LABELS.extend(_phrases)
            continue
        for _phrase in _phrases:
            _add_phrase(_phrase, _KINDS[_key])
    for _side, _words in _lang["sides"].items():
        for _word in _words:
            _tokens = phrase_words(_word)
            if len(_tokens) == 1:
                (LONG_WORDS if _side == "long" else SHORT_WORDS).add(_tokens[0])
            else:
                _add_phrase(_word, f"side_{_side}")
    for _side, _phrases in _lang.get("market_sides", {}).items():  # "现价多": at market, long
        for _phrase in _phrases:
            _add_phrase(_phrase, f"market_{_side}")
    for _side, _words in _lang.get("lone_sides", {}).items():
        LONE_SIDES.update(dict.fromkeys(_words, _side))
    for _side, _prefixes in _lang.get("side_prefixes", {}).items():
        SIDE_PREFIXES.update(dict.fromkeys(_prefixes, _side))
    ENTERED.update(_lang.get("entered", ()))
    HORIZON_WORDS.update(_lang.get("horizon", ()))
    NEGATIONS.update(word for phrase in _lang.get("negations", ()) for word in phrase_words(phrase))
    WEAK_ENTRY_WORDS.update(_lang.get("weak_entry", ()))
    ORDINALS.update(_lang.get("ordinals", {}))
    TARGET_WORDS.update(word for word in _lang["labels"].get("tp", ()) if " " not in word and "-" not in word)
    STOP_WORDS.update(word for word in _lang["labels"].get("stop", ()) if " " not in word and "-" not in word)
    RANGE_WORDS.update(_lang.get("range_words", ()))
    OPINION.extend(_lang.get("opinion", ()))
    NON_CRYPTO.extend(_lang.get("non_crypto", ()))
    COIN_NAMES.update(_lang.get("coins", {}))
    LEVERAGE_SUFFIXES.update(_lang.get("leverage_suffixes", ()))
    UPDATE_PATTERNS.extend((action, pattern) for action, pattern in _lang.get("updates", ()))
for _candidates in PHRASES.values():
    _candidates.sort(key=lambda item: -len(item[0]))

_SUFFIX: Final = "".join(sorted(LEVERAGE_SUFFIXES))
LEVERAGE: Final = re.compile(rf"(\d{{1,3}}(?:\.\d+)?)[{_SUFFIX}]|[xх](\d{{1,3}}(?:\.\d+)?)")


_HAN: Final = re.compile(f"[{CJK}]")


def is_han(token: str) -> bool:
    """A Han character (Chinese is tokenized one character at a time)."""
    return len(token) == 1 and _HAN.match(token) is not None


def is_number(word: str) -> bool:
    """NUMBER.fullmatch(word), with the common shapes ('42000', '0.0367') answered without the regex."""
    if word.isdecimal():  # what \d matches
        return True
    head, dot, tail = word.partition(".")
    if dot and "," not in head:
        return head.isdecimal() and tail.isdecimal()
    return NUMBER.fullmatch(word) is not None


# words worth a closer look; every other word only counts as prose
INTERESTING: Final = (frozenset(PHRASES) | LONG_WORDS | SHORT_WORDS | WEAK_ENTRY_WORDS | LEVERAGE_SUFFIXES
                      | frozenset(LONE_SIDES) | RANGE_WORDS)
CLOSER_LOOK_INITIALS: Final = frozenset("xхt" + "".join(prefix[0] for prefix in SIDE_PREFIXES))


def side_of_word(word: str) -> str | None:
    if word in LONG_WORDS:
        return "long"
    if word in SHORT_WORDS:
        return "short"
    for prefix, side in SIDE_PREFIXES.items():
        if word.startswith(prefix):
            return side
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
