"""Find the traded pair in a message and normalise it to BASE/QUOTE.

Structure first (a pair with its quote, a #/$ tag, a "coin:"/"pair:" label, a ticker next to a side word), then
the market list (`markets`, a set of base assets) to accept a bare ticker and to refuse words that are no market.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from core.parsing.lexicon import CJK, COIN_NAMES, LONG_WORDS, SHORT_WORDS, SYMBOL_LABELS
from core.parsing.screen import PhraseSet, ascii_words

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
    "STRONGSIGNAL", "SENTIMENT", "INFO", "NEWS", "HANDMADE", "SESSION", "ANALYSIS", "MARKET", "IDEA", "RESULT",
    "MACD", "RSI", "EMA", "SMA", "ATL", "ROI", "PNL", "FOMO", "HODL", "DYOR", "NFA", "UTC",
})
# words of the call itself: never a base, even written with a quote
CALL_WORDS: Final = frozenset({"LONG", "SHORT", "BUY", "SELL", "SIGNAL", "SIGNALS", "VIP", "ENTRY", "TARGET", "TARGETS",
                               "TP", "SL", "STOP", "LEVERAGE", "PAIR", "COIN", "FREE", "NEW", "USDT", "USD", "USDC"})
# words that are also tickers: taken only in a pair form, as a #/$ tag or after a label, never as a bare word
COMMON_WORDS: Final = frozenset({
    "ATH", "TA", "FA", "GMT", "EST", "AM", "PM", "OK", "ALL", "ONE", "NOT", "ME", "ID", "IN", "ON", "AT", "IT", "IS",
    "BE", "TO", "DO", "GO", "A", "B", "D", "G", "H", "S", "T", "W", "X",
    "NO", "SO", "UP", "WE", "US", "OR", "AN", "AS", "BY", "IF", "OF", "MY", "HOME", "LIGHT", "SIGN", "TOKEN", "PUMP",
    "SAFE", "SUPER", "SUN", "RED", "HIGH", "HOT", "MOVE", "PEOPLE", "TIME", "WIN", "REAL", "TRUE", "GAS",
    "DATA", "MAGIC", "RARE", "EPIC", "BAR", "BAN", "DOG", "FUN", "FARM", "HOOK", "MASK", "SHELL", "ACT", "COW",
})
# not crypto: commodities and indices (forex pairs are two fiat currencies)
COMMODITIES: Final = frozenset({"XAU", "XAG", "GOLD", "SILVER", "OIL", "WTI", "BRENT", "USOIL", "UKOIL", "NAS100",
                                "US30", "US100", "US500", "SPX500", "DJI", "DAX", "GER40", "UK100", "JP225", "NGAS"})
FIAT: Final = frozenset({"USD", "EUR", "GBP", "JPY", "CHF", "AUD", "CAD", "NZD", "CNH", "SGD", "HKD", "TRY", "ZAR",
                         "MXN", "SEK", "NOK", "PLN"})
_FOREX: Final = re.compile(rf"(?<![A-Z])({'|'.join(FIAT)})/?({'|'.join(FIAT)})(?![A-Z])")

_SEPARATED: Final = re.compile(rf"(?<![A-Za-z0-9])([A-Za-z0-9]{{1,15}})\s*[/|]\s*({_QUOTE_ALT})(?![A-Za-z0-9])",
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
_LABEL_ALT: Final = "|".join(re.escape(word) for word in sorted(SYMBOL_LABELS, key=len, reverse=True))
_LABELLED: Final = re.compile(rf"(?:{_LABEL_ALT})\s*[:=\-]*\s*[#$]?([A-Za-z0-9]{{2,15}})\b", re.IGNORECASE)
_SIDE_WORDS: Final = frozenset({"long", "short", "buy", "sell"})
# a bare word: tickers are ASCII letters and digits; Han characters stand alone so "ETH，2605附近" splits
_WORD: Final = re.compile(rf"[A-Za-z0-9]+|[{CJK}]|[^\W\d_]+")
BESIDE: Final = 3  # a lower-case bare ticker counts only this close to a side word ("took sol scalp long")
_SATOSHI: Final = re.compile(r"\b(?:sats?|satoshis?)\b", re.IGNORECASE)


def _load_markets() -> frozenset[str]:
    path = Path(__file__).with_name("base_assets.txt")
    words = (word for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
             for word in line.split())
    return frozenset(words)


BUNDLED_MARKETS: Final = _load_markets()
_COIN_NAMES: Final = PhraseSet(COIN_NAMES)


def _base_ok(base: str) -> bool:
    return not base.isdigit() and base.upper() not in NOT_TICKERS


def _pair_base_ok(base: str) -> bool:
    """A base written with its quote ("MACD/USDT", "CROSSUSDT") is a market unless it is a call's own word."""
    return not base.isdigit() and base.upper() not in CALL_WORDS


def _bare_ok(word: str) -> bool:
    return _base_ok(word) and word.upper() not in COMMON_WORDS


def _pair(base: str, quote: str | None, default_quote: str) -> str:
    base = base.upper()
    if base in ALIASES:
        base, alias_quote = ALIASES[base]
        quote = quote if quote and quote.upper() != "USDT" else alias_quote or quote
    return f"{base}/{(quote or default_quote).upper()}"


def _first_pair(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return next((match for match in pattern.finditer(text) if _pair_base_ok(match.group(1))), None)


def _separated(text: str) -> re.Match[str] | None:
    """The first "BASE/QUOTE" or "BASE | QUOTE": matched only around each '/' and '|' (a scan of the whole text
    tries the pattern at every letter)."""
    best: re.Match[str] | None = None
    for mark in ("/", "|"):
        at = text.find(mark)
        while at != -1 and (best is None or at < best.end()):
            start = max(0, at - 18)  # a base of 15 and spaces
            for match in _SEPARATED.finditer(text, start, at + 12):
                if match.start() <= at < match.end() and _pair_base_ok(match.group(1)):
                    if best is None or match.start() < best.start():
                        best = match
                    break
            at = text.find(mark, at + 1)
    return best


def _structural(text: str, default_quote: str, markets: frozenset[str]) -> str | None:
    """A pair written with its quote, a -PERP contract, a #/$ tag or a labelled ticker."""
    separated = _separated(text)
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
        known = tag.upper() in markets or tag.upper() in ALIASES
        if ((known and _pair_base_ok(tag)) or (tag.isupper() and _base_ok(tag))) and len(tag) <= 10:
            return _pair(tag, None, default_quote)
    labelled = _labelled(text)
    if labelled and (labelled.group(1).isupper() or labelled.group(1).upper() in markets) \
            and _base_ok(labelled.group(1)):
        return _pair(labelled.group(1), None, default_quote)
    return None


def _labelled(text: str) -> re.Match[str] | None:
    """The first "coin: X" / "pair - X" in the text: the label words are found with str.find, and the pattern
    is matched only where one starts (a scan of the whole alternation costs more than the message)."""
    lower = text.lower()
    if len(lower) != len(text):  # a rare letter changed length when lower-cased: offsets differ
        return _LABELLED.search(text)
    best: re.Match[str] | None = None
    for word in SYMBOL_LABELS:
        start = lower.find(word)
        while start != -1 and (best is None or start < best.start()):
            if start == 0 or not lower[start - 1].isalpha():
                match = _LABELLED.match(text, start)
                if match is not None:
                    best = match
                    break
            start = lower.find(word, start + 1)
    return best


def _bare(text: str, default_quote: str, markets: frozenset[str]) -> str | None:
    """A coin's name, a ticker beside a side word, or the first upper-case word that is a market."""
    lower = text.lower()
    words_set = ascii_words(lower)
    named = _COIN_NAMES.find(lower, words_set)
    if named is not None:
        return _pair(COIN_NAMES[named], None, default_quote)
    if not words_set.isdisjoint(_SIDE_WORDS):
        for beside in _BESIDE_SIDE.finditer(text):
            ticker = beside.group(1) or beside.group(2)
            if _bare_ok(ticker) and ticker.upper() in markets:
                return _pair(ticker, None, default_quote)
    words = _WORD.findall(text)
    sides: list[int] | None = None
    for n, word in enumerate(words):
        if not word.isascii() or word.upper() not in markets or not _bare_ok(word):
            continue
        if word.isupper() and len(word) >= 2:
            return _pair(word, None, default_quote)
        if sides is None:  # only for a lower-case candidate: where the side words stand
            sides = [k for k, w in enumerate(words) if w.lower() in LONG_WORDS or w.lower() in SHORT_WORDS]
        if any(abs(n - s) <= BESIDE for s in sides):
            return _pair(word, None, default_quote)
    return None


def satoshi_prices(text: str) -> bool:
    """Prices written in satoshis ('sats', 'satoshi'): the quote is BTC."""
    return _SATOSHI.search(text) is not None


def find_symbol(text: str, default_quote: str = "USDT", markets: frozenset[str] | None = None) -> str | None:
    """The traded pair; the quote is the one written, else `default_quote`."""
    known = BUNDLED_MARKETS if markets is None else markets
    return _structural(text, default_quote, known) or _bare(text, default_quote, known)


def not_crypto(symbol: str) -> str | None:
    """Why a pair is no crypto market (a forex pair, a commodity, an index), or None."""
    base, _, quote = symbol.partition("/")
    if base in COMMODITIES:
        return f"{base} is a commodity or index, not a crypto market"
    if base in FIAT and quote in FIAT:
        return f"{base}/{quote} is a forex pair, not a crypto market"
    match = _FOREX.fullmatch(base)
    if match is not None:
        return f"{match.group(1)}/{match.group(2)} is a forex pair, not a crypto market"
    return None


def foreign_ticker(text: str) -> str | None:
    """Why a message with no crypto pair names another market (gold, an index, a forex pair), or None."""
    for word in _WORD.findall(text):
        upper = word.upper()
        if upper in COMMODITIES or (len(upper) == 6 and _FOREX.fullmatch(upper)):
            return not_crypto(upper if upper in COMMODITIES else f"{upper[:3]}/{upper[3:]}")
    return None
