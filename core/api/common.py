"""What every part of the API needs: the caller's user record and the ownership check for an id."""

from __future__ import annotations

from typing import TypeVar

from beanie import Document, PydanticObjectId
from bson import ObjectId

from core.api.errors import NotFound
from core.api.views import Caller
from core.services.intake.accounts import AccountService
from models import User
from models.refs import ref

D = TypeVar("D", bound=Document)


class Members:
    """The caller's user, created (with a paper account) on first contact."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def user(self, caller: Caller) -> User:
        return await self.accounts.ensure_user(caller.discord_id, caller.name or str(caller.discord_id))


async def owned(model: type[D], object_id: str, user: User, what: str) -> D:
    """The caller's own `model` with this id; another user's looks exactly like a missing one (NotFound)."""
    found = await model.get(PydanticObjectId(object_id)) if ObjectId.is_valid(object_id) else None
    if found is None or getattr(found, "user_id", None) != ref(user):
        raise NotFound(f"you have no {what} with id {object_id}")
    return found
