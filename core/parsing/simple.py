"""A first parser for the plain `PAIR SIDE entry .. TP .. SL ..` shape. The full parser replaces it."""

from __future__ import annotations

import re

from core.domain import EntryType, NewSignal, Noise, ParseResult, Side
from core.parsing.context import ParseContext
from core.parsing.validate import problem_with

_NUM = r"(\d+(?:\.\d+)?)"
_PAIR = re.compile(r"\b([A-Z0-9]{2,12})\s*/?\s*(USDT|USDC|BUSD|USD|BTC|ETH)\b")
_SIDE = re.compile(r"\b(long|short|buy|sell)\b", re.IGNORECASE)
_ENTRY = re.compile(r"\bentry\b[^\d]{0,20}" + _NUM + r"(?:\s*[-–]\s*" + _NUM + r")?", re.IGNORECASE)
_TP = re.compile(r"\b(?:tp\d?|target\s*\d?)\b[^\d]{0,5}" + _NUM, re.IGNORECASE)
_SL = re.compile(r"\b(?:sl|stop(?:[\s-]?loss)?)\b[^\d]{0,5}" + _NUM, re.IGNORECASE)
_LEV = re.compile(r"\b(\d{1,3})\s*x\b", re.IGNORECASE)


def parse(text: str, context: ParseContext | None = None) -> ParseResult:
    context = context or ParseContext()
    pair = _PAIR.search(text.upper())
    side = _SIDE.search(text)
    entry = _ENTRY.search(text)
    if not pair or not side:
        return Noise("no trading pair and side found")
    symbol = f"{pair.group(1)}/{pair.group(2)}"
    direction = Side.LONG if side.group(1).lower() in {"long", "buy"} else Side.SHORT
    if entry is None:
        return Noise("no entry price found")
    entries = tuple(float(g) for g in entry.groups() if g is not None)
    stop = _SL.search(text)
    lev = _LEV.search(text)
    signal = NewSignal(
        symbol=symbol,
        side=direction,
        entry_type=EntryType.RANGE if len(entries) == 2 else EntryType.LIMIT,
        entries=entries,
        take_profits=tuple(float(m.group(1)) for m in _TP.finditer(text)),
        stop_loss=float(stop.group(1)) if stop else None,
        leverage=float(lev.group(1)) if lev else context.default_leverage,
    )
    problem = problem_with(signal)
    return Noise(f"not a valid trade: {problem}") if problem else signal
