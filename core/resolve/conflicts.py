"""Conflicts between calls on the same symbol, decided per user by that user's ConflictPolicy.

Pure: the service passes the recent calls of the providers the user follows, the user's open positions on
the symbol, and the providers' records. Calls arrive one at a time, so "highest-confidence" and
"best-performer" compare the new call with the one the user already follows and replace it only if the
new one wins; "majority-vote" opens only when the call's side has more providers behind it than the other
(a vote needs another provider's call in the window: a provider's earlier calls do not vote on its new one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.domain import ConflictPolicy, Side
from core.risk.inputs import ProviderRecord

Action = Literal["open", "skip", "close", "replace", "add"]


@dataclass(frozen=True)
class Call:
    """A call as the resolver compares it."""

    signal_id: str
    provider_id: str
    provider: str  # display name
    symbol: str
    side: Side
    entries: tuple[float, ...]
    posted_at: datetime
    confidence: float | None = None
    traded: bool = False  # this user holds (or held) a position from it


@dataclass(frozen=True)
class Holding:
    position_id: str
    signal_id: str
    provider_id: str
    provider: str
    side: Side
    opened_at: datetime


@dataclass(frozen=True)
class Resolution:
    action: Action
    rule: str
    reason: str
    position_id: str | None = None  # the position to close (close / replace)

    @property
    def opens(self) -> bool:
        return self.action in ("open", "replace", "add")


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def same_call(a: Call, b: Call, tolerance_pct: float) -> bool:
    """Same symbol and side, entries within the tolerance (market calls match any entry)."""
    if a.symbol != b.symbol or a.side is not b.side:
        return False
    if not a.entries or not b.entries:
        return True
    mid_a, mid_b = sum(a.entries) / len(a.entries), sum(b.entries) / len(b.entries)
    return abs(mid_a - mid_b) / mid_b * 100 <= tolerance_pct


def _better(new: float | None, old: float | None) -> bool:
    return new is not None and (old is None or new > old)


def _performance(records: Mapping[str, ProviderRecord], provider_id: str) -> float | None:
    record = records.get(provider_id)
    return record.expectancy_pct if record is not None else None


def _pct(value: float | None) -> str:
    return "none stated" if value is None else f"{value:g}%"


def _perf_text(value: float | None) -> str:
    return "no closed trades" if value is None else f"{value:+.2f}% per trade"


def _compare(strategy: str, new: Call, held: Holding, held_call: Call | None,
             records: Mapping[str, ProviderRecord]) -> tuple[bool, str]:
    """(does the new call win, why) for highest-confidence and best-performer."""
    if strategy == "highest-confidence":
        old = held_call.confidence if held_call is not None else None
        return _better(new.confidence, old), f"confidence {_pct(new.confidence)} vs {_pct(old)}"
    mine, theirs = _performance(records, new.provider_id), _performance(records, held.provider_id)
    return _better(mine, theirs), f"{new.provider}: {_perf_text(mine)}, {held.provider}: {_perf_text(theirs)}"


def _votes(new: Call, window: Sequence[Call]) -> tuple[int, int]:
    latest: dict[str, Side] = {c.provider_id: c.side for c in sorted(window, key=lambda c: c.posted_at)}
    latest[new.provider_id] = new.side
    same = sum(1 for side in latest.values() if side is new.side)
    return same, len(latest) - same


def resolve(new: Call, recent: Sequence[Call], held: Sequence[Holding], policy: ConflictPolicy,
            records: Mapping[str, ProviderRecord]) -> Resolution:
    window = [c for c in recent if c.signal_id != new.signal_id and c.symbol == new.symbol
              and 0 <= (new.posted_at - c.posted_at).total_seconds() <= policy.window_s]
    for earlier in window:
        if earlier.traded and same_call(new, earlier, policy.duplicate_tolerance_pct):
            who = "the same provider" if earlier.provider_id == new.provider_id else earlier.provider
            return Resolution("skip", "duplicate", f"the same call as {who}'s at {_clock(earlier.posted_at)}, "
                                                   "which you already follow: merged into that trade")
    calls = {c.signal_id: c for c in recent}
    for holding in held:
        if holding.side is not new.side:
            return _opposite(new, holding, policy, records)
    if held:
        holding = held[0]
        held_call = calls.get(holding.signal_id)
        if held_call is not None and any(c.signal_id == held_call.signal_id for c in window):
            return _same_side(new, holding, held_call, policy, records)
        return _already_held(new, holding, policy)
    if policy.same_side == "majority-vote" and any(c.provider_id != new.provider_id for c in window):
        same, other = _votes(new, window)
        if same <= other:
            return Resolution("skip", "majority-vote", f"providers disagree on {new.symbol}: {same} "
                                                       f"{new.side.value} vs {other} against in the last window")
        return Resolution("open", "majority-vote", f"{same} provider(s) {new.side.value} vs {other} against")
    return Resolution("open", "no_conflict", "no conflicting call or position")


def _opposite(new: Call, holding: Holding, policy: ConflictPolicy,
              records: Mapping[str, ProviderRecord]) -> Resolution:
    what = f"you hold a {holding.side.value.upper()} {new.symbol} from {holding.provider}"
    if policy.opposite == "close-position":
        return Resolution("close", "opposite:close-position", f"{what}: it is closed and the opposite call from "
                          f"{new.provider} is not opened", holding.position_id)
    if policy.opposite == "follow-best-performer":
        wins, why = _compare("best-performer", new, holding, None, records)
        if wins:
            return Resolution("replace", "opposite:follow-best-performer", f"{what}; {new.provider} has the better "
                              f"record ({why}): closing it and following the new call", holding.position_id)
        return Resolution("skip", "opposite:follow-best-performer", f"{what}, whose record is at least as good "
                          f"({why}): the opposite call is skipped")
    return Resolution("skip", "opposite:skip", f"{what}: the opposite call from {new.provider} is skipped")


def _same_side(new: Call, holding: Holding, held_call: Call, policy: ConflictPolicy,
               records: Mapping[str, ProviderRecord]) -> Resolution:
    strategy = policy.same_side
    what = f"you already follow {holding.provider}'s {held_call.side.value.upper()} {new.symbol}"
    if strategy in ("highest-confidence", "best-performer"):
        wins, why = _compare(strategy, new, holding, held_call, records)
        if wins:
            return Resolution("replace", strategy, f"{what}; the new call wins on {strategy} ({why}): "
                                                   "switching to it", holding.position_id)
        return Resolution("skip", strategy, f"{what}, which is at least as good on {strategy} ({why})")
    if strategy == "majority-vote":
        return Resolution("skip", strategy, f"{what}: the new call agrees with it, nothing to add")
    return Resolution("skip", "first", f"{what} from {_clock(held_call.posted_at)}: the first call wins")


def _already_held(new: Call, holding: Holding, policy: ConflictPolicy) -> Resolution:
    what = f"you already hold a {holding.side.value.upper()} {new.symbol} (from {holding.provider})"
    if policy.held_position == "add":
        return Resolution("add", "held:add", f"{what}: adding to it as your settings say")
    if policy.held_position == "replace":
        return Resolution("replace", "held:replace", f"{what}: replacing it with the new call", holding.position_id)
    return Resolution("skip", "held:ignore", f"{what}: the new call is ignored")
