"""Find the traded pair in a message and normalise it to BASE/QUOTE."""

from __future__ import annotations

import re
from typing import Final

QUOTES: Final = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USD", "BTC", "ETH", "BNB", "EUR")
_QUOTE_ALT: Final = "|".join(QUOTES)
# tickers that mean another base and quote by convention (BitMEX's XBT is bitcoin against USD)
ALIASES: Final[dict[str, tuple[str, str | None]]] = {"XBT": ("BTC", "USD")}
# words that look like tickers but never are
NOT_TICKERS: Final = frozenset({
    "LONG", "SHORT", "BUY", "SELL", "SIGNAL", "SIGNALS", "VIP", "ENTRY", "TARGET", "TARGETS", "TP", "SL", "STOP",
    "LEVERAGE", "CROSS", "ISOLATED", "SPOT", "FUTURES", "PERP", "BINANCE", "BYBIT", "OKX", "MEXC", "BINGX", "KUCOIN",
    "BITGET", "GATE", "HTX", "FREE", "NEW", "PAIR", "COIN", "UPDATE", "ALERT", "CALL", "PUT", "TRADE", "USDT", "USD",
    "USDC", "PROFIT", "RISK", "CMP", "DCA", "OTE", "AND", "THE", "FOR", "NOW", "SCALP", "SWING", "MID", "TERM",
    "STRONGSIGNAL", "SENTIMENT", "INFO", "NEWS",
})

_SEPARATED: Final = re.compile(rf"(?<![A-Za-z0-9])([A-Za-z0-9]{{2,15}})\s*[/|]\s*({_QUOTE_ALT})(?![A-Za-z0-9])",
                               re.IGNORECASE)
# the base's first character comes before the look-behind, so the scan jumps between candidate characters
_GLUED: Final = re.compile(
    rf"([A-Z0-9](?<![A-Za-z0-9][A-Z0-9])[A-Z0-9]{{1,14}}?)({_QUOTE_ALT})(?:[-_.]?PERP|\.P|-SWAP|M)?(?![A-Za-z0-9])")
_GLUED_REACH: Final = 32  # base 15 + quote 5 + suffix 5 + the look-ahead, with room to spare
_DASH_PERP: Final = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{2,15})-PERP(?![A-Za-z0-9])")
_TAGGED: Final = re.compile(r"(?<![\w#$])[#$]([A-Za-z][A-Za-z0-9]{1,14})(?![A-Za-z0-9])")
# a bare upper-case ticker right next to a side word: "BTC short now", "LONG on ETH", "XRP LONG"
_BESIDE_SIDE: Final = re.compile(
    r"(?<![\w#$/])([A-Z][A-Z0-9]{1,9})\s+(?i:long|short|buy|sell)\b"
    r"|\b(?i:long|short|buy|sell)\s+(?:(?i:on|in)\s+)?([A-Z][A-Z0-9]{1,9})(?![\w/])"
)
_LABEL_WORDS: Final = ("pair", "coin", "symbol", "name", "ticker", "instrument", "инструмент", "тикер", "монета")
_LABELLED: Final = re.compile(
    rf"(?:{'|'.join(_LABEL_WORDS)})\s*[:=\-]?\s*[#$]?([A-Za-z0-9]{{2,15}})\b",
    re.IGNORECASE,
)
_SIDE_WORDS: Final = ("long", "short", "buy", "sell")


def _base_ok(base: str) -> bool:
    return not base.isdigit() and base.upper() not in NOT_TICKERS


def _pair(base: str, quote: str | None, default_quote: str) -> str:
    base = base.upper()
    if base in ALIASES:
        base, alias_quote = ALIASES[base]
        quote = quote if quote and quote.upper() != "USDT" else alias_quote or quote
    return f"{base}/{(quote or default_quote).upper()}"


def _first_pair(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return next((match for match in pattern.finditer(text) if _base_ok(match.group(1))), None)


def find_symbol(text: str, default_quote: str = "USDT") -> str | None:
    """The first pair written with its quote; else a #tag/$tag or labelled ticker with the default quote."""
    separated = _first_pair(_SEPARATED, text) if "/" in text or "|" in text else None
    # a glued pair wins only if it starts first, and a match reads at most _GLUED_REACH characters from its start
    glued = _first_pair(_GLUED, text if separated is None else text[:separated.start() + _GLUED_REACH])
    if glued is not None and (separated is None or glued.start() < separated.start()):
        return _pair(glued.group(1), glued.group(2), default_quote)
    if separated is not None:
        return _pair(separated.group(1), separated.group(2), default_quote)
    perp = _DASH_PERP.search(text) if "-PERP" in text else None
    if perp and _base_ok(perp.group(1)):
        return _pair(perp.group(1), None, default_quote)
    for match in _TAGGED.finditer(text) if "#" in text or "$" in text else ():
        tag = match.group(1)
        if (tag.isupper() or tag.upper() in ALIASES) and _base_ok(tag) and len(tag) <= 10:
            return _pair(tag, None, default_quote)
    lower = text.lower()  # the last two patterns scan slowly: run them only when their words are there
    labelled = _LABELLED.search(text) if any(word in lower for word in _LABEL_WORDS) else None
    if labelled and labelled.group(1).isupper() and _base_ok(labelled.group(1)):
        return _pair(labelled.group(1), None, default_quote)
    if not any(word in lower for word in _SIDE_WORDS):
        return None
    for beside in _BESIDE_SIDE.finditer(text):
        ticker = beside.group(1) or beside.group(2)
        if _base_ok(ticker):
            return _pair(ticker, None, default_quote)
    return None
