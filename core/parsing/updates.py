"""Recognise messages about an existing trade: targets hit, stop hit, close, move stop, cancel, fills."""

from __future__ import annotations

import re
from typing import Final

from core.domain import UpdateAction
from core.parsing.lexicon import CJK, ORDINALS, STOP_WORDS, TARGET_WORDS, UPDATE_PATTERNS, to_number

# (action, pattern) on lower-cased text, from the language files in file order (English first). The leftmost match
# in the message is the primary action, and at the same position the earlier (more specific) pattern wins,
# e.g. "closed at stoploss" (sl_hit) before "closed" (close).
_PATTERNS: Final[tuple[tuple[UpdateAction, str], ...]] = tuple(
    (UpdateAction(action), pattern) for action, pattern in UPDATE_PATTERNS)
_HAN: Final = re.compile(f"[{CJK}]")
_LEAD: Final = re.compile(r"(?:[^\W\d_]|')+")


def _lead_word(pattern: str) -> str:
    """The literal word every match of `pattern` starts with."""
    lead = _LEAD.match(pattern)
    if lead is None:
        return ""  # starts with a digit or a class: scanned in every message
    word = lead.group(0)
    return word[:-1] if pattern[len(word):len(word) + 1] in ("?", "*", "{") else word


_LEADING_WORDS: Final = re.compile(r"\(\?:((?:[^\W\d_]+\|)+[^\W\d_]+)\)(?![?*{])")


def _literal_variants(pattern: str) -> list[str]:
    """"(?:second|2nd|new)\\s+entry" as one pattern per leading word, so each scan starts with a literal word
    (a pattern without one is tried at every position of every message)."""
    match = _LEADING_WORDS.match(pattern)
    if match is None:
        return [pattern]
    rest = pattern[match.end():]
    return [word + rest for word in match.group(1).split("|")]


def _by_lead() -> tuple[tuple[str, re.Pattern[str], tuple[int, ...]], ...]:
    """One scan per lead word: 'lead' at a word start, then the patterns' rests as numbered alternatives.

    A message without the lead skips the scan; the literal prefix keeps the scan fast otherwise.
    """
    groups: dict[str, list[tuple[int, str]]] = {}
    for index, (_, pattern) in enumerate(_PATTERNS):
        if re.compile(pattern).groups:
            raise ValueError(f"update patterns use (?:...) only, the scans number their own groups: {pattern}")
        for variant in _literal_variants(pattern):
            groups.setdefault(_lead_word(variant), []).append((index, variant))
    compiled = []
    for lead, members in groups.items():
        indexes = [index for index, _ in members]
        rests = "|".join(f"({variant[len(lead):]})" for _, variant in members)
        # a lead word starts a word; Han text has no word boundaries, and an empty lead has nothing to anchor
        start = "(?<![\\w.,])" if not lead else "" if _HAN.match(lead) else f"(?<![^\\W_]{lead})"
        regex = re.compile(f"{lead}{start}(?:{rests})", re.MULTILINE)
        compiled.append((lead, regex, tuple(indexes)))
    return tuple(compiled)


_SCANS: Final = _by_lead()
# the scripts a lead can be written in; a message is scanned only for the leads of the scripts it contains
_SCRIPTS: Final = (("cyrillic", re.compile("[а-яё]")), ("han", re.compile(f"[{CJK}]")),
                   ("arabic", re.compile("[\u0600-\u06ff]")), ("latin", re.compile("[\u00c0-\u024f]")))


def _script(lead: str) -> str:
    return next((name for name, letters in _SCRIPTS if letters.search(lead)), "ascii")


_BY_SCRIPT: Final = {name: tuple(scan for scan in _SCANS if _script(scan[0]) == name)
                     for name in ("ascii", *(name for name, _ in _SCRIPTS))}


def _scans_for(low: str) -> tuple[tuple[str, re.Pattern[str], tuple[int, ...]], ...]:
    if low.isascii():
        return _BY_SCRIPT["ascii"]
    present = [name for name, letters in _SCRIPTS if letters.search(low)]
    return _BY_SCRIPT["ascii"] + tuple(scan for name in present for scan in _BY_SCRIPT[name])
_OPENING_CLOSE: Final = re.compile(r"\s*close\b")
_CONDITION: Final = re.compile(r"\b(?:after|when|once|if|until|before|upon)\b[^\n]*$")
# on lower-cased text, one word-start check per position and no case folding: the scans stay linear and cheap
_TARGET_ALT: Final = "|".join(re.escape(word.lower()) for word in sorted(TARGET_WORDS, key=len, reverse=True))
_TARGET: Final = re.compile(rf"(?<![^\W_])(?:{_TARGET_ALT})\s*#?(\d{{1,2}})(?!\d)")
_ORDINAL_ALT: Final = "|".join(re.escape(word) for word in sorted(ORDINALS, key=len, reverse=True))
_ORDINAL: Final = re.compile(rf"(?<![^\W_])(?:{_ORDINAL_ALT})(?![a-z0-9])")
_PERCENT: Final = re.compile(r"(\d+(?:\.\d+)?)\s*%")
# a moved stop's new price: the first number after a stop word on its line, not one inside a word ("to TP1")
_STOP_ALT: Final = "|".join(re.escape(word) for word in sorted(STOP_WORDS, key=len, reverse=True))
_NEW_STOP: Final = re.compile(rf"(?<![^\W_])(?:{_STOP_ALT.lower()})[^\d\n]{{0,24}}?(?<![\w.,])(\d+(?:[.,]\d+)?)"
                              r"(?![\d.,])")


def detect_update(low: str) -> UpdateAction | None:
    found = detect_update_at(low)
    return found[0] if found else None


def detect_update_at(low: str) -> tuple[UpdateAction, int] | None:
    """The action of the leftmost pattern matching at the start of a word in lower-cased text (on a tie, the
    one listed first), with where it starts."""
    best: tuple[int, int] | None = None
    for lead, scan, indexes in _scans_for(low):
        if lead and lead not in low:
            continue
        match = scan.search(low)
        if match is not None and match.lastindex:
            found = (match.start(), indexes[match.lastindex - 1])
            if best is None or found < best:
                best = found
    if best is not None:
        return _PATTERNS[best[1]][0], best[0]
    if _OPENING_CLOSE.match(low):  # a message that starts with "Close ..."
        return UpdateAction.CLOSE, 0
    return None


def is_conditional(low: str, at: int) -> bool:
    """The phrase at `at` is a plan ("move SL to entry after TP1 hit"), not a report."""
    return _CONDITION.search(low, max(0, at - 24), at) is not None


def update_details(action: UpdateAction, text: str) -> tuple[int | None, float | None, float | None]:
    """(target number, new stop, percentage) when the message states them."""
    number: int | None = None
    if action is UpdateAction.TP_HIT:  # "TP2", "Тейк 2", "止盈2", "second target", "第二止盈": the highest named
        low = text.lower()
        numbers = [int(n) for n in _TARGET.findall(low)] + [ORDINALS[m] for m in _ORDINAL.findall(low)]
        number = max(numbers) if numbers else None
    percent = _PERCENT.search(text) if action is UpdateAction.CLOSE else None
    stop = _NEW_STOP.search(text.lower()) if action is UpdateAction.MOVE_SL else None
    return (number,
            to_number(stop.group(1)) if stop else None,
            float(percent.group(1)) if percent else None)
