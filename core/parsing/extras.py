"""Optional tags a call may carry: timeframe, horizon, confidence, risk level, break-even instruction.

Read only for messages that are already calls. Each tag has trigger words checked with a plain substring
test first, so a message without them costs a few `in` checks, not a regex scan. Values are kept as short
strings in `NewSignal.extras` ("confidence" is a number 0-100 as text, so the risk filter can read it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

_SPAN: Final = r"\d{1,2} ?(?:m|min|h|hr|d|w)\b"
_TIMEFRAME: Final = re.compile(rf"\b(?:time ?frame|tf|chart)\s*[:=-]?\s*({_SPAN})|⏱\s*({_SPAN})")
_HORIZON: Final = re.compile(r"\b(short|mid|long)[ -]term\b")
_CONFIDENCE: Final = re.compile(r"\b(?:confidence|accuracy|probability)\s*(?:level)?\s*[:=-]?\s*"
                         r"(?:(\d{1,3}(?:[.,]\d+)?) ?%|(\d{1,2}) ?/ ?10\b|(high|medium|low)\b)")
_RISK: Final = re.compile(r"\brisk(?: level| of the (?:signal|trade))?\s*[:=-]?\s*(\d{1,2} ?/ ?10|high|medium|low)\b"
                   r"|\b(high|medium|low)[ -]risk\b|\b(risky)\b")
_BREAK_EVEN: Final = re.compile(r"\b(?:move|set|put)\s+(?:the\s+)?(?:sl|stop(?:[ -]loss)?)\s+(?:to\s+)?"
                         r"(?:entry|be|break[ -]?even)(?:\s+after\s+(?:tp|target)\s*\d)?")
_WORD_CONFIDENCE: Final = {"high": "80", "medium": "60", "low": "40"}


def _timeframe(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)).replace(" ", "")


def _confidence(match: re.Match[str]) -> str:
    pct, tenths, word = match.groups()
    if pct:
        return f"{min(float(pct.replace(',', '.')), 100.0):g}"
    if tenths:
        return str(min(int(tenths), 10) * 10)
    return _WORD_CONFIDENCE[word]


def _risk(match: re.Match[str]) -> str:
    value, word, risky = match.groups()
    return (value or word or ("high" if risky else "")).replace(" ", "")


_TAGS: Final[tuple[tuple[str, tuple[str, ...], re.Pattern[str], Callable[[re.Match[str]], str]], ...]] = (
    ("timeframe", ("frame", "tf", "chart", "⏱"), _TIMEFRAME, _timeframe),
    ("horizon", ("term",), _HORIZON, lambda m: m.group(1) + "-term"),
    ("confidence", ("confiden", "accura", "probab"), _CONFIDENCE, _confidence),
    ("risk", ("risk",), _RISK, _risk),
    ("break_even", ("move", "set", "put"), _BREAK_EVEN, lambda m: " ".join(m.group(0).split())),
)


def read_extras(lower: str) -> dict[str, str]:
    """The tags in lower-cased text."""
    found: dict[str, str] = {}
    for name, triggers, pattern, value in _TAGS:
        if any(t in lower for t in triggers):
            match = pattern.search(lower)
            if match is not None:
                found[name] = value(match)
    return found
