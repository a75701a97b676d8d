"""Turn collected fields into a NewSignal: entries, targets, stop, leverage and the side."""

from __future__ import annotations

from typing import Final

from core.domain import EntryType, NewSignal, Side
from core.parsing.consistency import entry_before_levels, nearest_first, split_side_prices, unlabelled_levels
from core.parsing.draft import Draft, Section, Value, entry_is_range
from core.parsing.extras import read_extras
from core.parsing.tokens import MAX_INDEX

_SIDES: Final = {side.value: side for side in Side}  # a dict lookup costs less than Side(value)


def _entry_section(draft: Draft) -> Section | None:
    return draft.first("entry") or draft.first("weak_entry")


def _numbers(values: list[Value]) -> tuple[float, ...]:
    """The prices of a field, written out: item numbers dropped (a list numbered 1, 2, 3 between its prices),
    and an abbreviated continuation completed ("0.00000450-470" is 0.00000450 and 0.00000470)."""
    ints = [n for n, v in enumerate(values) if v.number.is_integer() and v.number <= MAX_INDEX and not v.joined]
    numbered = len(ints) >= 2 and [values[n].number for n in ints] == [float(k) for k in range(1, len(ints) + 1)] \
        and all(n + 1 < len(values) and n + 1 not in ints for n in ints)
    if numbered and any(not values[n].indexed for n in ints):
        values = [v for n, v in enumerate(values) if n not in ints]
    prices: list[float] = []
    for n, value in enumerate(values):
        prices.append(_continued(values[n - 1], value) if n and value.joined else value.number)
    return tuple(prices)


def _continued(before: Value, value: Value) -> float:
    head, dot, decimals = before.raw.partition(".")
    tail = value.raw
    if not (dot and tail.isdigit() and before.number < 1 <= value.number and len(decimals) > len(tail) >= 2):
        return value.number
    completed = float(f"{head}.{decimals[:-len(tail)]}{tail}")
    return completed if 0.5 < completed / before.number < 2 else value.number


def entries_of(draft: Draft) -> tuple[EntryType | None, tuple[float, ...], float | None]:
    """(entry type, entries, market reference price). None type when the message gives no entry."""
    section = _entry_section(draft)
    if section is None:
        beside = draft.beside  # "long btc 60000 sl 59000"
        if beside and not draft.market_outside:
            kind = EntryType.RANGE if len(beside) == 2 and beside[1].joined else EntryType.LIMIT
            return kind, _numbers(beside), None
        market = draft.market_outside or draft.market_alone
        return (EntryType.MARKET, (), None) if market else (None, (), None)
    ladder = [s for s in draft.all("entry") if s.values] if section.kind == "entry" else []
    if len(ladder) > 1 and not section.market:  # "Entry 1: 1800 / Entry 2: 1750": one ladder
        return EntryType.LIMIT, tuple(v.number for s in ladder for v in s.values), None
    prices = _numbers(section.values)
    if section.market or (draft.market_outside and len(prices) == 1):  # "Buy (Instant Execution) / Entry: 1.39"
        return EntryType.MARKET, (), prices[0] if prices else None
    if not prices:
        market = draft.market_outside or draft.market_alone
        return (EntryType.MARKET, (), None) if market else (None, (), None)
    return (EntryType.RANGE if entry_is_range(section) else EntryType.LIMIT), prices, None


def targets_of(draft: Draft) -> tuple[float | str, ...]:
    sections = draft.all("tp")
    values = [v for s in sections for v in s.values]
    if not values:  # targets given only as percentages ("targets: 10%-30%")
        return tuple(p.lstrip("+") for s in sections for part in s.percents for p in part.split("-") if p)
    if any(v.indexed for v in values):  # a numbered list: stray unnumbered numbers are not targets
        values = [v for v in values if v.indexed]
    return _numbers(values)


def stop_of(draft: Draft) -> float | str | None:
    sections = draft.all("stop")
    for section in sections:
        if section.values:
            return section.values[0].number
    for section in sections:
        if section.percents:
            return section.percents[0]
    return None


def leverage_of(draft: Draft) -> float | None:
    labelled = [value for value, under_label in draft.leverages if under_label]
    found = labelled or [value for value, _ in draft.leverages]
    return found[0] if found else None


def side_of(draft: Draft, entries: tuple[float, ...], reference: float | None,
            targets: tuple[float | str, ...], stop: float | str | None) -> tuple[Side | None, bool]:
    """(side, implied). A written side word wins; otherwise the levels decide when they agree."""
    if draft.sides:
        return _SIDES[draft.sides[0]], False
    anchor = (sum(entries) / len(entries)) if entries else reference
    votes: set[Side] = set()
    numeric_stop = stop if isinstance(stop, float) else None
    if anchor is not None:
        votes.update(Side.LONG if t > anchor else Side.SHORT for t in targets if isinstance(t, float) and t != anchor)
        if numeric_stop is not None and numeric_stop != anchor:
            votes.add(Side.LONG if numeric_stop < anchor else Side.SHORT)
    elif targets and isinstance(targets[0], float) and numeric_stop is not None:
        votes.add(Side.LONG if targets[0] > numeric_stop else Side.SHORT)
    return (votes.pop(), True) if len(votes) == 1 else (None, False)


def _entry_end(draft: Draft) -> int:
    """The token index of the entry's last price (the unlabelled levels come after it)."""
    section = _entry_section(draft)
    values = section.values if section is not None else draft.beside
    return max((v.at for v in values), default=-1)


def build_signal(draft: Draft, symbol: str, default_leverage: float | None,
                 lower: str = "") -> tuple[NewSignal | None, str]:
    """The signal, or None and what is missing; `lower` is the lower-cased text, read for optional tags."""
    split_side_prices(draft)
    entry_type, entries, reference = entries_of(draft)
    targets = targets_of(draft)
    stop = stop_of(draft)
    if entry_type is None and isinstance(stop, float) and all(isinstance(t, float) for t in targets):
        before = entry_before_levels(draft, stop, targets)  # type: ignore[arg-type]
        if before:
            entry_type, entries = (EntryType.RANGE if len(before) == 2 else EntryType.LIMIT), before
    if entry_type is None:
        return None, "no entry price or market-entry instruction"
    side, implied = side_of(draft, entries, reference, targets, stop)
    extras: dict[str, str] = {}
    anchor = (sum(entries) / len(entries)) if entries else reference
    if anchor and not targets and stop is None and draft.sides:
        loose = unlabelled_levels(draft, anchor, _SIDES[draft.sides[0]], _entry_end(draft))
        if loose is not None:
            stop, targets = loose
            extras["levels_by"] = "consistency"
    if side is None:
        return None, "no side (long/short) written and the levels do not imply one"
    if targets and all(isinstance(t, float) for t in targets):
        targets = nearest_first(targets, side)  # type: ignore[arg-type]
    if implied:
        extras["side_implied_by"] = "levels"
    if reference is not None:
        extras["reference_price"] = f"{reference:g}"
    if draft.trailing:
        extras["trailing"] = draft.trailing
    extras.update(read_extras(lower))
    leverage = leverage_of(draft)
    return NewSignal(symbol=symbol, side=side, entry_type=entry_type, entries=entries, take_profits=targets,
                     stop_loss=stop, leverage=leverage if leverage is not None else default_leverage,
                     extras=extras), ""
