"""Conflict scenarios as a table: earlier calls, what the user holds, the policy -> the action and its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain import ConflictPolicy, Side
from core.resolve.conflicts import Call, Holding, resolve
from core.risk.inputs import ProviderRecord

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
NAMES = {"pa": "Alpha", "pb": "Beta", "pc": "Gamma"}
RECORDS = {
    "pa": ProviderRecord(closed_trades=30, wins=18, avg_win_pct=4, avg_loss_pct=2),  # +1.6% per trade
    "pb": ProviderRecord(closed_trades=30, wins=12, avg_win_pct=3, avg_loss_pct=2),  # 0.0% per trade
}


def call(sid: str, provider: str, side: Side = Side.LONG, minutes: float = 0, entries: tuple[float, ...] = (100.0,),
         confidence: float | None = None, traded: bool = False, symbol: str = "BTC/USDT") -> Call:
    return Call(sid, provider, NAMES[provider], symbol, side, entries, T0 + timedelta(minutes=minutes), confidence,
                traded)


def holding(sid: str, provider: str, side: Side = Side.LONG) -> Holding:
    return Holding("pos-" + sid, sid, provider, NAMES[provider], side, T0)


LONG_A = call("s1", "pa", traded=True)
SHORT_A = call("s1", "pa", Side.SHORT, traded=True)

SCENARIOS: list[tuple[str, Call, list[Call], list[Holding], dict[str, Any], str, str, str | None]] = [
    # id, new call, recent calls, holdings, policy, action, rule, position closed
    ("nothing else", call("s2", "pb", minutes=5), [], [], {}, "open", "no_conflict", None),
    ("same provider re-posts", call("s2", "pa", minutes=2), [LONG_A], [holding("s1", "pa")], {},
     "skip", "duplicate", None),
    ("another provider, same call", call("s2", "pb", minutes=3, entries=(100.3,)), [LONG_A], [holding("s1", "pa")],
     {}, "skip", "duplicate", None),
    ("same call, outside the window", call("s2", "pb", minutes=20), [LONG_A], [holding("s1", "pa")], {},
     "skip", "held:ignore", None),
    ("same side, other levels, first wins", call("s2", "pb", minutes=3, entries=(96.0,)), [LONG_A],
     [holding("s1", "pa")], {}, "skip", "first", None),
    ("same side, higher confidence replaces", call("s2", "pb", minutes=3, entries=(96.0,), confidence=90),
     [call("s1", "pa", confidence=60, traded=True)], [holding("s1", "pa")], {"same_side": "highest-confidence"},
     "replace", "highest-confidence", "pos-s1"),
    ("same side, lower confidence skipped", call("s2", "pb", minutes=3, entries=(96.0,), confidence=50),
     [call("s1", "pa", confidence=60, traded=True)], [holding("s1", "pa")], {"same_side": "highest-confidence"},
     "skip", "highest-confidence", None),
    ("same side, better performer replaces", call("s2", "pa", minutes=3, entries=(96.0,)),
     [call("s1", "pb", traded=True)], [holding("s1", "pb")], {"same_side": "best-performer"},
     "replace", "best-performer", "pos-s1"),
    ("same side, worse performer skipped", call("s2", "pb", minutes=3, entries=(96.0,)), [LONG_A],
     [holding("s1", "pa")], {"same_side": "best-performer"}, "skip", "best-performer", None),
    ("majority: 1 long vs 1 short, no position", call("s2", "pb", Side.SHORT, minutes=3),
     [call("s1", "pa")], [], {"same_side": "majority-vote"}, "skip", "majority-vote", None),
    ("majority: only the provider's own earlier call", call("s2", "pa", Side.SHORT, minutes=3),
     [call("s1", "pa")], [], {"same_side": "majority-vote"}, "open", "no_conflict", None),
    ("majority: 2 short vs 1 long", call("s3", "pc", Side.SHORT, minutes=4),
     [call("s1", "pa"), call("s2", "pb", Side.SHORT, minutes=2)], [], {"same_side": "majority-vote"},
     "open", "majority-vote", None),
    ("opposite: skip", call("s2", "pb", Side.SHORT, minutes=3), [LONG_A], [holding("s1", "pa")], {},
     "skip", "opposite:skip", None),
    ("opposite: close the position", call("s2", "pb", Side.SHORT, minutes=3), [LONG_A], [holding("s1", "pa")],
     {"opposite": "close-position"}, "close", "opposite:close-position", "pos-s1"),
    ("opposite: better performer flips", call("s2", "pa", Side.LONG, minutes=3), [call("s1", "pb", Side.SHORT)],
     [holding("s1", "pb", Side.SHORT)], {"opposite": "follow-best-performer"}, "replace",
     "opposite:follow-best-performer", "pos-s1"),
    ("opposite: worse performer skipped", call("s2", "pb", Side.SHORT, minutes=3), [LONG_A], [holding("s1", "pa")],
     {"opposite": "follow-best-performer"}, "skip", "opposite:follow-best-performer", None),
    ("held long ago: add", call("s2", "pb", minutes=120), [], [holding("s1", "pa")], {"held_position": "add"},
     "add", "held:add", None),
    ("held long ago: replace", call("s2", "pb", minutes=120), [], [holding("s1", "pa")],
     {"held_position": "replace"}, "replace", "held:replace", "pos-s1"),
    ("other symbol is no conflict", call("s2", "pb", symbol="ETH/USDT"), [LONG_A], [], {}, "open", "no_conflict",
     None),
]


@pytest.mark.parametrize(("new", "recent", "held", "policy", "action", "rule", "closed"),
                         [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_conflict_scenarios(new: Call, recent: list[Call], held: list[Holding], policy: dict[str, Any],
                            action: str, rule: str, closed: str | None) -> None:
    resolution = resolve(new, recent, held, ConflictPolicy(**policy), RECORDS)
    assert (resolution.action, resolution.rule, resolution.position_id) == (action, rule, closed)
    assert resolution.reason  # every outcome says why


def test_reasons_name_the_providers_and_the_comparison() -> None:
    new = call("s2", "pb", Side.SHORT, minutes=3)
    resolution = resolve(new, [LONG_A], [holding("s1", "pa")], ConflictPolicy(opposite="follow-best-performer"),
                         RECORDS)
    assert resolution.reason == ("you hold a LONG BTC/USDT from Alpha, whose record is at least as good "
                                 "(Beta: +0.00% per trade, Alpha: +1.60% per trade): the opposite call is skipped")
    duplicate = resolve(call("s2", "pb", minutes=3), [LONG_A], [holding("s1", "pa")], ConflictPolicy(), RECORDS)
    assert duplicate.reason == ("the same call as Alpha's at 12:00 UTC, which you already follow: merged into "
                                "that trade")
