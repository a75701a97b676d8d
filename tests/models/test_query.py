"""Flat filters: the same documents as Beanie's `$and` form, in the form the embedded server runs in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import Position, Signal
from models.query import find_in, one_of, where

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def test_where_flattens_expressions_and_merges_operators_on_one_field(db: str) -> None:
    query = where(Signal.kind == "signal", Signal.created_at >= T0, Signal.created_at < T0 + timedelta(hours=1),
                  {"symbol": "BTC/USDT"})
    assert query == {"kind": {"$eq": "signal"}, "created_at": {"$gte": T0, "$lt": T0 + timedelta(hours=1)},
                     "symbol": {"$eq": "BTC/USDT"}}  # a scalar equality as $eq: an index can serve it


def test_where_keeps_what_cannot_be_merged_under_and(db: str) -> None:
    assert where(Signal.kind == "signal", Signal.kind == "update") == {"kind": {"$eq": "signal"},
                                                                       "$and": [{"kind": {"$eq": "update"}}]}
    assert where({"_id": "a", "stop": None, "n": {"$in": [1, 2]}}) == {"_id": "a", "stop": None,
                                                                         "n": {"$in": [1, 2]}}
    assert where({"n": {"$gte": 1}}, {"n": {"$gte": 2}}) == {"n": {"$gte": 1}, "$and": [{"n": {"$gte": 2}}]}


def test_one_of_is_an_equality_for_one_value() -> None:
    assert one_of(["a"]) == {"$eq": "a"}
    assert one_of(["a", "b"]) == {"$in": ["a", "b"]}


async def test_flat_filters_find_what_the_and_form_finds(db: str) -> None:
    users = ["a" * 24, "b" * 24]
    for n in range(12):
        await Position(user_id=users[n % 2], account_id="c" * 24, signal_id=f"{n:024x}", provider_id="d" * 24,
                       mode="paper", symbol="BTC/USDT" if n % 3 else "ETH/USDT", side="long", leverage=1,
                       status=("pending", "open", "closed")[n % 3]).insert()

    async def ids(query: object) -> list[str]:
        return sorted(p.signal_id for p in await Position.find(query).to_list())

    anded = await ids({"$and": [{"user_id": users[0]}, {"status": {"$in": ["pending", "open"]}}]})
    assert anded == await ids(where(Position.user_id == users[0], {"status": {"$in": ["pending", "open"]}}))
    assert anded == await ids({"user_id": one_of(users[:1]), "status": {"$in": ["pending", "open"]}})
    assert len(anded) == 4
    assert await ids({"user_id": one_of(users), "symbol": "ETH/USDT"}) == [f"{n:024x}" for n in (0, 3, 6, 9)]

    live = await find_in(Position, {"user_id": one_of(users[:1])}, "status", ["pending", "open"])
    assert [p.signal_id for p in live] == anded  # stored order: the ids ascend
    assert [p.id for p in live] == sorted(p.id for p in live if p.id is not None)
