"""parse(text, context) -> NewSignal | SignalUpdate | RejectedSignal | Noise. Pure and total: never raises."""

from __future__ import annotations

from typing import Final

from core.domain import Noise, ParseResult, RejectedSignal, SignalUpdate
from core.parsing.context import ParseContext
from core.parsing.fields import collect
from core.parsing.normalize import normalize
from core.parsing.signal import build_signal
from core.parsing.symbols import find_symbol
from core.parsing.updates import detect_update, update_details
from core.parsing.validate import problem_with

MAX_CHARS: Final = 8000
_NO_CONTEXT: Final = ParseContext()


def parse(text: str, context: ParseContext | None = None) -> ParseResult:
    context = context or _NO_CONTEXT
    if not text or text.isspace():
        return Noise("empty message")
    clean = normalize(text[:MAX_CHARS])
    quote = "BTC" if context.prices_in_satoshis else context.default_quote
    symbol = find_symbol(clean, quote)
    lower = clean.lower()  # the word rules read lower-case text; tickers keep their case
    signal, missing, result_marks = None, "", 0
    if symbol is not None:  # without a pair only an update can come out, and that needs no fields
        draft = collect(lower)
        signal, missing = build_signal(draft, symbol, context.default_leverage, lower)
        result_marks = draft.checks_after_numbers
    complete = signal is not None and bool(signal.take_profits or signal.stop_loss is not None)
    # a complete call is a new signal unless prices carry ✅ marks (a result report quoting the levels)
    update = detect_update(lower) if not complete or result_marks else None
    if update is not None:
        action = update
        target, new_stop, percentage = update_details(action, clean)
        return SignalUpdate(action=action, symbol=symbol, target=target, new_stop=new_stop,
                            percentage=percentage, reply_to=context.reply_to)
    if signal is None:
        if symbol is None:
            return Noise("no trading pair found")
        return Noise(missing)
    problem = problem_with(signal)
    return RejectedSignal(signal, problem) if problem else signal
