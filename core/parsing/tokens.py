"""The lower-cased token list of a message and the small look-arounds the collector's rules need."""

from __future__ import annotations

from typing import Final

from core.parsing.lexicon import COLON, PHRASES, TOKEN, TOKEN_ASCII, is_number

MAX_INDEX: Final = 30  # an item number is at most this
_LINE_PUNCTUATION: Final = frozenset({":", "(", ")", "-", ".", "=", "/"})


class Tokens:
    """The lower-cased token list and the small look-arounds the rules need."""

    def __init__(self, lower: str) -> None:
        self.text = lower
        self.lower: list[str] = (TOKEN_ASCII if lower.isascii() else TOKEN).findall(lower)
        self.count = len(self.lower)

    def phrase_at(self, i: int) -> tuple[str, int] | None:
        """(kind, tokens used) of the longest label phrase starting at token i; '-' between words is skipped."""
        lower, count = self.lower, self.count
        n = i + 1
        while n < count and lower[n] == "-":
            n += 1
        second = lower[n] if n < count else ""
        second = COLON if second in (":", "=") else second
        for words, kind in PHRASES.get(lower[i], ()):
            if len(words) > 1 and words[1] != second:
                continue  # most candidates differ at the second word: skip them without the walk
            k = i + 1
            for word in words[1:]:
                while k < count and lower[k] == "-":
                    k += 1
                if k >= count:
                    break
                if word == COLON:
                    if lower[k] not in (":", "="):
                        break
                elif lower[k] != word:
                    break
                k += 1
            else:
                return kind, k - i
        return None

    def number_after(self, i: int) -> int | None:
        """Index of a price token right after token i on the same line (skipping ':' '=' '$'), else None."""
        k = i + 1
        while k < self.count and self.lower[k] in (":", "=", "$"):
            k += 1
        return k if k < self.count and price_token(self, k) else None

    def alone(self, start: int, end: int) -> bool:
        """Tokens start..end fill their line (punctuation aside)."""
        before = start - 1
        while before >= 0 and self.lower[before] in _LINE_PUNCTUATION:
            before -= 1
        after = end
        while after < self.count and self.lower[after] in _LINE_PUNCTUATION:
            after += 1
        return (before < 0 or self.lower[before] == "\n") and (after >= self.count or self.lower[after] == "\n")

    def joined(self, start: int, end: int, sep: str = " ") -> str:
        return sep.join(self.lower[start:end])


def price_token(tokens: Tokens, k: int) -> bool:
    word = tokens.lower[k]
    if not word[0].isdigit() or not is_number(word):
        return False
    if k > 0 and tokens.lower[k - 1] == "#":
        return False  # "#0941" is an id
    return not (k + 1 < tokens.count and tokens.lower[k + 1] == "%")


def is_index(tokens: Tokens, k: int) -> bool:
    word = tokens.lower[k]
    if not word.isdigit() or int(word) > MAX_INDEX:
        return False
    nxt = tokens.lower[k + 1] if k + 1 < tokens.count else ""
    if nxt in (":", ")"):
        return True
    return nxt == "." and (k == 0 or tokens.lower[k - 1] == "\n")
