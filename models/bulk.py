"""Bulk writes shared by the batch paths: insert many documents at once, keeping the ones a unique index
already holds (an idempotent replay), and update many documents by `_id` (the form nx-27017 indexes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document, PydanticObjectId
from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


def stored_form(doc: Document) -> dict[str, Any]:
    """The document as BSON takes it. Pydantic's own dump: the same fields Beanie's encoder writes for our
    models (no Decimal, no Link; enums are str enums, datetimes stay dates) at a fraction of its cost, which
    matters when a call writes thousands of documents."""
    data: dict[str, Any] = doc.model_dump(by_alias=True)
    return data


async def insert_new(model: type[Document], docs: Sequence[Document], key: str) -> set[str]:
    """Insert `docs` (ids assigned here, so callers can refer to them); returns the `key` values stored. A
    document whose unique key exists already is skipped, any other write error is raised."""
    if not docs:
        return set()
    for doc in docs:
        doc.id = PydanticObjectId()
    try:
        await model.get_pymongo_collection().insert_many([stored_form(doc) for doc in docs], ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        skipped = {e["index"] for e in errors}
        return {str(getattr(doc, key)) for n, doc in enumerate(docs) if n not in skipped}
    return {str(getattr(doc, key)) for doc in docs}


async def update_by_id(model: type[Document], changes: Mapping[Any, dict[str, Any]]) -> None:
    """Apply one update document per `_id`, in one round trip."""
    if changes:
        await model.get_pymongo_collection().bulk_write(
            [UpdateOne({"_id": doc_id}, update) for doc_id, update in changes.items()], ordered=False)


async def replace_all(model: type[Document], docs: Sequence[Document]) -> None:
    """Store these documents whole (a full save keeps datetimes as dates on nx-27017), in one round trip."""
    if docs:
        await model.get_pymongo_collection().bulk_write(
            [ReplaceOne({"_id": doc.id}, stored_form(doc)) for doc in docs], ordered=False)
