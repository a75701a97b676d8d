"""Recognise messages about an existing trade: targets hit, stop hit, close, move stop, cancel, fills."""

from __future__ import annotations

import re

from core.domain import UpdateAction

_N = r"[\d.,]+"
_SL = r"(?:sl|stop[\s-]?loss|stoploss|stop)"
# (action, phrase). One regex holds them all: the leftmost match in the message is the primary action;
# at the same position the earlier (more specific) phrase wins, e.g. "closed at stoploss" before "closed".
_PHRASES: tuple[tuple[UpdateAction, str], ...] = (
    (UpdateAction.OTHER, r"\ball\s+entry\s+targets?\s+(?:achieved|hit|reached|filled|done)"),
    (UpdateAction.OTHER, r"\bentered\s+(?:the\s+)?entry\s+zone"),
    (UpdateAction.OTHER, rf"\bentry\s*\d?\s*(?:[:\-]\s*{_N}\s*)?✅"),
    (UpdateAction.OTHER, r"\b(?:entry|order)\s+(?:filled|triggered|activated)\b"),
    (UpdateAction.SL_HIT, rf"\bclosed?\s+(?:at|by|on)\s+(?:the\s+)?{_SL}"),
    (UpdateAction.SL_HIT, rf"\b{_SL}\s*(?:hit|⛔|triggered|reached)"),
    (UpdateAction.SL_HIT, rf"\bstopped\s+out\b|\bhit\s+(?:the\s+)?{_SL}\b"),
    (UpdateAction.TP_HIT, r"\b(?:all\s+)?(?:take[\s-]?profit\s+)?targets?\s*\d*\s+"
                          r"(?:achieved|hit|reached|done|smashed|destroyed|blown|completed)"),
    (UpdateAction.TP_HIT, rf"\b(?:tp|target)\s*\d+\s*(?:[:\-]\s*{_N}\s*)?✅"),
    (UpdateAction.TP_HIT, r"\btake[\s-]?profit\s+target\s*\d+\s*✅|\btp\s*\d+\s+(?:hit|reached|done)\b"),
    (UpdateAction.MOVE_SL, rf"\bmove\s+(?:the\s+)?{_SL}\b"),
    (UpdateAction.MOVE_SL, rf"\b{_SL}\s+(?:to|at|on)\s+(?:entry|break[\s-]?even|be)\b"),
    (UpdateAction.MOVE_SL, r"\bset\s+(?:sl\s+(?:to\s+)?)?(?:be|break[\s-]?even)\b"),
    (UpdateAction.CANCEL, r"\bcancel(?:led|ed|ing)?\b|\bdon'?t\s+(?:enter|open)\b|\bavoid\s+(?:this|entry)\b"),
    (UpdateAction.CANCEL, r"\bignore\s+(?:this|the\s+(?:signal|call))\b|\bremove\s+(?:the\s+)?orders?\b"),
    (UpdateAction.CLOSE, r"\bclosed?\s+(?:all|everything|\d+\s*%|half|partial|[#$]|due|because)"),
    (UpdateAction.CLOSE, r"\bclosed?\s+(?:the\s+|your\s+|our\s+)?(?:positions?|trades?|longs?|shorts?)\b"),
    (UpdateAction.CLOSE, r"\bclosed?\s+at\s+(?:entry|break[\s-]?even|profit|market)"),
    (UpdateAction.CLOSE, r"\bsecure\s+(?:half|profits?|\d+\s*%|some)|\bbook\s+(?:profits?|\d+\s*%|some)"),
    (UpdateAction.CLOSE, r"\bexit\s+(?:now|all|the\s+trade)|^\s*close\b|\bclosing\s+(?:all|the\s+trade|position)"),
)
_UPDATE = re.compile("|".join(f"(?P<u{i}>{p})" for i, (_, p) in enumerate(_PHRASES)), re.IGNORECASE | re.MULTILINE)
_ACTIONS = {f"u{i}": action for i, (action, _) in enumerate(_PHRASES)}
_TARGET = re.compile(r"\b(?:tp|target)\s*(\d{1,2})\b", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_NEW_STOP = re.compile(rf"\b{_SL}\s+(?:to|at)\s+\$?(\d+(?:\.\d+)?)", re.IGNORECASE)


def detect_update(text: str) -> UpdateAction | None:
    match = _UPDATE.search(text)
    return _ACTIONS[match.lastgroup] if match and match.lastgroup else None


def update_details(action: UpdateAction, text: str) -> tuple[int | None, float | None, float | None]:
    """(target number, new stop, percentage) when the message states them."""
    target = _TARGET.findall(text) if action is UpdateAction.TP_HIT else []
    percent = _PERCENT.search(text) if action is UpdateAction.CLOSE else None
    stop = _NEW_STOP.search(text) if action is UpdateAction.MOVE_SL else None
    return (int(target[-1]) if target else None,
            float(stop.group(1)) if stop else None,
            float(percent.group(1)) if percent else None)
