"""A provider's format learnt from one corrected message: the message's shape with slots for the values.

`teach(text, corrected)` finds each corrected value in the message and keeps the words written before it (its
anchor: "止损预计:", "Invalidation Price:"). `apply_templates(text, templates)` reads a later message of that
provider by the same anchors; when an anchor is missing the template does not match and the general rules read
the message. Templates are plain dicts (stored on the provider as JSON).
"""

from __future__ import annotations

import math
from typing import Any, Final

from core.domain import EntryType, NewSignal, ParseResult, RejectedSignal, Side
from core.parsing.lexicon import LEVERAGE, THOUSANDS, TOKEN, is_number, to_number
from core.parsing.symbols import find_symbol
from core.parsing.tokens import MAX_INDEX
from core.parsing.validate import problem_with

ANCHOR_WORDS: Final = 3  # at most this many tokens before a value make its anchor
_SKIP: Final = frozenset({":", "=", "$", "-", "(", ")", "#", "/", "@", "~", "+", "_", "."})
_LIST_FIELDS: Final = ("entries", "take_profits")
_FIELDS: Final = ("entries", "take_profits", "stop_loss", "leverage")


class TemplateError(ValueError):
    """The correction cannot become a template (a value is not in the message, or the fields are not a call)."""


def _tokens(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text.lower()) if t not in _SKIP]


def _value(token: str) -> float | None:
    """A token's number: a price ("0.52", "27,400"), a leverage ("10x", "x20", "10倍") or thousands ("58k")."""
    if is_number(token):
        return to_number(token)
    lev = LEVERAGE.fullmatch(token) if token[0].isdigit() or token[0] in "xх" else None
    if lev is not None:
        return float(lev.group(1) or lev.group(2))
    thousands = THOUSANDS.fullmatch(token)
    return float(thousands.group(1)) * 1000 if thousands else None


def _item(token: str) -> bool:
    return token.isdigit() and int(token) <= MAX_INDEX


def _anchor(tokens: list[str], at: int) -> tuple[str, ...]:
    """The words before token `at` (item numbers included: "Тейк 1:"), back to the previous price, at most
    ANCHOR_WORDS words; a value alone on its line ("1) 0.1395" under "TARGETS:") takes the line above too."""
    words: list[str] = []
    k = at - 1
    crossed = False
    while k >= 0 and len(words) < ANCHOR_WORDS:
        word = tokens[k]
        if word == "\n":
            if crossed or any(w[0].isalpha() for w in words):
                break
            crossed = True
        elif _value(word) is not None and not _item(word):
            break
        words.insert(0, word)
        k -= 1
    while words and words[0] == "\n":
        words.pop(0)
    return tuple(words)


def _wanted(corrected: dict[str, Any]) -> list[tuple[str, float]]:
    values: list[tuple[str, float]] = []
    for name in _FIELDS:
        value = corrected.get(name)
        items = value if isinstance(value, list) else [value]
        values.extend((name, float(item)) for item in items if isinstance(item, int | float))
    return values


def teach(text: str, corrected: dict[str, Any]) -> dict[str, Any]:
    """A template from one message and its correct reading (the corpus record fields)."""
    if corrected.get("kind", "signal") != "signal" or corrected.get("side") not in ("long", "short"):
        raise TemplateError("a template is taught from a call: give kind 'signal' and a side (long or short)")
    tokens = _tokens(text)
    anchors: list[dict[str, Any]] = []
    used: set[int] = set()
    for name, value in _wanted(corrected):
        at = next((k for k, t in enumerate(tokens) if k not in used and (found := _value(t)) is not None
                   and math.isclose(found, value, rel_tol=1e-9)), None)
        if at is None:
            raise TemplateError(f"{name} {value:g} is not written in the message")
        used.add(at)
        anchor = _anchor(tokens, at)
        previous = anchors[-1] if anchors else None
        same_list = previous is not None and previous["field"] == name and name in _LIST_FIELDS
        if same_list and (not anchor or previous["anchor"] == list(anchor)):  # type: ignore[index]
            if anchor:
                previous["count"] += 1  # type: ignore[index]
            continue  # "0.112 / 0.109": read with the value before it
        if not anchor:
            raise TemplateError(f"{name} {value:g} has no words before it to find it by")
        anchors.append({"field": name, "anchor": list(anchor), "count": 1})
    symbol = corrected.get("symbol")
    symbol = symbol.upper() if isinstance(symbol, str) and "/" in symbol else None
    # the provider's quote ("BRD/BTC" for prices in satoshis): later pairs keep their base and take this quote
    return {"side": corrected["side"], "entry_type": corrected.get("entry_type") or "limit", "symbol": symbol,
            "quote": symbol.split("/")[1] if symbol else None, "anchors": anchors}


def _find(tokens: list[str], anchor: list[str], start: int) -> int | None:
    size = len(anchor)
    for k in range(start, len(tokens) - size + 1):
        if tokens[k:k + size] == anchor:
            return k + size
    return None


def _read(template: dict[str, Any], text: str) -> dict[str, list[float]] | None:
    """Each slot's numbers, read after the slot's anchor (a repeated anchor: its next occurrence). A list's first
    slot must be there; its later ones are read while they are (a call with fewer targets than the taught one)."""
    tokens = _tokens(text)
    found: dict[str, list[float]] = {}
    resume: dict[tuple[str, ...], int] = {}
    for slot in template["anchors"]:
        key = tuple(slot["anchor"])
        optional = slot["field"] in _LIST_FIELDS and bool(found.get(slot["field"]))
        for _ in range(slot["count"]):
            at = _find(tokens, slot["anchor"], resume.get(key, 0))
            while at is not None and not (at < len(tokens) and _value(tokens[at]) is not None):
                at = _find(tokens, slot["anchor"], at)
            if at is None:
                if optional:
                    break
                return None
            numbers = found.setdefault(slot["field"], [])
            while at < len(tokens) and len(numbers) < 20 and (number := _value(tokens[at])) is not None:
                numbers.append(number)
                at += 1
                if slot["field"] not in _LIST_FIELDS:
                    break
                while at + 1 < len(tokens) and tokens[at] == "\n" and is_number(tokens[at + 1]):
                    at += 1  # a list that goes on on the next line
            resume[key] = at
    return found


def _side(entries: tuple[float, ...], targets: list[float], stop: float | None, taught: str) -> Side:
    """The side the levels say (targets above the entry: long), else the side of the taught message."""
    if entries and (targets or stop is not None):
        anchor = sum(entries) / len(entries)
        level_long = targets[0] > anchor if targets else stop is not None and stop < anchor
        return Side.LONG if level_long else Side.SHORT
    return Side(taught)


def apply_templates(text: str, templates: tuple[dict[str, Any], ...], market: bool = False) -> ParseResult | None:
    """The call read by the first template whose anchors are all in the message (rejected with the reason when
    its levels are inconsistent), else None. `market`: the message says to enter at market (its entry price is
    then a reference)."""
    for template in templates:
        found = _read(template, text)
        if found is None:
            continue
        written = find_symbol(text)
        quote = template.get("quote")
        symbol = (f"{written.split('/')[0]}/{quote}" if written and quote else written) or template.get("symbol")
        if symbol is None:
            continue
        entries = tuple(found.get("entries", ()))
        extras = {"read_by": "provider template"}
        if market and entries:
            extras["reference_price"] = f"{entries[0]:g}"
            entries = ()
        entry_type = EntryType(template["entry_type"]) if entries else EntryType.MARKET
        stop = found.get("stop_loss", [None])[0]
        leverage = found.get("leverage", [None])[0]
        targets = found.get("take_profits", [])
        side = _side(entries, targets, stop, template["side"])
        signal = NewSignal(symbol=symbol, side=side, entry_type=entry_type, entries=entries,
                           take_profits=tuple(targets), stop_loss=stop, leverage=leverage,
                           extras=extras)
        problem = problem_with(signal)  # the shape matched: an inconsistent reading is rejected, never re-read
        return signal if problem is None else RejectedSignal(signal, problem)
    return None
