"""Bulk writes shared by the batch paths: insert many documents at once, keeping the ones a unique index
already holds (an idempotent replay), update many documents by `_id` (the form nx-27017 indexes), and run
writes that must land together in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from beanie import Document, PydanticObjectId
from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000
T = TypeVar("T")
_transactions: dict[str, bool | None] = {"supported": None}  # learned from the server's hello


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


async def update_by_id(model: type[Document], changes: Mapping[Any, dict[str, Any]],
                       session: AsyncClientSession | None = None) -> None:
    """Apply one update document per `_id`, in one round trip."""
    if changes:
        await model.get_pymongo_collection().bulk_write(
            [UpdateOne({"_id": doc_id}, update) for doc_id, update in changes.items()], ordered=False,
            session=session)


async def transactions(model: type[Document]) -> bool:
    """Whether the model's server has isolated transactions: a replica set member or a mongos says so in
    `hello`. A standalone MongoDB has none, and the embedded nx-27017 (which reports neither) runs every
    session on one SQLite connection: one session's abort there rolls back the others' writes (measured), so
    it is treated as having none. Asked once per process."""
    if _transactions["supported"] is None:
        hello = await model.get_pymongo_collection().database.client.admin.command("hello")
        _transactions["supported"] = "setName" in hello or hello.get("msg") == "isdbgrid"
    return bool(_transactions["supported"])


async def in_transaction(model: type[Document], body: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
    """Run `body` in one transaction where the server has them (all of its writes land or none does; pymongo
    retries it on a transient transaction error), else with no session: its writes then run in order."""
    if not await transactions(model):
        return await body(None)
    async with model.get_pymongo_collection().database.client.start_session() as session:
        return await session.with_transaction(body)


async def replace_all(model: type[Document], docs: Sequence[Document]) -> None:
    """Store these documents whole (a full save keeps datetimes as dates on nx-27017), in one round trip."""
    if docs:
        await model.get_pymongo_collection().bulk_write(
            [ReplaceOne({"_id": doc.id}, stored_form(doc)) for doc in docs], ordered=False)
