"""Why a message was read the way it was: which words became which field, by which rule. For admins (the CLI's
`parse --explain`, the Discord `/provider test` command) and for debugging."""

from __future__ import annotations

import re

from core.parsing.context import ParseContext
from core.parsing.draft import entry_is_range
from core.parsing.fields import collect
from core.parsing.lexicon import CJK
from core.parsing.normalize import normalize
from core.parsing.output import to_record
from core.parsing.parser import parse
from core.parsing.screen import ascii_words, non_crypto_word, opinion_word
from core.parsing.symbols import BUNDLED_MARKETS, _bare, _structural
from core.parsing.updates import detect_update_at

_NAMES = {"entry": "entry", "weak_entry": "entry (after 'at'/'@')", "tp": "targets", "stop": "stop-loss",
          "lev_label": "leverage", "ign": "ignored field"}


_HAN_GAP = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")


def _fmt(number: float) -> str:
    return f"{number:g}"


def explain(text: str, context: ParseContext | None = None) -> list[str]:
    context = context or ParseContext()
    clean = normalize(text)
    lower = clean.lower()
    markets = BUNDLED_MARKETS if context.markets is None else context.markets
    lines: list[str] = []
    structural = _structural(clean, context.default_quote, markets)
    if structural:
        lines.append(f"pair {structural}: written as a pair, a #/$ tag or after a coin/pair label")
    else:
        bare = _bare(clean, context.default_quote, markets)
        lines.append(f"pair {bare}: a coin name, or a ticker the venues list, beside the side or in capitals"
                     if bare else "pair: none found (no pair form, tag, label or listed ticker)")
    draft = collect(lower)
    for section in draft.sections:
        if not section.values and not section.percents and not section.market:
            continue
        values = [_fmt(v.number) for v in section.values] + section.percents
        how = "after the label" + (", numbered" if any(v.indexed for v in section.values) else "")
        if section.kind in ("entry", "weak_entry") and entry_is_range(section):
            how += ", a zone (two joined prices)"
        if section.market:
            how += ", a market-entry instruction (prices are a reference)"
        lines.append(f"{_NAMES.get(section.kind, section.kind)} {', '.join(values) or '-'}: "
                     f"label '{_HAN_GAP.sub('', section.label)}', {how}")
    if draft.orphans:
        loose = ", ".join(_fmt(v.number) for v in draft.orphans)
        lines.append(f"numbers under no label (placed by consistency, or not used): {loose}")
    if draft.sides:
        lines.append(f"side {draft.sides[0]}: a side word in the message")
    if draft.market_outside:
        lines.append("market entry: a market word (now, market, CMP, took, here ...) beside the side word")
    for value, labelled in draft.leverages[:1]:
        lines.append(f"leverage {_fmt(value)}: " + ("after a leverage label" if labelled else "written with an x"))
    found = detect_update_at(lower)
    if found:
        lines.append(f"update phrase '{lower[found[1]:found[1] + 30].splitlines()[0]}...': {found[0].value}")
    words = ascii_words(lower)
    screened = (("opinion word", opinion_word(lower, words)), ("non-crypto word", non_crypto_word(lower, words)))
    for name, word in screened:
        if word:
            lines.append(f"{name} '{word}'")
    record = to_record(None, parse(text, context))
    if record.get("extras", {}).get("levels_by") == "consistency":
        lines.append("stop and targets: unlabelled prices placed by consistency (a long's stop below the entry, "
                     "targets above, nearest first; a short the reverse)")
    verdict = record["kind"] + (f" ({record['update_action']})" if record["kind"] == "update" else "")
    lines.append(f"result: {verdict}" + (f" - {record['reason']}" if record.get("reason") else ""))
    return lines
