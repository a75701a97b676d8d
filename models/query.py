"""Filters written so the embedded server can run them in SQL.

nx-27017 translates a flat filter (`{"a": 1, "b": {"$gte": 2}}`) into one SQL WHERE clause, but it loads and
tests every document of the collection in Python for a top-level `$and`, which is what Beanie sends for
`Doc.find(A, B)`. Each pair of forms means the same thing to MongoDB, so the code below serves both servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from beanie import Document

D = TypeVar("D", bound=Document)


def where(*conditions: Any) -> dict[str, Any]:  # Beanie types `Doc.field == x` as bool: it is a Mapping
    """One flat filter from Beanie expressions or dicts (`where(Signal.kind == "signal", {"side": "long"})`).

    A scalar equality becomes `{"$eq": v}` (see `one_of`). Operators on one field are merged (`{"$gte": 1}` and
    `{"$lt": 5}`); a condition that cannot be merged (the same field twice with an equality, or the same
    operator twice) is kept under `$and`."""
    flat: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for condition in conditions:
        for field, value in dict(condition).items():
            if not field.startswith("$") and field != "_id" and isinstance(value, str | int | float):
                value = {"$eq": value}  # bool is an int; None stays as it is (null or missing)
            if field not in flat:
                flat[field] = value
                continue
            held = flat[field]
            if _operators(held) and _operators(value) and not set(held) & set(value):
                flat[field] = {**held, **value}
            else:
                rest.append({field: value})
    if rest:
        flat.setdefault("$and", []).extend(rest)
    return flat


def one_of(values: Iterable[Any]) -> dict[str, Any]:
    """`field: one_of(ids)` for a scalar field other than `_id`: `$eq` for one value, else `$in`.

    nx-27017 serves `{"$eq": v}` from any index that starts with the field; a bare `v` it turns into an
    array-containment test that no index serves (unless an index is named after the field alone), and `$in`
    into a per-row subquery. `_id` has its own column there: `{"$in": ids}` is already an index lookup."""
    listed = list(values)
    return {"$eq": listed[0]} if len(listed) == 1 else {"$in": listed}


def _operators(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k).startswith("$") for k in value)


async def find_in(model: type[D], query: Mapping[str, Any], field: str, values: Iterable[Any]) -> list[D]:
    """The documents matching `query` whose `field` is one of `values`, in `_id` order (as stored), read by one
    `$eq` query per value run together. nx-27017 tests `$in` on every document the rest of the filter selects,
    so `{"status": {"$in": live}}` reads all of history; an equality on an indexed status reads what is live."""
    flat = where(query)  # scalar equalities as `$eq`, so the compound indexes serve them too
    parts = await asyncio.gather(*(model.find({**flat, field: {"$eq": value}}).to_list() for value in values))
    return sorted((doc for part in parts for doc in part), key=lambda doc: str(doc.id))
