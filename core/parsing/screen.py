"""What is never a trade: opinions and analysis, questions, and markets that are not crypto."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from core.parsing.lexicon import NON_CRYPTO, OPINION

_ASCII_WORD: Final = re.compile(r"[a-z0-9&']+")


class PhraseSet:
    """Finds any of a list of phrases in lower-cased text: a set lookup for single ASCII words (whole words only),
    a substring test for the rest (Cyrillic, Han, Arabic words match inside their inflected forms)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        unique = {phrase.strip().lower() for phrase in phrases if phrase.strip()}
        self.words = frozenset(p for p in unique if p.isascii() and _ASCII_WORD.fullmatch(p))
        self.others = tuple(sorted(unique - self.words, key=len, reverse=True))
        bounded = [re.escape(p) for p in self.others if p.isascii()]
        self._bounded = re.compile(rf"(?<![a-z0-9])(?:{'|'.join(bounded)})(?![a-z0-9])") if bounded else None

    def find(self, lower: str, words: frozenset[str] | None = None) -> str | None:
        present = (words if words is not None else frozenset(_ASCII_WORD.findall(lower))) & self.words
        if present:
            return min(present, key=lower.find)
        for phrase in self.others:
            if phrase in lower and (not phrase.isascii() or self._bounded is None or self._bounded.search(lower)):
                return phrase
        return None


def ascii_words(lower: str) -> frozenset[str]:
    return frozenset(_ASCII_WORD.findall(lower))


_OPINION: Final = PhraseSet([*OPINION, "if"])
_NON_CRYPTO: Final = PhraseSet(NON_CRYPTO)


def opinion_word(lower: str, words: frozenset[str] | None = None) -> str | None:
    """An opinion or analysis word in lower-cased text (bullish, support, analysis, if ...)."""
    return _OPINION.find(lower, words)


def non_crypto_word(lower: str, words: frozenset[str] | None = None) -> str | None:
    """A word that marks stocks, options, forex or gold (calls, puts, 0dte, forex ...)."""
    return _NON_CRYPTO.find(lower, words)


def is_question(text: str) -> bool:
    """The message ends with a question (a subscriber asking, not a provider instructing)."""
    return text.rstrip().endswith(("?", "？", "؟"))
