"""References between documents are the referenced document's id as a 24-hex string.

Why not ObjectId: on the embedded nx-27017 server an equality filter on a non-_id ObjectId field matches
nothing in `find` and only the string form in `count`/aggregation (tested in tests/models/test_refs.py).
Strings compare the same way on nx-27017 and on real MongoDB, so one code path serves both.
"""

from __future__ import annotations

from typing import Annotated

from beanie import Document
from pydantic import Field

Ref = Annotated[str, Field(pattern="^[0-9a-f]{24}$")]


def ref(document: Document) -> str:
    """The id of a stored document, as used in reference fields."""
    if document.id is None:
        raise ValueError(f"{type(document).__name__} has no id yet: insert it first")
    return str(document.id)
