"""Optional tags a call may carry: timeframe, horizon, confidence, risk level, break-even instruction.

Read with one regex over the normalised text, only for messages that are already calls. Values are kept as
short strings in `NewSignal.extras` ("confidence" is a number 0-100 as text, so the risk filter can read it).
"""

from __future__ import annotations

import re

_TAGS = re.compile(
    r"(?P<tf>\b(?:time ?frame|tf|chart)\s*[:=-]?\s*(?P<tfv>\d{1,2} ?(?:m|min|h|hr|d|w))\b"
    r"|⏱\s*(?P<tfw>\d{1,2} ?(?:m|min|h|hr|d|w))\b)"
    r"|(?P<term>\b(?:short|mid|long)[ -]term\b)"
    r"|(?P<conf>\b(?:confidence|accuracy|probability)\s*(?:level)?\s*[:=-]?\s*"
    r"(?:(?P<pct>\d{1,3}(?:[.,]\d+)?) ?%|(?P<n10>\d{1,2}) ?/ ?10\b|(?P<word>high|medium|low)\b))"
    r"|(?P<risk>\brisk(?: level| of the (?:signal|trade))?\s*[:=-]?\s*(?P<rv>\d{1,2} ?/ ?10|high|medium|low)\b"
    r"|\b(?P<rw>high|medium|low)[ -]risk\b|\b(?P<risky>risky)\b)"
    r"|(?P<be>\b(?:move|set|put)\s+(?:the\s+)?(?:sl|stop(?:[ -]loss)?)\s+(?:to\s+)?(?:entry|be|break[ -]?even)"
    r"(?:\s+after\s+(?:tp|target)\s*\d)?)",
    re.IGNORECASE,
)
_WORD_CONFIDENCE = {"high": "80", "medium": "60", "low": "40"}


def _number(text: str) -> str:
    return f"{float(text.replace(',', '.')):g}"


def read_extras(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _TAGS.finditer(text):
        groups = match.groupdict()
        if groups["tf"] and "timeframe" not in found:
            found["timeframe"] = (groups["tfv"] or groups["tfw"] or "").replace(" ", "").lower()
        elif groups["term"] and "horizon" not in found:
            found["horizon"] = groups["term"].lower().replace(" ", "-")
        elif groups["conf"] and "confidence" not in found:
            if groups["pct"]:
                value = min(float(_number(groups["pct"])), 100.0)
                found["confidence"] = f"{value:g}"
            elif groups["n10"]:
                found["confidence"] = f"{min(int(groups['n10']), 10) * 10}"
            else:
                found["confidence"] = _WORD_CONFIDENCE[groups["word"].lower()]
        elif groups["risk"] and "risk" not in found:
            raw = groups["rv"] or groups["rw"] or ("high" if groups["risky"] else "")
            found["risk"] = raw.replace(" ", "").lower()
        elif groups["be"] and "break_even" not in found:
            found["break_even"] = " ".join(groups["be"].lower().split())
    return found
