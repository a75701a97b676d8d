"""Recognise messages about an existing trade: targets hit, stop hit, close, move stop, cancel, fills."""

from __future__ import annotations

import re
from typing import Final

from core.domain import UpdateAction

_N: Final = r"[\d.,]+"
_LOSS: Final = r"(?:[\s-]?loss)?"
# (action, pattern) on lower-cased text. Every pattern starts with a literal word (see _by_lead); the leftmost
# match in the message is the primary action, and at the same position the earlier (more specific) pattern wins,
# e.g. "closed at stoploss" (sl_hit) before "closed" (close).
_PATTERNS: Final[tuple[tuple[UpdateAction, str], ...]] = (
    (UpdateAction.OTHER, r"all\s+entry\s+targets?\s+(?:achieved|hit|reached|filled|done)"),
    (UpdateAction.OTHER, r"entered\s+(?:the\s+)?entry\s+zone"),
    (UpdateAction.OTHER, rf"entry\s*\d?\s*(?:[:\-]\s*{_N}\s*)?✅"),
    (UpdateAction.OTHER, r"entry\s+(?:filled|triggered|activated)"),
    (UpdateAction.OTHER, r"order\s+(?:filled|triggered|activated)"),
    (UpdateAction.SL_HIT, rf"closed?\s+(?:at|by|on)\s+(?:the\s+)?(?:sl|stop{_LOSS}|stoploss)"),
    (UpdateAction.SL_HIT, rf"stop{_LOSS}\s*(?:hit|⛔|triggered|reached)"),
    (UpdateAction.SL_HIT, r"stoploss\s*(?:hit|⛔|triggered|reached)"),
    (UpdateAction.SL_HIT, r"sl\s*(?:hit|⛔|triggered|reached)"),
    (UpdateAction.SL_HIT, r"stopped\s+out"),
    (UpdateAction.SL_HIT, rf"hit\s+(?:the\s+)?(?:sl|stop{_LOSS}|stoploss)"),
    (UpdateAction.TP_HIT, r"all\s+(?:take[\s-]?profit\s+)?targets?\s+(?:achieved|hit|reached|done|smashed|completed)"),
    (UpdateAction.TP_HIT, r"all\s+targets?\s+(?:destroyed|blown)"),
    (UpdateAction.TP_HIT, r"targets?\s*\d*\s+(?:achieved|hit|reached|done|smashed|destroyed|blown|completed)"),
    (UpdateAction.TP_HIT, rf"target\s*\d+\s*(?:[:\-]\s*{_N}\s*)?✅"),
    (UpdateAction.TP_HIT, rf"tp\s*\d+\s*(?:[:\-]\s*{_N}\s*)?✅"),
    (UpdateAction.TP_HIT, r"tp\s*\d+\s+(?:hit|reached|done)"),
    (UpdateAction.TP_HIT, r"take[\s-]?profit\s+target\s*\d+\s*✅"),
    (UpdateAction.MOVE_SL, rf"move\s+(?:the\s+)?(?:sl|stop{_LOSS})"),
    (UpdateAction.MOVE_SL, r"sl\s+(?:to|at|on)\s+(?:entry|break[\s-]?even|be)\b"),
    (UpdateAction.MOVE_SL, rf"stop{_LOSS}\s+(?:to|at|on)\s+(?:entry|break[\s-]?even|be)\b"),
    (UpdateAction.MOVE_SL, r"set\s+(?:sl\s+(?:to\s+)?)?(?:be|break[\s-]?even)\b"),
    (UpdateAction.CANCEL, r"cancel(?:led|ed|ing)?\b"),
    (UpdateAction.CANCEL, r"don'?t\s+(?:enter|open)"),
    (UpdateAction.CANCEL, r"avoid\s+(?:this|entry)"),
    (UpdateAction.CANCEL, r"ignore\s+(?:this|the\s+(?:signal|call))"),
    (UpdateAction.CANCEL, r"remove\s+(?:the\s+)?orders?"),
    (UpdateAction.CLOSE, r"closed?\s+(?:all|everything|\d+\s*%|half|partial|[#$]|due|because)"),
    (UpdateAction.CLOSE, r"closed?\s+(?:the\s+|your\s+|our\s+)?(?:positions?|trades?|longs?|shorts?)\b"),
    (UpdateAction.CLOSE, r"closed?\s+at\s+(?:entry|break[\s-]?even|profit|market)"),
    (UpdateAction.CLOSE, r"secure\s+(?:half|profits?|\d+\s*%|some)"),
    (UpdateAction.CLOSE, r"book\s+(?:profits?|\d+\s*%|some)"),
    (UpdateAction.CLOSE, r"exit\s+(?:now|all|the\s+trade)"),
    (UpdateAction.CLOSE, r"closing\s+(?:all|the\s+trade|position)"),
    (UpdateAction.CLOSE, r"close\s*$"),
    (UpdateAction.TP_HIT, r"тейк\s*\d*\s+(?:взят|достигнут)"),
    (UpdateAction.TP_HIT, r"цель\s*\d*\s+(?:взят|достигнут)"),
    (UpdateAction.SL_HIT, r"выбило\s+(?:по\s+)?стоп"),
    (UpdateAction.SL_HIT, r"сработал\s+(?:по\s+)?стоп"),
    (UpdateAction.MOVE_SL, r"стоп\s+(?:в|на)\s+(?:безубыток|бу|точку\s+входа)"),
    (UpdateAction.MOVE_SL, r"sl\s+(?:в|на)\s+(?:безубыток|бу|точку\s+входа)"),
    (UpdateAction.MOVE_SL, r"перевод\w*\s+(?:стоп|sl)"),
    (UpdateAction.CANCEL, r"отмен\w*"),
    (UpdateAction.CLOSE, r"закр\w*"),
)
_LEAD: Final = re.compile(r"[a-zа-яё']+")


def _lead_word(pattern: str) -> str:
    """The literal word every match of `pattern` starts with."""
    lead = _LEAD.match(pattern)
    if lead is None:
        raise ValueError(f"update pattern must start with a literal word: {pattern}")
    word = lead.group(0)
    return word[:-1] if pattern[len(word):len(word) + 1] in ("?", "*", "{") else word


def _by_lead() -> tuple[tuple[str, re.Pattern[str], tuple[int, ...]], ...]:
    """One scan per lead word: 'lead' at a word start, then the patterns' rests as numbered alternatives.

    A message without the lead skips the scan; the literal prefix keeps the scan fast otherwise.
    """
    groups: dict[str, list[int]] = {}
    for index, (_, pattern) in enumerate(_PATTERNS):
        if re.compile(pattern).groups:
            raise ValueError(f"update patterns use (?:...) only, the scans number their own groups: {pattern}")
        groups.setdefault(_lead_word(pattern), []).append(index)
    compiled = []
    for lead, indexes in groups.items():
        rests = "|".join(f"({_PATTERNS[i][1][len(lead):]})" for i in indexes)
        regex = re.compile(f"{lead}(?<![^\\W_]{lead})(?:{rests})", re.MULTILINE)
        compiled.append((lead, regex, tuple(indexes)))
    return tuple(compiled)


_SCANS: Final = _by_lead()
_OPENING_CLOSE: Final = re.compile(r"\s*close\b")
_TARGET: Final = re.compile(r"\b(?:tp|target)\s*(\d{1,2})\b", re.IGNORECASE)
_PERCENT: Final = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_NEW_STOP: Final = re.compile(r"\b(?:sl|stop(?:[\s-]?loss)?)\s+(?:to|at)\s+\$?(\d+(?:\.\d+)?)", re.IGNORECASE)


def detect_update(low: str) -> UpdateAction | None:
    """The action of the leftmost pattern matching at the start of a word in lower-cased text; on a tie, the
    one listed first."""
    best: tuple[int, int] | None = None
    for lead, scan, indexes in _SCANS:
        if lead not in low:
            continue
        match = scan.search(low)
        if match is not None and match.lastindex:
            found = (match.start(), indexes[match.lastindex - 1])
            if best is None or found < best:
                best = found
    if best is not None:
        return _PATTERNS[best[1]][0]
    if _OPENING_CLOSE.match(low):  # a message that starts with "Close ..."
        return UpdateAction.CLOSE
    return None


def update_details(action: UpdateAction, text: str) -> tuple[int | None, float | None, float | None]:
    """(target number, new stop, percentage) when the message states them."""
    target = _TARGET.findall(text) if action is UpdateAction.TP_HIT else []
    percent = _PERCENT.search(text) if action is UpdateAction.CLOSE else None
    stop = _NEW_STOP.search(text) if action is UpdateAction.MOVE_SL else None
    return (int(target[-1]) if target else None,
            float(stop.group(1)) if stop else None,
            float(percent.group(1)) if percent else None)
