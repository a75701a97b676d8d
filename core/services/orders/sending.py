"""Sending orders and applying what the venue reports.

- `send` places one intent (an emulated trigger stays armed until `fire`) and classifies failures: final
  rejections are stored and told; unknown outcomes become UNKNOWN for the reconciler.
- `apply` turns a venue's report into fills (one per new cumulative amount, so a report seen twice counts
  once), has the keeper fold them into the position and then lets protection re-sync it (`after_report`,
  set by the composition root: protection sends through this class, so the link is made there).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from core.domain import FINAL, LIVE, ON_VENUE, NotificationKind, OrderStatus
from core.execution.gateway import (
    CLASSIFIED,
    NotSent,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderResult,
    RateLimited,
)
from core.execution.leg_names import LegName
from core.execution.lifecycle import ALLOWED
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from core.services.orders.desk import LookUpFailed, OrderDesk, SentElsewhere
from core.services.orders.fold import EPS, describe
from core.services.orders.positions import PositionKeeper
from models import Fill, OrderIntent, Position, User
from models.query import one_of, where
from models.refs import ref

logger = logging.getLogger(__name__)
AfterReport = Callable[[Position], Awaitable[None]]


class OrderSender:
    def __init__(self, desk: OrderDesk, keeper: PositionKeeper, notifier: Notifier) -> None:
        self.desk = desk
        self.keeper = keeper
        self.notifier = notifier
        self.after_report: AfterReport | None = None  # protection's sync

    async def send(self, intent: OrderIntent, position: Position | None = None, *, fire: bool = False,
                   why: str | None = None, replacing: OrderIntent | None = None) -> OrderResult | None:
        """Place the intent (`replacing`: the order it replaces in the same venue request, see OrderDesk.place).
        Returns the venue's report, or None (armed, rejected, or unknown)."""
        if intent.emulated and intent.status is OrderStatus.PENDING and not fire:
            return None  # armed: the monitor fires it when the price reaches the trigger
        resting: list[OrderIntent] = []
        try:
            if await self._needs_coins(intent):
                assert intent.position_id is not None  # noqa: S101 - checked by _needs_coins
                async with self.desk.position_lock(intent.position_id):
                    resting = await self._resting_exits(intent)
                    for other in resting[:-1]:
                        await self.cancel(other, f"cancelled to free the coins for {intent.leg}")
                    # the exit replaces the stop holding its coins, in one request where the venue has one
                    result = await self.desk.place(intent, resting[-1] if resting else None)
            else:
                result = await self.desk.place(intent, replacing)
        except CLASSIFIED as exc:
            outcome = await self.failed(intent, exc, position)
            await self._protect_again([] if isinstance(exc, OrderOutcomeUnknown) else resting)
            return outcome
        except SentElsewhere as exc:
            logger.info("not sent here: %s", exc)
            await self._protect_again(resting)
            return None
        except LookUpFailed as exc:
            logger.warning("%s", exc)
            await self._protect_again(resting)
            return None
        await self.apply(intent, result, position, why=why)
        return result

    async def _needs_coins(self, intent: OrderIntent) -> bool:
        """An exit sent at market (a market order, or a fired trigger: fired now, or resent by the reconciler) on a
        venue where a resting stop holds the coins it would sell (spot)."""
        if not intent.reduce_only or intent.position_id is None or not (intent.order_type == "market"
                                                                         or intent.emulated):
            return False
        return (await self.desk.gateway(intent)).holds_coins()

    @staticmethod
    async def _resting_exits(intent: OrderIntent) -> list[OrderIntent]:
        """The position's other exits resting on the venue (its stop), which hold the coins `intent` sells: the
        exit replaces them (the stop for what is left is placed again by protection's sync after the report)."""
        return [other for other in await OrderIntent.live(position_id=intent.position_id, side=intent.side.value)
                if other.client_order_id != intent.client_order_id and other.reduce_only and not other.emulated
                and other.order_type != "market"]

    async def _protect_again(self, resting: list[OrderIntent]) -> None:
        """An exit that was to free the coins of these resting orders (its stop) was not sent, or was refused: their
        state is read from the venue (the stop may be cancelled already) and the stop goes back on at once. After an
        unknown outcome it waits for the reconciler: the coins may be sold."""
        if not resting or self.after_report is None:
            return
        for other in resting:
            try:
                found = await (await self.desk.gateway(other)).fetch_order(other.client_order_id, other.symbol,
                                                                           other.sent_as)
            except CLASSIFIED as exc:  # the monitor reads it on its next tick
                logger.warning("%s could not be read after a refused exit: %s", other.client_order_id, exc)
                continue
            if found is not None:
                await self.apply(other, found, sync=False)
        position = await Position.get(resting[0].position_id) if resting[0].position_id else None
        if position is not None:
            await self.after_report(position)

    async def failed(self, intent: OrderIntent, exc: Exception, position: Position | None = None
                     ) -> OrderResult | None:
        """What a classified send error means: a passed stop exits at market; a rejection (or a rate limit that
        outlived its retries) is final and told; an unknown outcome is left UNKNOWN for the reconciler; a failure
        before anything was sent (NotSent) leaves an armed trigger armed, and refuses any other order."""
        if isinstance(exc, OrderRejected) and exc.kind == "triggered" and intent.role == "sl" and not intent.emulated:
            return await self._stop_passed(intent, str(exc))
        if isinstance(exc, NotSent) and intent.emulated and intent.status is OrderStatus.PENDING:
            logger.warning("%s %s stays armed: %s", intent.leg, intent.client_order_id, exc)
            return None  # the monitor fires it again while the price is still beyond its trigger
        if isinstance(exc, OrderOutcomeUnknown):
            if intent.status is not OrderStatus.UNKNOWN:
                await self.desk.transition(intent, OrderStatus.UNKNOWN, f"outcome unknown: {exc}", error=str(exc))
            return None
        await self.refuse(intent, str(exc), position)
        return None

    async def fire(self, intent: OrderIntent, cause: str) -> OrderResult | None:
        """Send an armed (emulated) trigger now, as a market order under its own client id."""
        logger.info("firing %s %s: %s", intent.leg, intent.client_order_id, cause)
        return await self.send(intent, fire=True, why=cause)

    async def _stop_passed(self, intent: OrderIntent, reason: str) -> OrderResult | None:
        """The price is already beyond the stop: what the stop protects against has happened, so exit now at
        market under the stop's own client id (the venue refused it, so nothing exists under that id)."""
        logger.warning("stop %s already passed (%s): exiting at market", intent.client_order_id, reason)
        await self.desk.update(intent, emulated=True)
        return await self.fire(intent, f"the price already passed the stop: exit at market ({reason})")

    async def refuse(self, intent: OrderIntent, reason: str, position: Position | None = None) -> None:
        """Record a final refusal, tell the user, and settle the position if it was its last entry."""
        if intent.status not in (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FILLED):
            if not await self.desk.transition(intent, OrderStatus.REJECTED, f"rejected: {reason}", error=reason):
                return  # another runner moved it meanwhile (sent it): its outcome is that runner's to tell
        user = await User.get(intent.user_id)
        if user is None:
            return
        working = None
        if intent.role == "sl" and intent.position_id:
            others = [i for i in await OrderIntent.live(position_id=intent.position_id, role="sl")
                      if i.client_order_id != intent.client_order_id]
            working = others[-1].stop_price if others else None
        text = messages.order_refused(intent.symbol, intent.role, intent.leg, reason, working)
        # once per leg and reason: a stop refused again at each sync (sl.2, sl.3, ...) for one reason is told once
        await self.notifier.notify(user, NotificationKind.ORDER_REJECTED, text, signal_id=intent.signal_id,
                                   once_per=f"{LegName.parse(intent.leg).base}:{reason}")
        if intent.role == "entry":
            position = position or (await Position.get(intent.position_id) if intent.position_id else None)
            if position is not None:
                await self.keeper.settle_entries(position, f"entry refused: {reason}")

    async def cancel(self, intent: OrderIntent, cause: str, position: Position | None = None, *,
                     final: OrderStatus = OrderStatus.CANCELLED) -> None:
        """Cancel on the venue (or disarm); `final` is EXPIRED for entries that ran out of time."""
        if intent.status is OrderStatus.PENDING:  # never sent, or an armed trigger
            if await self.desk.transition(intent, final, cause) or intent.status in FINAL:
                return
            # another runner sent it since it was read: cancel it on the venue
        gateway = await self.desk.gateway(intent)
        try:
            async for attempt in AsyncRetrying(retry=retry_if_exception_type(RateLimited), wait=self.desk.backoff,
                                               stop=stop_after_attempt(self.desk.attempts), reraise=True):
                with attempt:  # a rate limit is waited out like a send's; a cancel is safe to repeat
                    result = await gateway.cancel_order(intent.client_order_id, intent.symbol, intent.sent_as)
        except CLASSIFIED as exc:  # still live, or unknown: what depends on it goes on, the reconciler retries
            logger.warning("cancel %s: %s (the reconciler will retry)", intent.client_order_id, exc)
            return
        if result is None:
            await self.desk.transition(intent, final, f"{cause} (never reached the venue)")
            return
        if result.status is OrderStatus.CANCELLED and final is not OrderStatus.CANCELLED:
            result = replace(result, status=final)
        await self.apply(intent, result, position, cause=cause, sync=False)

    async def apply(self, intent: OrderIntent, result: OrderResult, position: Position | None = None, *,
                    cause: str | None = None, why: str | None = None, sync: bool = True) -> None:
        """Fold the venue's report in. `cause` replaces the status text of the transition; `why` is added to it."""
        delta = result.filled - intent.filled
        if delta > EPS:
            await self.keeper.record_fill(intent, result)
        if result.status is not intent.status or delta > EPS:
            text = cause or describe(result) + (f" ({why})" if why else "")
            if result.status is intent.status:
                await self.desk.filled_more(intent, result.filled, result.average_price, result.fee)
            elif await self.desk.transition(intent, result.status, text, exchange_order_id=result.exchange_order_id,
                                            filled=result.filled, average_price=result.average_price,
                                            fee=result.fee):
                intent.filled, intent.average_price, intent.fee = result.filled, result.average_price, result.fee
            else:  # another runner moved it since it was read: go on from the record as it is now
                await self._behind(intent, result, position, cause=cause, why=why, sync=sync)
                return
        if intent.position_id is None:
            return
        position = await Position.find_one(where(Position.user_id == intent.user_id,
                                                 Position.signal_id == intent.signal_id))
        if position is None:
            return
        moved = await self.catch_up(position)
        if intent.role == "entry" and result.status not in LIVE:
            await self.keeper.settle_entries(position, cause or "entries done")
        if sync and (moved or result.status not in LIVE) and self.after_report is not None:
            await self.after_report(position)

    async def _behind(self, intent: OrderIntent, result: OrderResult, position: Position | None, *,
                      cause: str | None, why: str | None, sync: bool) -> None:
        """A report that found the record moved by another runner (`intent` is the record now). The record ended
        while the order was live on the venue (cancelled while another runner sent it): the record's decision
        stands, so the order is cancelled there. A report the record can still take is applied to it; one the
        record is already past is old news."""
        if intent.status in FINAL and result.status in ON_VENUE:
            logger.warning("%s is %s here but %s on the venue: cancelling it there", intent.client_order_id,
                           intent.status.value, result.status.value)
            gateway = await self.desk.gateway(intent)
            try:
                answer = await gateway.cancel_order(intent.client_order_id, intent.symbol, intent.sent_as)
            except CLASSIFIED as exc:
                logger.warning("cancel %s: %s (the reconciler will retry)", intent.client_order_id, exc)
                return
            if answer is not None and answer.filled - intent.filled > EPS:  # it traded before the cancel: it counts
                await self.keeper.record_fill(intent, answer)
                await self.desk.update(intent, filled=answer.filled, average_price=answer.average_price,
                                       fee=answer.fee)
                if position is not None:
                    await self.catch_up(position)
            return
        if result.status is intent.status or result.status in ALLOWED[intent.status]:
            await self.apply(intent, result, position, cause=cause, why=why, sync=sync)

    async def catch_up(self, position: Position) -> bool:
        """Fold the position's unapplied fills in and tell the user of each; True if it moved."""
        return bool(await self.keeper.catch_up(position, tell=self.tell_fill))

    async def tell_fill(self, position: Position, intent: OrderIntent, fill: Fill) -> None:
        if intent.role == "entry" and intent.order_type == "market":
            return  # a market entry is told as "Opened ..." by the trader
        user = await User.get(position.user_id)
        if user is None:
            return
        text = messages.order_filled(intent.role, LegName.parse(intent.leg).number, intent.side.value, fill.amount,
                                     position.symbol, fill.price, intent.mode.value,
                                     position.realized_pnl if position.status == "closed" else None)
        await self.notifier.notify(user, NotificationKind.fill(intent.role), text, signal_id=position.signal_id,
                                   once_per=f"{intent.leg}:{fill.trade_id}")


async def live_legs(position: Position, *roles: str) -> list[OrderIntent]:
    """The position's live orders of these roles (entry, sl, tp, exit)."""
    return await OrderIntent.live(position_id=ref(position), role=one_of(roles))
