"""Orders to positions: send legs, apply what the venue reports, keep each position's protection right.

- `send` places one intent (armed locally when it is an emulated trigger) and classifies failures: final
  rejections are stored and told; unknown outcomes become UNKNOWN for the reconciler.
- `apply` turns a venue's report into fills (one per new cumulative amount, so a report seen twice counts
  once), moves the position (entries grow it, exits shrink it and realise P&L) and then `sync`s it.
- `sync` compares the protective legs the position should have (core.execution.legs) with the live ones and
  cancels/replaces the difference: a filled target shrinks the stop; a filled stop leaves nothing to protect,
  so the targets are cancelled (one-cancels-the-other, emulated); a moved stop is a new generation (sl.2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace

from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms
from core.domain import LIVE, NotificationKind, OrderStatus, RiskProfile, Side
from core.execution.gateway import (
    CLASSIFIED,
    ExecutionGateway,
    NotSent,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderResult,
)
from core.execution.leg_names import LegName
from core.execution.legs import Book, PlannedLeg, protective_legs, tightened_stop
from core.market.rules import paper_rules
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from core.services.orders.desk import LIVE_QUERY, Leg, OrderDesk, SentElsewhere
from models import ExchangeAccount, Fill, OrderIntent, Position, RealizedPnl, User
from models.bulk import insert_new
from models.orders import ENDED
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
EPS = 1e-12


def book(position: Position) -> Book:
    return Book(position.side, position.amount, position.entered, position.entry_price, position.stop_loss,
                tuple(position.take_profits), position.targets_hit)


def profile_of(position: Position) -> RiskProfile:
    return RiskProfile.model_validate(position.profile) if position.profile else RiskProfile()


def protective_leg(position: Position, leg: PlannedLeg, name: str, gateway: ExecutionGateway) -> Leg:
    """The order for a planned stop or target, emulated when the venue does not hold that order type."""
    return Leg(signal_id=position.signal_id, user_id=position.user_id, leg=name, symbol=position.symbol,
               side=leg.side, amount=leg.amount, price=None, stop_price=leg.stop_price,
               cause=f"protect {leg.amount:g} @ {leg.stop_price:g}", reduce_only=True, order_type=leg.order_type,
               role=leg.role, position_id=ref(position), emulated=not gateway.supports(leg.order_type))


class Executor:
    def __init__(self, desk: OrderDesk, notifier: Notifier, clock: Clock) -> None:
        self.desk = desk
        self.notifier = notifier
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, position_id: str) -> asyncio.Lock:
        return self._locks.setdefault(position_id, asyncio.Lock())

    async def live_intents(self, position: Position, roles: tuple[str, ...]) -> list[OrderIntent]:
        return await OrderIntent.find(where({"position_id": ref(position), "role": {"$in": list(roles)},
                                             "status": LIVE_QUERY})).to_list()

    # -- sending ---------------------------------------------------------------------------------------------

    async def send(self, intent: OrderIntent, position: Position | None = None, *,
                   fire: bool = False, why: str | None = None) -> OrderResult | None:
        """Place the intent. Returns the venue's report, or None (armed, rejected, or unknown)."""
        if intent.emulated and intent.status is OrderStatus.PENDING and not fire:
            return None  # armed: the monitor fires it when the price reaches the trigger
        try:
            result = await self.desk.place(intent)
        except CLASSIFIED as exc:
            return await self.failed(intent, exc, position)
        except SentElsewhere as exc:
            logger.info("not sent here: %s", exc)
            return None
        await self.apply(intent, result, position, why=why)
        return result

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
            await self.desk.transition(intent, OrderStatus.REJECTED, f"rejected: {reason}", error=reason)
        user = await User.get(intent.user_id)
        if user is None:
            return
        text = messages.order_refused(intent.symbol, intent.role, intent.leg, reason)
        await self.notifier.notify(user, NotificationKind.ORDER_REJECTED, text, signal_id=intent.signal_id,
                                   once_per=intent.leg)
        if intent.role == "entry":
            position = position or (await Position.get(intent.position_id) if intent.position_id else None)
            if position is not None:
                await self.settle_entries(position, f"entry refused: {reason}")

    async def cancel(self, intent: OrderIntent, cause: str, position: Position | None = None, *,
                     final: OrderStatus = OrderStatus.CANCELLED) -> None:
        """Cancel on the venue (or disarm); `final` is EXPIRED for entries that ran out of time."""
        if intent.status is OrderStatus.PENDING:  # never sent, or an armed trigger
            await self.desk.transition(intent, final, cause)
            return
        gateway = await self.desk.gateway(intent)
        try:
            result = await gateway.cancel_order(intent.client_order_id, intent.symbol)
        except OrderOutcomeUnknown as exc:
            logger.warning("cancel %s: %s (the reconciler will retry)", intent.client_order_id, exc)
            return
        if result is None:
            await self.desk.transition(intent, final, f"{cause} (never reached the venue)")
            return
        if result.status is OrderStatus.CANCELLED and final is not OrderStatus.CANCELLED:
            result = replace(result, status=final)
        await self.apply(intent, result, position, cause=cause, sync=False)

    # -- applying reports ------------------------------------------------------------------------------------

    async def apply(self, intent: OrderIntent, result: OrderResult, position: Position | None = None, *,
                    cause: str | None = None, why: str | None = None, sync: bool = True) -> None:
        """Fold the venue's report in. `cause` replaces the status text of the transition; `why` is added to it."""
        delta = result.filled - intent.filled
        if delta > EPS:
            await self._record_fill(intent, result, delta)
        if result.status is not intent.status or delta > EPS:
            text = cause or self.describe(result) + (f" ({why})" if why else "")
            if result.status is intent.status:
                await self.desk.update(intent, filled=result.filled, average_price=result.average_price,
                                       fee=result.fee)
            else:
                await self.desk.transition(intent, result.status, text, exchange_order_id=result.exchange_order_id,
                                           filled=result.filled, average_price=result.average_price,
                                           fee=result.fee)
                intent.filled, intent.average_price, intent.fee = result.filled, result.average_price, result.fee
        if intent.position_id is None:
            return
        position = await Position.find_one(where(Position.user_id == intent.user_id,
                                                 Position.signal_id == intent.signal_id))
        if position is None:
            return
        moved = await self.catch_up(position)
        if intent.role == "entry" and result.status not in LIVE:
            await self.settle_entries(position, "entries done")
        if sync and (moved or result.status not in LIVE):
            await self.sync(position)

    @staticmethod
    def describe(result: OrderResult) -> str:
        if result.filled > EPS and result.average_price is not None:
            return f"{result.status.value}: {result.filled:g} @ {result.average_price:g}"
        return f"{result.status.value} on the venue"

    @staticmethod
    def fill_of(intent: OrderIntent, result: OrderResult, delta: float) -> Fill:
        """The fill a report adds to what the intent had: `delta` more at the price that makes the new average."""
        before_cost = intent.filled * (intent.average_price or 0.0)
        price = (result.filled * (result.average_price or 0.0) - before_cost) / delta
        return Fill(client_order_id=intent.client_order_id, user_id=intent.user_id, account_id=intent.account_id,
                    symbol=intent.symbol, side=intent.side, amount=delta, price=price,
                    fee=max(0.0, result.fee - intent.fee), fee_currency=result.fee_currency,
                    trade_id=f"{result.exchange_order_id}:{result.filled:.12g}", filled_at=result.at)

    async def _record_fill(self, intent: OrderIntent, result: OrderResult, delta: float) -> None:
        fill = self.fill_of(intent, result, delta)
        try:
            await fill.insert()
        except DuplicateKeyError:
            pass  # recorded by an earlier run

    async def catch_up(self, position: Position) -> bool:
        """Fold every fill of the position's orders not yet applied into it (a fold over fills, so a crash
        between recording a fill and moving the position is repaired the next time). True if it moved."""
        async with self.lock(f"fills:{position.user_id}:{position.signal_id}"):
            fresh = await Position.get(ref(position))
            if fresh is None:
                return False
            intents = {i.client_order_id: i for i in await OrderIntent.find(
                where(OrderIntent.user_id == position.user_id, OrderIntent.signal_id == position.signal_id)).to_list()}
            fills = await Fill.find({"client_order_id": {"$in": sorted(intents)}}).sort("filled_at", "_id").to_list()
            new = [f for f in fills if f.trade_id not in fresh.applied]
            if not new:
                return False
            realized = self.fold_all((fresh, intents[fill.client_order_id], fill) for fill in new)
            await insert_new(RealizedPnl, realized, "trade_id")  # first: see RealizedPnl
            await fresh.save()
        for name in Position.model_fields:
            setattr(position, name, getattr(fresh, name))
        for fill in new:
            await self.tell_fill(position, intents[fill.client_order_id], fill)
        return True

    @staticmethod
    def fold(position: Position, intent: OrderIntent, fill: Fill) -> float | None:
        """Move the position by the fill; returns what an exit realised (None for an entry)."""
        delta = fill.amount
        position.applied.append(fill.trade_id)
        position.fees += fill.fee
        if intent.role == "entry":
            total = position.amount + delta
            position.entry_price = (position.amount * position.entry_price + delta * fill.price) / total
            if position.status == "pending":
                position.opened_at, position.opened_at_ms = fill.filled_at, epoch_ms(fill.filled_at)
                position.best_price = fill.price
            position.amount, position.entered, position.status = total, position.entered + delta, "open"
            position.entry_fees += fill.fee
            position.open_entry_fees += fill.fee
            position.margin = total * position.entry_price / (position.leverage or 1)
            return None
        sign = 1 if position.side is Side.LONG else -1
        closed = min(delta, position.amount)
        # the closed part's share of the entry fees still open (right when entries fill after a partial exit)
        entry_fee_share = position.open_entry_fees * closed / position.amount if position.amount > EPS else 0.0
        position.open_entry_fees -= entry_fee_share
        pnl = sign * (fill.price - position.entry_price) * closed - fill.fee - entry_fee_share
        position.realized_pnl += pnl
        position.amount = max(0.0, position.amount - closed)
        done = intent.status is OrderStatus.FILLED or intent.filled >= intent.amount - EPS * max(1.0, intent.amount)
        if intent.role == "tp" and done:  # a target is hit once its order filled in full, not at its first part
            position.targets_hit = max(position.targets_hit, LegName.parse(intent.leg).number)
            moved = tightened_stop(book(position), position.best_price or fill.price, profile_of(position),
                                   paper_rules(position.symbol))
            position.stop_loss = moved if moved is not None else position.stop_loss  # break-even after target n
        if position.amount <= EPS:
            reason = {"sl": "stop-loss hit", "tp": "last target hit"}.get(intent.role, intent.history[0].cause)
            position.amount, position.status, position.exit_price = 0.0, "closed", fill.price
            position.close_reason, position.closed_at_ms = reason, epoch_ms(fill.filled_at)
        return pnl

    @classmethod
    def fold_all(cls, folds: Iterable[tuple[Position, OrderIntent, Fill]]) -> list[RealizedPnl]:
        """Fold each fill into its position, in order; returns the ledger rows of what the exits realised."""
        return [RealizedPnl(trade_id=fill.trade_id, position_id=ref(position), user_id=position.user_id,
                            account_id=position.account_id, exchange=position.exchange, symbol=position.symbol,
                            pnl=pnl, at_ms=epoch_ms(fill.filled_at))
                for position, intent, fill in folds if (pnl := cls.fold(position, intent, fill)) is not None]

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

    async def settle_entries(self, position: Position, cause: str) -> None:
        """No entry is live any more: a position that never filled is cancelled."""
        live = await self.live_intents(position, ("entry",))
        if live:
            return
        if position.status == "pending":
            position.status, position.close_reason = "cancelled", cause
            position.closed_at_ms = epoch_ms(self.clock())
            await position.save()

    async def take_targets(self, position: Position, upto: int, cause: str) -> str:
        """Targets 1..upto were reached by the provider's account: take those of ours still open at market
        (an armed one is fired; one resting on the venue is cancelled and its rest sent as a market order
        under the same target name, so the fold counts it as that target). Returns what was done."""
        if position.status != "open":
            return f"no open position to take profit on (it is {position.status})"
        taken: list[str] = []
        account = await ExchangeAccount.get(position.account_id)
        for intent in sorted(await self.live_intents(position, ("tp",)), key=lambda i: i.leg):
            name = LegName.parse(intent.leg)
            number = name.number
            if number > upto:
                continue
            if intent.emulated and intent.status is OrderStatus.PENDING:
                await self.fire(intent, cause)
            else:
                await self.cancel(intent, cause, position)
                fresh = await OrderIntent.get(intent.id) if intent.id else None
                rest = fresh.amount - fresh.filled if fresh is not None else 0.0
                if fresh is None or fresh.status is OrderStatus.FILLED or rest <= EPS or account is None:
                    continue
                leg = Leg(signal_id=position.signal_id, user_id=position.user_id, leg=name.at_market(),
                          symbol=position.symbol, side=intent.side, amount=rest, price=None,
                          stop_price=intent.stop_price, cause=cause, reduce_only=True, role="tp",
                          position_id=ref(position))
                claimed = await self.desk.claim(leg, account)
                if claimed.status is OrderStatus.PENDING:
                    await self.send(claimed, position)
            taken.append(f"target {number}")
        if not taken:
            return f"targets up to {upto} had already filled; nothing to do"
        fresh_position = await Position.get(ref(position)) or position
        left = "position closed" if fresh_position.status == "closed" else f"{fresh_position.amount:g} left open"
        return f"took {', '.join(taken)} at market; {left}"

    # -- protection -------------------------------------------------------------------------------------------

    async def sync(self, position: Position) -> None:
        """Make the live protective legs match what the position needs now."""
        async with self.lock(ref(position)):
            fresh = await Position.get(ref(position))
            if fresh is None:
                return
            position = fresh
            closing = position.status in ENDED
            wanted = [] if closing else protective_legs(book(position), profile_of(position),
                                                        paper_rules(position.symbol))
            live = {LegName.parse(i.leg).base: i for i in await self.live_intents(position, ("sl", "tp"))}
            to_send: list[PlannedLeg] = []
            for leg in wanted:
                current = live.pop(leg.name, None)
                if current is not None and self._same(current, leg):
                    continue
                if current is not None:
                    await self.cancel(current, f"replaced: {leg.name} now {leg.amount:g} @ {leg.stop_price:g}")
                to_send.append(leg)
            for stale in live.values():
                await self.cancel(stale, "no longer needed: position " + ("closed" if closing else "changed"))
            if closing:
                for entry in await self.live_intents(position, ("entry",)):
                    await self.cancel(entry, f"position {position.status}")
            account = await ExchangeAccount.get(position.account_id)
            if account is None:
                return
            # claimed under the lock, so an overlapping sync finds the replacement live and leaves it be
            claimed = [await self._claim_protective(position, leg, account) for leg in to_send]
        for intent in claimed:  # sent outside it: a fill on sending syncs this position again
            if intent.status is OrderStatus.PENDING:
                await self.send(intent, position)

    @staticmethod
    def _same(intent: OrderIntent, leg: PlannedLeg) -> bool:
        step = paper_rules(intent.symbol).amount_step
        return abs(intent.amount - leg.amount) <= step * 1.01 and intent.stop_price == leg.stop_price

    async def _claim_protective(self, position: Position, leg: PlannedLeg, account: ExchangeAccount) -> OrderIntent:
        """Store the leg's next generation (sl, sl.2, ...) as an intent, or find it stored already."""
        same_leg = {"$regex": f"^{leg.name}(\\.|$)"}
        generation = await OrderIntent.find(where({"position_id": ref(position), "leg": same_leg})).count()
        name = leg.name if generation == 0 else f"{leg.name}.{generation + 1}"
        gateway = await self.desk.gateways.for_account(ref(account))
        return await self.desk.claim(protective_leg(position, leg, name, gateway), account)
