"""Closing a position at market: one exit leg per position (its client id says so), realised P&L recorded."""

from __future__ import annotations

import logging

from core.clock import Clock, epoch_ms
from core.domain import OrderStatus, Side
from core.execution.gateway import OrderOutcomeUnknown, OrderRejected
from core.services.notify import Notifier
from core.services.orders import Leg, OrderDesk
from models import ExchangeAccount, Position, User
from models.refs import ref

logger = logging.getLogger(__name__)


def realised_pnl(position: Position, exit_price: float, exit_fee: float) -> float:
    sign = 1 if position.side is Side.LONG else -1
    return sign * (exit_price - position.entry_price) * position.amount - position.fees - exit_fee


class PositionCloser:
    def __init__(self, desk: OrderDesk, notifier: Notifier, clock: Clock) -> None:
        self.desk = desk
        self.notifier = notifier
        self.clock = clock

    async def close(self, position_id: str, cause: str) -> str:
        """Close the position at market; returns what happened, in words. Safe to call again."""
        position = await Position.get(position_id)
        if position is None:
            return "the position no longer exists"
        if position.status != "open":
            return f"the {position.symbol} position was already {position.status}"
        account = await ExchangeAccount.get(position.account_id)
        user = await User.get(position.user_id)
        if account is None or user is None:
            return "the position's account is gone; close it on the exchange yourself"
        leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg="exit", symbol=position.symbol,
                  side=position.side.exit_order_side, amount=position.amount, price=None, cause=cause,
                  reduce_only=True)
        intent = await self.desk.claim(leg, account)
        try:
            result = await self.desk.place(intent)
        except OrderRejected as exc:
            await self.desk.transition(intent, OrderStatus.REJECTED, f"rejected: {exc}", error=str(exc))
            text = f"Could not close your {position.symbol} position ({cause}): {exc}. Close it yourself."
            await self.notifier.notify(user, "close_failed", text, signal_id=position.signal_id)
            return f"closing {position.symbol} failed: {exc}"
        except OrderOutcomeUnknown as exc:
            await self.desk.transition(intent, OrderStatus.UNKNOWN, f"outcome unknown: {exc}", error=str(exc))
            return f"closing {position.symbol}: outcome unknown, being reconciled ({exc})"
        await self.desk.record_fill(intent, result)
        exit_price = result.average_price or position.entry_price
        pnl = realised_pnl(position, exit_price, result.fee)
        await position.set({Position.status: "closed", Position.exit_price: exit_price, Position.realized_pnl: pnl,
                            Position.fees: position.fees + result.fee, Position.close_reason: cause,
                            Position.closed_at_ms: epoch_ms(result.at)})
        text = (f"Closed your {position.side.value.upper()} {position.amount:g} {position.symbol} @ {exit_price:g} "
                f"({cause}): P&L {pnl:+,.2f}.")
        await self.notifier.notify(user, "position_closed", text, signal_id=position.signal_id,
                                   payload={"position_id": ref(position), "pnl": pnl})
        return f"closed {position.symbol} @ {exit_price:g}, P&L {pnl:+,.2f}"
