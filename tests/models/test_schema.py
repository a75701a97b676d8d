"""Uniqueness the invariants rely on is enforced by the database, and references query the same everywhere."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from core.domain import OrderSide, TradeMode
from models import Message, OrderIntent, Provider, Subscription, User
from models.refs import ref


async def test_a_provider_message_is_stored_once(db: str) -> None:
    provider = await Provider(name="p", channel_id=1).insert()
    fields = dict(provider_id=ref(provider), channel_id=1, message_id=10, author="a", text="t",
                  posted_at=datetime(2026, 1, 1, tzinfo=UTC))
    await Message(**fields).insert()
    with pytest.raises(DuplicateKeyError):
        await Message(**fields).insert()
    await Message(**{**fields, "channel_id": 2}).insert()  # same id in another channel is another message
    assert await Message.count() == 2


async def test_one_order_intent_per_client_order_id(db: str) -> None:
    fields = dict(client_order_id="sc" + "0" * 30, signal_id="a" * 24, user_id="b" * 24, account_id="c" * 24,
                  leg="entry", mode=TradeMode.PAPER, symbol="BTC/USDT", side=OrderSide.BUY,
                  order_type="market", amount=1.0)
    await OrderIntent(**fields).insert()
    with pytest.raises(DuplicateKeyError):
        await OrderIntent(**fields).insert()


async def test_references_are_strings_that_find_and_count_alike(db: str) -> None:
    user = await User(discord_id=1, name="u").insert()
    provider = await Provider(name="p", channel_id=1).insert()
    await Subscription(user_id=ref(user), provider_id=ref(provider)).insert()
    assert await Subscription.find_one(Subscription.user_id == ref(user)) is not None
    assert await Subscription.find(Subscription.provider_id == ref(provider)).count() == 1
    with pytest.raises(ValueError, match="has no id yet"):
        ref(User(discord_id=2, name="new"))


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="probes the embedded server only")
async def test_the_embedded_server_gap_that_rules_out_objectid_references(db: str) -> None:
    """Documents why models/refs.py exists: on nx-27017 an ObjectId equality filter on a non-_id field
    matches nothing. If this starts failing, the server fixed the gap and ObjectId references become possible."""
    collection = User.get_pymongo_collection().database["gap_probe"]
    oid = ObjectId()
    await collection.insert_one({"owner": oid})
    found = await collection.find_one({"owner": oid})
    by_string = await collection.find_one({"owner": str(oid)})
    assert (found, by_string) == (None, None)
