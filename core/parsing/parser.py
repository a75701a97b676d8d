"""parse(text, context) -> NewSignal | SignalUpdate | RejectedSignal | Noise. Pure and total: never raises."""

from __future__ import annotations

from typing import Final

from core.domain import NewSignal, Noise, ParseResult, RejectedSignal, SignalUpdate, UpdateAction
from core.parsing.consistency import SIDE_LABELS
from core.parsing.context import ParseContext
from core.parsing.draft import Draft
from core.parsing.fields import collect
from core.parsing.normalize import normalize
from core.parsing.screen import ascii_words, is_question, non_crypto_word, opinion_word
from core.parsing.signal import build_signal
from core.parsing.symbols import BUNDLED_MARKETS, find_symbol, foreign_ticker, not_crypto, satoshi_prices
from core.parsing.templates import apply_templates
from core.parsing.updates import detect_update_at, is_conditional, update_details
from core.parsing.validate import problem_with

MAX_CHARS: Final = 8000
_NO_CONTEXT: Final = ParseContext()
NO_PAIR: Final = "no trading pair found"
_RESULTS: Final = (UpdateAction.TP_HIT, UpdateAction.SL_HIT)


def _complete(signal: NewSignal | None) -> bool:
    """A call with its levels: a stop or a target besides the entry."""
    return signal is not None and bool(signal.take_profits or signal.stop_loss is not None)


def _update(lower: str, complete: bool, checked: bool) -> UpdateAction | None:
    """An update's action. A complete call is a new signal unless its prices carry ✅ marks or it reports a target
    or the stop hit (a result quoting the levels); "after TP1 hit, move the stop" is part of a plan."""
    found = detect_update_at(lower)
    if found is None:
        return None
    action, at = found
    if not complete or checked or (action in _RESULTS and not is_conditional(lower, at)):
        return action
    return None


def _new_levels(draft: Draft) -> tuple[UpdateAction, float | None] | None:
    """Labelled levels with no entry ("TP: 84000/86600/89300", "SL: 58200"): new targets or a new stop for the
    trade the message follows. The values stand right after their label, and targets come as a list."""
    targets = [s for s in draft.all("tp") if s.values and s.prose == 0]
    stops = [s for s in draft.all("stop") if s.values and s.prose == 0]
    if draft.sides or draft.first("entry") or draft.first("weak_entry"):
        return None
    if sum(len(s.values) for s in targets) >= 2:
        return UpdateAction.OTHER, stops[0].values[0].number if stops else None
    if stops and not targets:
        return UpdateAction.MOVE_SL, stops[0].values[0].number
    return None


def _only_a_price(draft: Draft) -> bool:
    """"SELL XRP @ 0.8", "long btc 64000": a side and an unlabelled price (after '@'/'at', or right after the
    side) and nothing else a provider's call carries (no entry label, stop, target or leverage)."""
    if draft.leverages:
        return False
    sections = [s for s in draft.sections if s.values or s.percents or s.market]
    if sections:  # "@ 0.8", or the price right after the side word ("SELL 0.8")
        return all(s.kind == "weak_entry" or (s.kind == "entry" and s.label in SIDE_LABELS) for s in sections)
    return bool(draft.beside)


def parse(text: str, context: ParseContext | None = None) -> ParseResult:
    context = context or _NO_CONTEXT
    if not text or text.isspace():
        return Noise("empty message")
    clean = normalize(text[:MAX_CHARS])
    lower = clean.lower()  # the word rules read lower-case text; tickers keep their case
    draft = collect(lower)
    if context.templates:
        market = draft.market_outside or any(section.market for section in draft.sections)
        taught = apply_templates(clean, context.templates, market)
        if taught is not None:
            return taught
    markets = BUNDLED_MARKETS if context.markets is None else context.markets
    satoshis = context.prices_in_satoshis or satoshi_prices(clean)
    symbol = find_symbol(clean, "BTC" if satoshis else context.default_quote, markets)
    words = ascii_words(lower)
    foreign = not_crypto(symbol) if symbol else foreign_ticker(clean)
    word = non_crypto_word(lower, words)
    stock_like = symbol.partition("/")[0] not in markets if symbol else "$" in clean
    if foreign or (word and stock_like):  # "$SPY 746 puts", "AAPL calls": not with no ticker at all
        return Noise(f"{foreign or repr(word) + ' marks stocks, options, forex or metals'}: Signalcord trades "
                     "crypto only")
    signal, missing = build_signal(draft, symbol or "", context.default_leverage, lower)
    complete = _complete(signal)
    update = _update(lower, complete, draft.checks_after_numbers > 0)
    if update is not None:
        if is_question(clean):
            return Noise("a question, not an instruction")
        target, new_stop, percentage = update_details(update, clean)
        return SignalUpdate(action=update, symbol=symbol, target=target, new_stop=new_stop,
                            percentage=percentage, reply_to=context.reply_to)
    if signal is None:
        levels = _new_levels(draft)
        if levels is not None:
            return SignalUpdate(action=levels[0], symbol=symbol, new_stop=levels[1], reply_to=context.reply_to)
        return Noise(missing if symbol else NO_PAIR)
    if not complete:
        opinion = opinion_word(lower, words)
        if opinion:
            return Noise(f"an opinion or analysis ('{opinion}'), not a call")
        if is_question(clean):
            return Noise("a question, not a call")
        if symbol is None:
            return Noise(NO_PAIR)
        if _only_a_price(draft):
            return Noise("a side and a price with no label, stop or target: chatter, not a call")
    if symbol is None:
        return RejectedSignal(signal, "the call names no trading pair")
    problem = problem_with(signal)
    return RejectedSignal(signal, problem) if problem else signal
