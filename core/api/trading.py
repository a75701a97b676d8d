"""A member's trading: positions and their close, exchange accounts (never a key), the calculator on their own
balance, the decision on a call ("why"), and their notifications."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from core.api.common import Members, owned
from core.api.errors import Invalid
from core.api.views import (
    Caller,
    OrderView,
    PositionView,
)
from core.domain import LIVE
from core.services.orders.repricing import EntryRepricer, RepriceRefused
from core.services.trade.closing import PositionCloser
from models import OrderIntent, Position, User
from models.orders import ACTIVE, ENDED
from models.query import where
from models.refs import ref


def position_view(p: Position, stops: list[OrderIntent] | None = None) -> PositionView:
    """`stops`: the position's live stop orders, when its protection is to be shown."""
    return PositionView(id=str(p.id), symbol=p.symbol, side=p.side.value, status=p.status, mode=p.mode.value,
                        amount=p.amount, entry_price=p.entry_price, leverage=p.leverage, stop_loss=p.stop_loss,
                        take_profits=list(p.take_profits), targets_hit=p.targets_hit, realized_pnl=p.realized_pnl,
                        close_reason=p.close_reason, protection=protection(p, stops) if stops is not None else "")


def protection(p: Position, stops: list[OrderIntent]) -> str:
    """Who holds an open position's stop: the exchange; Signalcord (it fires the stop, so only while it runs);
    or nobody (no stop was given, or it is not working)."""
    if p.status != "open":
        return ""
    if any(not s.emulated for s in stops):
        return PROTECTED_ON_EXCHANGE
    return PROTECTED_WHILE_RUNNING if stops else UNPROTECTED


def order_view(i: OrderIntent) -> OrderView:
    return OrderView(id=str(i.id), position_id=i.position_id, symbol=i.symbol, leg=i.leg, role=i.role,
                     side=i.side.value, order_type=i.order_type, amount=i.amount, filled=i.filled, price=i.price,
                     stop_price=i.stop_price, status=i.status.value, on_exchange=not i.emulated)


async def open_views(user: User, found: list[Position]) -> list[PositionView]:
    """Views of the user's active positions (read already), oldest first, each with who holds its stop."""
    stops: dict[str, list[OrderIntent]] = {ref(p): [] for p in found}
    for stop in await OrderIntent.live(user_id=ref(user), role="sl"):
        stops.setdefault(stop.position_id or "", []).append(stop)
    return [position_view(p, stops[ref(p)]) for p in sorted(found, key=lambda p: p.opened_at_ms)]


def _check_price(price: float) -> None:
    if not math.isfinite(price) or price <= 0:  # NaN compares false with everything: refused before any check
        raise Invalid([f"price: {price:g} is not above 0"])


PROTECTED_ON_EXCHANGE = "on the exchange"
PROTECTED_WHILE_RUNNING = "while Signalcord runs"
UNPROTECTED = "no working stop"


class Positions:
    def __init__(self, members: Members, closer: PositionCloser) -> None:
        self.members = members
        self.closer = closer
        self.repricer = EntryRepricer(closer.protection)

    async def open(self, caller: Caller) -> list[PositionView]:
        user = await self.members.user(caller)
        return await open_views(user, await Position.active(user_id=ref(user)))

    async def history(self, caller: Caller, limit: int = 50) -> list[PositionView]:
        user = await self.members.user(caller)
        limit = max(1, min(limit, 500))
        parts = await asyncio.gather(*(  # one indexed read per ended status (an `$in` reads every row; see docs)
            Position.find(where(Position.user_id == ref(user), Position.status == status)).sort("-opened_at_ms")
            .limit(limit).to_list() for status in ENDED))
        found = sorted((p for part in parts for p in part), key=lambda p: p.opened_at_ms, reverse=True)[:limit]
        return [position_view(p) for p in found]

    async def orders(self, caller: Caller) -> list[OrderView]:
        """The caller's live orders: entries waiting, stops and targets (on the exchange, or armed here)."""
        user = await self.members.user(caller)
        found = await OrderIntent.live(user_id=ref(user))
        return [order_view(i) for i in sorted(found, key=lambda i: (i.symbol, i.leg))]

    async def _waiting_entry(self, caller: Caller, order_id: str, instead: str) -> OrderIntent:
        """The caller's live entry order `order_id`; a stop or target is refused, saying what to do `instead`."""
        intent = await owned(OrderIntent, order_id, await self.members.user(caller), "order")
        if intent.status not in LIVE:
            raise Invalid([f"{intent.symbol} {intent.leg} is already {intent.status.value}"])
        if intent.role != "entry":
            raise Invalid([f"{intent.symbol} {intent.leg} protects your position: {instead}"])
        return intent

    async def cancel_order(self, caller: Caller, order_id: str) -> str:
        """Cancel a waiting entry. Stops and targets follow the position (move the stop, or close it instead)."""
        intent = await self._waiting_entry(caller, order_id, "move the stop or close the position instead")
        position = await Position.get(intent.position_id) if intent.position_id else None
        await self.closer.sender.cancel(intent, f"cancelled by you ({caller.name or caller.discord_id})", position)
        if position is not None:
            await self.closer.keeper.settle_entries(position, "you cancelled its entries")
        return f"cancelled {intent.symbol} {intent.leg}"

    async def reprice_entry(self, caller: Caller, order_id: str, price: float) -> str:
        """Move a waiting limit entry to a new price: the old order is cancelled, then the new one sent for what it
        left unfilled, never with more risk to the stop or more value than before."""
        _check_price(price)
        intent = await self._waiting_entry(caller, order_id, "move the stop instead")
        try:
            return await self.repricer.reprice(intent, price, f"re-priced by you ({caller.name or caller.discord_id})")
        except RepriceRefused as refused:
            raise Invalid([str(refused)]) from None

    async def move_stop(self, caller: Caller, position_id: str, price: float) -> PositionView:
        """Move a position's stop (a stop past the price exits at market at once). A price more than double or under
        half the entry on the wrong side is refused as a typo."""
        _check_price(price)
        position = await owned(Position, position_id, await self.members.user(caller), "position")
        if position.status not in ACTIVE:
            raise Invalid([f"the {position.symbol} position is {position.status}"])
        long = position.side.value == "long"
        if position.entry_price and (price >= position.entry_price * 2 if long else price <= position.entry_price / 2):
            raise Invalid([f"a stop at {price:g} is far on the wrong side of the entry {position.entry_price:g}"])
        await self.closer.keeper.move_stop(position, price)
        await self.closer.protection.sync(position)
        fresh = await Position.get(position.id)
        return position_view(fresh or position)

    async def close(self, caller: Caller, position_id: str, fraction: float = 1.0) -> str:
        if not 0 < fraction <= 1:
            raise Invalid([f"fraction: {fraction:g} is not between 0 (excluded) and 1"])
        position = await owned(Position, position_id, await self.members.user(caller), "position")
        return await self.closer.close(str(position.id), f"closed by you ({caller.name or caller.discord_id})",
                                       fraction=fraction, leg="manual")

    async def close_all(self, caller: Caller) -> list[str]:
        """Close every open or pending position of the caller at market; what happened to each, in words. One
        that fails is reported and the others still close."""
        user = await self.members.user(caller)
        cause = f"closed by you ({caller.name or caller.discord_id})"
        done: list[str] = []
        for position in await Position.active(user_id=ref(user)):
            try:
                done.append(await self.closer.close(str(position.id), cause, leg="manual"))
            except Exception as exc:  # one position's venue never stops the others' close
                done.append(f"{position.symbol}: could not close now ({exc})")
        return done


__all__: list[Any] = ["Positions"]
