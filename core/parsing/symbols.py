"""Find the traded pair in a message and normalise it to BASE/QUOTE."""

from __future__ import annotations

import re

QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USD", "BTC", "ETH", "BNB", "EUR")
_QUOTE_ALT = "|".join(QUOTES)
# tickers that mean another base and quote by convention (BitMEX's XBT is bitcoin against USD)
ALIASES: dict[str, tuple[str, str | None]] = {"XBT": ("BTC", "USD")}
# words that look like tickers but never are
NOT_TICKERS = frozenset({
    "LONG", "SHORT", "BUY", "SELL", "SIGNAL", "SIGNALS", "VIP", "ENTRY", "TARGET", "TARGETS", "TP", "SL", "STOP",
    "LEVERAGE", "CROSS", "ISOLATED", "SPOT", "FUTURES", "PERP", "BINANCE", "BYBIT", "OKX", "MEXC", "BINGX", "KUCOIN",
    "BITGET", "GATE", "HTX", "FREE", "NEW", "PAIR", "COIN", "UPDATE", "ALERT", "CALL", "PUT", "TRADE", "USDT", "USD",
    "USDC", "PROFIT", "RISK", "CMP", "DCA", "OTE", "AND", "THE", "FOR", "NOW", "SCALP", "SWING", "MID", "TERM",
    "STRONGSIGNAL", "SENTIMENT", "INFO", "NEWS",
})

_SEPARATED = re.compile(rf"(?<![A-Za-z0-9])([A-Za-z0-9]{{2,15}})\s*[/|]\s*({_QUOTE_ALT})(?![A-Za-z0-9])", re.IGNORECASE)
_GLUED = re.compile(rf"(?<![A-Za-z0-9])([A-Z0-9]{{2,15}}?)({_QUOTE_ALT})(?:[-_.]?PERP|\.P|-SWAP|M)?(?![A-Za-z0-9])")
_DASH_PERP = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{2,15})-PERP(?![A-Za-z0-9])")
_TAGGED = re.compile(r"(?<![\w#$])[#$]([A-Za-z][A-Za-z0-9]{1,14})(?![A-Za-z0-9])")
# a bare upper-case ticker right next to a side word: "BTC short now", "LONG on ETH", "XRP LONG"
_BESIDE_SIDE = re.compile(
    r"(?<![\w#$/])([A-Z][A-Z0-9]{1,9})\s+(?i:long|short|buy|sell)\b"
    r"|\b(?i:long|short|buy|sell)\s+(?:(?i:on|in)\s+)?([A-Z][A-Z0-9]{1,9})(?![\w/])"
)
_LABELLED = re.compile(
    r"(?:pair|coin|symbol|name|ticker|instrument|инструмент|тикер|монета)\s*[:=\-]?\s*[#$]?([A-Za-z0-9]{2,15})\b",
    re.IGNORECASE,
)


def _base_ok(base: str) -> bool:
    return not base.isdigit() and base.upper() not in NOT_TICKERS


def _pair(base: str, quote: str | None, default_quote: str) -> str:
    base = base.upper()
    if base in ALIASES:
        base, alias_quote = ALIASES[base]
        quote = quote if quote and quote.upper() != "USDT" else alias_quote or quote
    return f"{base}/{(quote or default_quote).upper()}"


def find_symbol(text: str, default_quote: str = "USDT") -> str | None:
    """The first pair written with its quote; else a #tag/$tag or labelled ticker with the default quote."""
    best: tuple[int, str] | None = None
    for pattern in (_SEPARATED, _GLUED):
        for match in pattern.finditer(text):
            if _base_ok(match.group(1)):
                if best is None or match.start() < best[0]:
                    best = (match.start(), _pair(match.group(1), match.group(2), default_quote))
                break
    if best is not None:
        return best[1]
    perp = _DASH_PERP.search(text)
    if perp and _base_ok(perp.group(1)):
        return _pair(perp.group(1), None, default_quote)
    for match in _TAGGED.finditer(text):
        tag = match.group(1)
        if (tag.isupper() or tag.upper() in ALIASES) and _base_ok(tag) and len(tag) <= 10:
            return _pair(tag, None, default_quote)
    labelled = _LABELLED.search(text)
    if labelled and labelled.group(1).isupper() and _base_ok(labelled.group(1)):
        return _pair(labelled.group(1), None, default_quote)
    for beside in _BESIDE_SIDE.finditer(text):
        ticker = beside.group(1) or beside.group(2)
        if _base_ok(ticker):
            return _pair(ticker, None, default_quote)
    return None
