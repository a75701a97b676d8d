"""What a user's own profile would do with a call, without trading or storing anything: the same decision the
pipeline makes (conflicts, every risk check, the size), on an unsaved copy of the call. For admins testing a
provider's format and members asking "would this trade for me?"."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

from beanie import PydanticObjectId

from core.domain import NewSignal
from core.services.decide.deciding import Decider
from models import Decision, Message, Provider, Signal, Subscription, User
from models.query import where
from models.refs import ref


async def _unsaved(signal: Signal) -> Signal:
    return signal


async def dry_run(decider: Decider, user: User, provider: Provider, parsed: NewSignal, text: str,
                  now: datetime) -> Decision:
    signal = Signal(message_id=str(PydanticObjectId()), provider_id=ref(provider), kind="signal",
                    symbol=parsed.symbol, side=parsed.side, entry_type=parsed.entry_type, entries=list(parsed.entries),
                    take_profits=list(parsed.take_profits), stop_loss=parsed.stop_loss, leverage=parsed.leverage,
                    created_at=now)
    signal.id = PydanticObjectId()  # an id no stored call has: nothing is linked to it
    message = Message(provider_id=ref(provider), channel_id=provider.channel_id, message_id=0, author="dry run",
                      text=text, posted_at=now, received_at=now)
    stored: Awaitable[Signal] = _unsaved(signal)
    scope = await decider.scope(stored, parsed, message, provider)
    sub = await Subscription.find_one(where(Subscription.user_id == ref(user),
                                            Subscription.provider_id == ref(provider)))
    [seat] = await decider.seats([sub or Subscription(user_id=ref(user), provider_id=ref(provider))])
    [decision] = await decider.decide_many(scope, [seat])
    return decision
