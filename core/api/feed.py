"""The signals feed: the messages of the providers a member follows, newest first, each with how it was read and,
for this member, what was decided and why. Filterable by provider, symbol and outcome."""

from __future__ import annotations

import asyncio
from typing import Final

from beanie import PydanticObjectId
from pydantic import BaseModel

from core.api.common import Members
from core.api.errors import Invalid
from core.api.views import Caller
from core.clock import epoch_ms
from models import Decision, Message, Provider, Signal, Subscription
from models.query import where
from models.refs import ref

OUTCOMES: Final = ("trade", "block", "update", "noise", "rejected", "none")
MAX_ITEMS: Final = 200


class FeedItemView(BaseModel):
    message: str  # the message's id in this database
    provider: str
    posted_at_ms: int
    text: str
    kind: str  # signal | update | noise | rejected (read as a call, refused as one)
    symbol: str | None
    side: str | None
    outcome: str  # trade | block (for this member) | update | noise | rejected | none (no decision for you)
    rule: str | None
    reason: str | None  # why it was (not) traded, why it is not a call, or what the update did


def _outcome(kind: str, signal: Signal | None, decision: Decision | None) -> tuple[str, str | None, str | None]:
    if decision is not None:
        return decision.outcome.value, decision.rule, decision.reason
    if signal is not None and signal.kind == "update":
        return "update", None, signal.reason
    if signal is not None and signal.status == "rejected":
        return "rejected", None, signal.reason
    return ("noise" if kind == "noise" else "none"), None, None


class Feed:
    def __init__(self, members: Members) -> None:
        self.members = members

    async def signals(self, caller: Caller, *, provider_id: str | None = None, symbol: str | None = None,
                      outcome: str | None = None, limit: int = 50) -> list[FeedItemView]:
        if outcome is not None and outcome not in OUTCOMES:
            raise Invalid([f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}"])
        if not 1 <= limit <= MAX_ITEMS:
            raise Invalid([f"limit: 1-{MAX_ITEMS}"])
        user = await self.members.user(caller)
        followed = [s.provider_id for s in await Subscription.find(where(Subscription.user_id == ref(user))).to_list()]
        if provider_id is not None:
            followed = [p for p in followed if p == provider_id]
        providers = {str(p.id): p.name for p in await Provider.find(
            {"_id": {"$in": [PydanticObjectId(p) for p in followed]}}).to_list()}
        window = limit * 4 if symbol or outcome else limit  # filters drop some: read further back
        recent = await asyncio.gather(*(Message.find({"provider_id": {"$eq": p}}).sort("-posted_at").limit(window)
                                        .to_list() for p in followed))
        messages = sorted((m for part in recent for m in part if m.deleted_at_ms is None),
                          key=lambda m: m.posted_at, reverse=True)[:window]
        signals = {s.message_id: s for s in await Signal.find(
            {"message_id": {"$in": [ref(m) for m in messages]}}).to_list()} if messages else {}
        decisions = {d.signal_id: d for d in await Decision.find(
            {"user_id": ref(user), "signal_id": {"$in": [ref(s) for s in signals.values()]}}).to_list()} \
            if signals else {}
        items = []
        for m in messages:
            signal = signals.get(ref(m))
            decision = decisions.get(ref(signal)) if signal is not None else None
            kind = "rejected" if signal is not None and signal.status == "rejected" else m.kind or "noise"
            result, rule, reason = _outcome(kind, signal, decision)
            item = FeedItemView(message=ref(m), provider=providers.get(m.provider_id, "?"),
                                posted_at_ms=epoch_ms(m.posted_at), text=m.text, kind=kind,
                                symbol=signal.symbol if signal else None,
                                side=signal.side.value if signal is not None and signal.side else None,
                                outcome=result, rule=rule, reason=reason or m.reason)
            if (symbol is None or item.symbol == symbol.upper()) and (outcome is None or item.outcome == outcome):
                items.append(item)
        return items[:limit]
