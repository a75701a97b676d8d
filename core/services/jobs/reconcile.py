"""Reconciliation: at start-up and every minute, what we recorded is compared with what the venues hold.

1. Every intent that may be on a venue (submitted, unknown, open, partially filled), and every venue order
   stored but never sent (pending: the process stopped between storing and sending it), is looked up by its
   client id. Found: its state and fills are applied. Not found (and older than a grace period, so it cannot still be
   in flight): it never landed, so sending it now under the same id cannot duplicate it; it is sent when it is
   still wanted (an entry still fresh, a protective or closing leg of a live position), otherwise closed with
   the reason. A re-priced entry is finished instead (`EntryRepricer.finish`: the order it replaces is cancelled
   first). An order that was open and has vanished (cancelled outside Signalcord) is marked cancelled and
   the user told.
2. Orders on an exchange account that carry our client-id prefix but have no intent (strays, e.g. after a
   database restore) are adopted: recorded as `stray` intents, then tracked like any other, and the user told.
   The paper exchange lives in our own database and is written only after its intent, so it has no strays.
3. Every position with something live is folded up to date and its protective legs synced; an open position
   with a stop-loss that still has no live stop afterwards is reported to its user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.clock import Clock, epoch_ms
from core.config.logs import RateLimitedLog
from core.domain import ON_VENUE, RESTING, NotificationKind, OrderStatus, TradeMode
from core.execution.gateway import ExecutionGateway, OrderOutcomeUnknown, OrderRejected, OrderResult, RateLimited
from core.execution.ids import PREFIX
from core.services.notify import messages
from core.services.notify.notifier import Notifier
from core.services.orders.protection import Protection
from core.services.orders.repricing import EntryRepricer
from core.services.orders.sending import live_legs
from models import ExchangeAccount, OrderIntent, Position, User
from models.orders import ACTIVE, NO_SIGNAL, Transition
from models.query import find_in
from models.refs import ref

logger = logging.getLogger(__name__)
_skipped = RateLimitedLog(logger)
_VENUE_ERRORS = (OrderOutcomeUnknown, OrderRejected, RateLimited)  # expected: no traceback in the log


@dataclass
class ReconcileReport:
    checked: int = 0
    updated: list[str] = field(default_factory=list)  # intents whose venue state was applied
    resent: list[str] = field(default_factory=list)  # never landed, sent now under the same id
    dropped: list[str] = field(default_factory=list)  # never landed and no longer wanted / vanished
    adopted: list[str] = field(default_factory=list)  # strays with our prefix
    unreachable: list[str] = field(default_factory=list)  # the venue did not answer: next pass
    unprotected: list[str] = field(default_factory=list)  # open positions still without a stop


class Reconciler:
    def __init__(self, protection: Protection, notifier: Notifier, clock: Clock, *, grace_s: float = 30.0,
                 market_entry_window_s: float = 120.0) -> None:
        self.protection = protection
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.repricer = EntryRepricer(protection)
        self.notifier = notifier
        self.clock = clock
        self.grace_ms = int(grace_s * 1000)
        self.market_entry_window_ms = int(market_entry_window_s * 1000)

    async def run(self) -> ReconcileReport:
        report = ReconcileReport()
        intents = await find_in(OrderIntent, {}, "status", sorted(s.value for s in ON_VENUE))
        intents += await find_in(OrderIntent, {"emulated": False}, "status", [OrderStatus.PENDING.value])  # unsent
        # stops last: what the other orders filled is folded first, so a stop found ended (on spot, cancelled by the
        # exit that sold its coins) is replaced for what is left, not for the whole position
        intents.sort(key=lambda i: i.role == "sl")
        for intent in intents:
            report.checked += 1
            try:
                await self._intent(intent, report)
            except Exception as exc:  # one order's venue or record never stops the others: next pass
                report.unreachable.append(f"{intent.leg} {intent.client_order_id}: {exc}")
                _skipped.warning(f"account {intent.account_id}", "reconcile: order %s skipped: %s",
                                 intent.client_order_id, exc, exc_info=not isinstance(exc, _VENUE_ERRORS))
        await self._strays(report)
        await self._positions(report)
        if report.updated or report.resent or report.dropped or report.adopted or report.unprotected:
            logger.info("reconciled: %s", report)
        return report

    # -- intents ---------------------------------------------------------------------------------------------

    async def _intent(self, intent: OrderIntent, report: ReconcileReport) -> None:
        gateway = await self.sender.desk.gateway(intent)
        found = await gateway.fetch_order(intent.client_order_id, intent.symbol, intent.sent_as)
        if found is not None:
            if found.status is not intent.status or found.filled > intent.filled:
                await self.sender.apply(intent, found)
                report.updated.append(f"{intent.leg} -> {found.status.value}")
            return
        now_ms = epoch_ms(self.clock())
        if intent.updated_at_ms > now_ms - self.grace_ms:
            return  # may still be on its way
        name = f"{intent.symbol} {intent.leg}"
        if intent.status in RESTING:
            await self.sender.desk.transition(intent, OrderStatus.CANCELLED,
                                                "no longer on the exchange (cancelled outside Signalcord?)")
            await self._tell(intent, messages.order_vanished(intent.symbol, intent.leg))
            report.dropped.append(f"{name}: vanished")
            return
        unwanted = await self._unwanted(intent, now_ms)
        if unwanted:
            await self.sender.refuse(intent, f"it never reached the exchange and {unwanted}")
            report.dropped.append(f"{name}: {unwanted}")
            return
        if not await self.sender.desk.claim_resend(intent):
            return  # another process is resending it
        if intent.replaces and intent.status is OrderStatus.PENDING:  # a re-price cut before its old order ended
            await self.repricer.finish(intent, "re-priced by you")
        else:
            await self.sender.send(intent)  # looks up the id once more, then sends once
        report.resent.append(name)

    async def _unwanted(self, intent: OrderIntent, now_ms: int) -> str | None:
        """Why a leg that never landed should not be sent now, or None."""
        position = await Position.get(intent.position_id) if intent.position_id else None
        if intent.role == "entry":
            if position is not None and position.status not in ACTIVE:
                return f"the position is {position.status}"
            if intent.expires_at_ms is not None and intent.expires_at_ms <= now_ms:
                return "its entry time has run out"
            if intent.order_type == "market" and intent.history[0].at_ms < now_ms - self.market_entry_window_ms:
                return "a market entry this late would not be the call's price"
            return None
        if position is None or position.status != "open":
            return "the position is " + (position.status if position is not None else "gone")
        return None

    # -- strays ----------------------------------------------------------------------------------------------

    async def _strays(self, report: ReconcileReport) -> None:
        accounts = await ExchangeAccount.find({"mode": {"$in": [TradeMode.TESTNET.value, TradeMode.LIVE.value]}}
                                              ).to_list()
        for account in (a for a in accounts if a.api_key is not None):
            try:
                gateway = await self.sender.desk.gateways.for_account(ref(account))
                orders = await gateway.open_orders(ref(account))
            except Exception as exc:  # one account's venue never stops the others
                report.unreachable.append(f"account {account.label}: {exc}")
                _skipped.warning(f"account {ref(account)}", "reconcile: account %s skipped: %s", account.label, exc,
                                 exc_info=not isinstance(exc, _VENUE_ERRORS))
                continue
            ours = [o for o in orders if o.client_order_id.startswith(PREFIX)]
            if not ours:
                continue
            known = {i.client_order_id for i in await OrderIntent.find(
                {"client_order_id": {"$in": [o.client_order_id for o in ours]}}).to_list()}
            for order in ours:
                if order.client_order_id not in known:
                    await self._adopt(account, gateway, order)
                    report.adopted.append(f"{order.symbol} {order.client_order_id}")

    async def _adopt(self, account: ExchangeAccount, gateway: ExecutionGateway, order: OrderResult) -> None:
        now_ms = epoch_ms(self.clock())
        cause = "adopted: on the exchange with Signalcord's id prefix but no record here"
        assert order.side is not None  # noqa: S101 - open orders always carry their side
        intent = OrderIntent(
            client_order_id=order.client_order_id, signal_id=NO_SIGNAL, user_id=account.user_id,
            account_id=ref(account), leg="stray", role="stray", mode=account.mode, symbol=order.symbol,
            side=order.side, order_type=order.order_type or "limit", amount=order.amount, price=order.price,
            stop_price=order.stop_price, reduce_only=order.reduce_only, status=order.status,
            exchange_order_id=order.exchange_order_id, filled=order.filled, average_price=order.average_price,
            fee=order.fee, history=[Transition(status=order.status, at_ms=now_ms, cause=cause)],
            created_at=self.clock(), updated_at_ms=now_ms)
        await intent.insert()
        logger.warning("adopted stray order %s on %s (%s)", order.client_order_id, gateway.mode, account.label)
        await self._tell(intent, messages.stray_adopted(order.side.value, order.amount, order.symbol, order.price,
                                                        account.label))

    # -- positions -------------------------------------------------------------------------------------------

    async def _positions(self, report: ReconcileReport) -> None:
        live_ids = {i.position_id for i in await OrderIntent.live()}
        active = await Position.active()
        ids = {ref(p) for p in active} | {i for i in live_ids if i is not None}
        for position_id in sorted(ids):
            try:
                await self._position(position_id, report)
            except Exception as exc:  # one position's venue or record never stops the others
                report.unreachable.append(f"position {position_id}: {exc}")
                _skipped.warning(f"position {position_id}", "reconcile: position %s skipped: %s", position_id, exc,
                                 exc_info=not isinstance(exc, _VENUE_ERRORS))

    async def _position(self, position_id: str, report: ReconcileReport) -> None:
        """Fold its fills, square its protection with the venue, and report an open position left without a stop."""
        position = await Position.get(position_id)
        if position is None:
            return
        await self.sender.catch_up(position)
        await self.protection.sync(position)
        position = await Position.get(position_id) or position
        if position.status == "open" and position.stop_loss is not None and not \
                await live_legs(position, "sl"):
            report.unprotected.append(f"{position.symbol} {position_id}")
            user = await User.get(position.user_id)
            if user is not None:
                await self.notifier.notify(
                    user, NotificationKind.POSITION_UNPROTECTED,
                    messages.position_unprotected(position.symbol, position.stop_loss),
                    signal_id=position.signal_id, once_per=position_id)

    async def _tell(self, intent: OrderIntent, text: str) -> None:
        user = await User.get(intent.user_id)
        if user is not None:
            await self.notifier.notify(user, NotificationKind.ORDER_RECONCILED, text,
                                       signal_id=None if intent.signal_id == NO_SIGNAL else intent.signal_id,
                                       once_per=intent.client_order_id)
