"""Opening one subscriber's trade for a new signal: decide (conflicts, risk), record, execute, record."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms, next_day_start
from core.domain import (
    DecisionOutcome,
    MarketRules,
    NewSignal,
    NotificationKind,
    OrderStatus,
    RejectedSignal,
    RiskProfile,
)
from core.execution.legs import entry_legs
from core.risk.profiles import effective_profile
from core.services.decide.deciding import Decider, Seat, SignalScope
from core.services.notify import messages
from core.services.notify.notifier import Note, Notifier
from core.services.orders.batch import BatchSender
from core.services.orders.desk import Leg, OrderDesk
from core.services.orders.protection import Protection
from core.services.trade.closing import PositionCloser
from models import Decision, ExchangeAccount, OrderIntent, Position, Signal, Subscription, User
from models.bulk import insert_new
from models.query import where
from models.refs import ref

logger = logging.getLogger(__name__)
PART = 250  # subscribers per part of a large fan-out (see Trader.open_all)


@dataclass(frozen=True)
class TradeOutcome:
    user_id: str
    outcome: DecisionOutcome
    rule: str
    reason: str


def _gone(sub: Subscription) -> TradeOutcome:
    return TradeOutcome(sub.user_id, DecisionOutcome.BLOCK, "user", "subscriber no longer exists")


class Trader:
    def __init__(self, *, desk: OrderDesk, protection: Protection, decider: Decider, closer: PositionCloser,
                 notifier: Notifier, clock: Clock) -> None:
        self.desk = desk
        self.protection = protection
        self.sender = protection.sender
        self.keeper = protection.keeper
        self.decider = decider
        self.closer = closer
        self.notifier = notifier
        self.clock = clock
        self.batch = BatchSender(protection)

    async def open_all(self, scope: SignalScope, subs: list[Subscription]) -> list[TradeOutcome]:
        """Every subscriber's trade on a new call. Large audiences go in parts of `PART` subscribers that run
        together, so one part's own work overlaps the database's work for another (a failing part cancels the
        others; what they stored is picked up like any interrupted run)."""
        if len(subs) <= PART:
            return await self._open_part(scope, subs)
        async with asyncio.TaskGroup() as group:
            parts = [group.create_task(self._open_part(scope, subs[n:n + PART])) for n in range(0, len(subs), PART)]
        return [outcome for part in parts for outcome in part.result()]

    async def _open_part(self, scope: SignalScope, subs: list[Subscription]) -> list[TradeOutcome]:
        """Subscribers' trades in bulk: decisions, positions, orders and messages are each written once for
        all. A subscriber with work stored earlier (a resumed run) or a position to close first goes step by
        step (`_proceed`), which picks up what exists."""
        signal = scope.signal
        seats = await self.decider.seats(subs)
        known = [s for s in seats if s.user is not None]
        decisions = await self.decider.decide_many(scope, known)
        decided, new = await self._record_decisions(signal, decisions)
        for seat, decision in zip(known, decisions, strict=True):
            limit_hit = decision.outcome is DecisionOutcome.BLOCK and decision.rule == "daily_loss"
            if limit_hit and seat.user is not None and ref(seat.user) in new:
                await self._pause_for_daily_loss(seat.user, decision.reason)
        outcomes: dict[int, TradeOutcome] = {}
        blocked: list[Note] = []
        trades: list[tuple[int, Seat, Decision]] = []
        for n, seat in enumerate(seats):
            if seat.user is None:
                outcomes[n] = _gone(seat.sub)
                continue
            uid = ref(seat.user)
            decision = decided[uid]
            if uid not in new or decision.details.close_position:  # decided before: a resumed run
                outcomes[n] = await self._proceed(scope, seat, decision)
            elif decision.outcome is DecisionOutcome.BLOCK:
                text = messages.not_traded(scope.parsed, decision.reason)
                blocked.append(Note(seat.user, NotificationKind.TRADE_BLOCKED, text, signal_id=ref(signal),
                                    payload={"rule": decision.rule}))
                outcomes[n] = TradeOutcome(uid, decision.outcome, decision.rule, decision.reason)
            else:
                trades.append((n, seat, decision))
        await self.notifier.notify_many(blocked)
        outcomes.update(await self._open_many(scope, trades))
        return [outcomes[n] for n in range(len(seats))]

    async def _proceed(self, scope: SignalScope, seat: Seat, decision: Decision) -> TradeOutcome:
        """One subscriber, step by step, from a stored decision (idempotent: every step finds what exists)."""
        user, account, parsed, signal = seat.user, seat.account, scope.parsed, scope.signal
        assert user is not None  # noqa: S101 - callers pass existing users
        closing = decision.details.close_position
        if closing:  # a conflict said to close a position first (again on a resume: the exit leg is idempotent)
            await self.closer.close(closing, f"{parsed.side.value} call on {parsed.symbol}: {decision.rule}")
        if decision.outcome is DecisionOutcome.BLOCK:
            await self.notifier.notify(user, NotificationKind.TRADE_BLOCKED,
                                       messages.not_traded(parsed, decision.reason), signal_id=ref(signal),
                                       payload={"rule": decision.rule})
            return TradeOutcome(ref(user), decision.outcome, decision.rule, decision.reason)
        assert account is not None  # noqa: S101 - a TRADE decision needs an account
        profile = effective_profile(user.settings.risk, seat.sub.overrides)
        return await self._execute(signal, parsed, user, account, decision, profile)

    async def reject_all(self, signal: Signal, rejected: RejectedSignal, subs: list[Subscription]
                         ) -> list[TradeOutcome]:
        """A call that is not tradeable as written: recorded for each subscriber and told, never traded."""
        seats = [s for s in await self.decider.seats(subs) if s.user is not None]
        decided, _ = await self._record_decisions(signal, [
            Decision(signal_id=ref(signal), user_id=s.sub.user_id, provider_id=signal.provider_id,
                     outcome=DecisionOutcome.BLOCK, rule="signal_invalid", reason=rejected.reason,
                     created_at=self.clock()) for s in seats])
        text = messages.not_traded(rejected.draft, rejected.reason)
        await self.notifier.notify_many([Note(s.user, NotificationKind.SIGNAL_REJECTED, text, signal_id=ref(signal))
                                         for s in seats if s.user is not None])
        return [TradeOutcome(s.user_id, d.outcome, d.rule, d.reason) if (d := decided.get(s.user_id)) else _gone(s)
                for s in subs]

    async def after_close(self, position: Position) -> None:
        """A position closed (a stop, a target, a provider's close): pause the user if today's loss reached
        the daily limit, so the counters follow fills, not only new signals."""
        user = await User.get(position.user_id)
        account = await ExchangeAccount.get(position.account_id)
        if user is None or account is None or self.decider.paused_reason(user):
            return
        reason = await self.decider.daily_limit_reason(user, account, position.profile, position.symbol.split("/")[-1])
        if reason:
            await self._pause_for_daily_loss(user, reason)

    async def _pause_for_daily_loss(self, user: User, reason: str) -> None:
        profile = user.settings.risk
        until = None
        if profile.daily_loss_resume == "next_day":
            until = epoch_ms(next_day_start(self.clock(), user.settings.timezone))
        await user.set({User.trading_paused: True, User.paused_reason: reason, User.paused_until_ms: until})
        when = "until midnight (" + user.settings.timezone + ")" if until else "until you resume it"
        await self.notifier.notify(user, NotificationKind.TRADING_PAUSED, messages.trading_paused(when, reason))

    async def _record_decisions(self, signal: Signal, docs: list[Decision]
                                ) -> tuple[dict[str, Decision], set[str]]:
        """Store the decisions (one insert): each user's decision, and the users whose decision is new here (one
        decided before, by an earlier or concurrent run, keeps that decision)."""
        stored = await insert_new(Decision, docs, "user_id")
        decided = {d.user_id: d for d in docs if d.user_id in stored}
        if len(stored) < len(docs):
            decided |= {d.user_id: d for d in await Decision.find(where(
                {"signal_id": ref(signal), "user_id": {"$in": [d.user_id for d in docs if d.user_id not in stored]}})
            ).to_list()}
        return decided, stored

    async def _open_many(self, scope: SignalScope, trades: list[tuple[int, Seat, Decision]]
                         ) -> dict[int, TradeOutcome]:
        """New positions for TRADE decisions, stored in one insert, their entries sent as one batch."""
        signal, parsed = scope.signal, scope.parsed
        plans = []
        for n, seat, decision in trades:
            assert seat.user is not None and seat.account is not None  # noqa: S101 - a TRADE decision has both
            profile = effective_profile(seat.user.settings.risk, seat.sub.overrides)
            plans.append((n, seat, decision, profile, self._position_doc(signal, parsed, seat.user, seat.account,
                                                                         decision, profile)))
        stored = await insert_new(Position, [p for *_, p in plans], "user_id")
        outcomes: dict[int, TradeOutcome] = {}
        legs: list[tuple[Leg, ExchangeAccount, Position]] = []
        for n, seat, decision, profile, position in plans:
            assert seat.user is not None and seat.account is not None  # noqa: S101
            if position.user_id in stored:
                rules = await self.decider.rules(seat.account, parsed.symbol)
                legs += [(leg, seat.account, position) for leg in self._entries(parsed, position, profile, rules)]
            else:  # stored by a concurrent run: continue from it
                outcomes[n] = await self._execute(signal, parsed, seat.user, seat.account, decision, profile)
        touched = await self.batch.send(legs)
        notes: list[Note] = []
        for n, seat, decision, profile, position in plans:
            if position.user_id not in stored:
                continue
            assert seat.user is not None and seat.account is not None  # noqa: S101
            entries = [(leg.amount, leg.price) for leg, _, p in legs if p is position]
            refused = None
            if ref(position) in touched:  # moved step by step: read what it did
                position = await Position.get(ref(position)) or position
                refused = await self._refused(position)
            outcomes[n], note = self._report(parsed, seat.user, seat.account, decision, profile, position, entries,
                                             refused)
            notes += [note] if note else []
        await self.notifier.notify_many(notes)
        return outcomes

    async def _execute(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                       decision: Decision, profile: RiskProfile) -> TradeOutcome:
        """One subscriber step by step: every step finds what an earlier run stored (a resume)."""
        position = await self._position(signal, parsed, user, account, decision, profile)
        for leg in self._entries(parsed, position, profile, await self.decider.rules(account, parsed.symbol)):
            intent = await self.desk.claim(leg, account)
            if intent.status is OrderStatus.PENDING:
                await self.sender.send(intent, position)
        if await self.sender.catch_up(position):  # a resumed run: fills recorded before a stop are folded in
            await self.protection.sync(position)
        position = await Position.get(ref(position)) or position
        intents = await OrderIntent.find(where(OrderIntent.position_id == ref(position), OrderIntent.role == "entry")
                                         ).to_list()
        live = [(i.amount, i.price) for i in intents if i.status is not OrderStatus.REJECTED]
        outcome, note = self._report(parsed, user, account, decision, profile, position, live,
                                     await self._refused(position))
        if note:
            await self.notifier.notify(note.user, note.kind, note.text, signal_id=note.signal_id, payload=note.payload)
        return outcome

    async def _refused(self, position: Position) -> str | None:
        """Why the position's entries were all refused (None if any was not)."""
        intents = await OrderIntent.find(where(OrderIntent.position_id == ref(position), OrderIntent.role == "entry")
                                         ).to_list()
        refused = [i for i in intents if i.status is OrderStatus.REJECTED]
        return f"order refused: {refused[0].error}" if refused and len(refused) == len(intents) else None

    def _report(self, parsed: NewSignal, user: User, account: ExchangeAccount, decision: Decision,
                profile: RiskProfile, position: Position, entries: list[tuple[float, float | None]],
                refused: str | None) -> tuple[TradeOutcome, Note | None]:
        """The trade's outcome and what the user is told: opened, entries resting, or refused."""
        if refused:
            return TradeOutcome(ref(user), DecisionOutcome.BLOCK, "exchange", refused), None
        outcome = TradeOutcome(ref(user), DecisionOutcome.TRADE, decision.rule, decision.reason)
        payload = {"position_id": ref(position)}
        if position.status == "open":
            text = messages.trade_opened(parsed, position.amount, position.entry_price, account.mode,
                                         position.leverage, position.margin, position.stop_loss)
            return outcome, Note(user, NotificationKind.TRADE_OPENED, text, signal_id=position.signal_id,
                                 payload=payload)
        if position.status == "pending":
            resting = [(amount, price) for amount, price in entries if price is not None]
            text = messages.entries_placed(parsed, resting, account.mode, profile.entry_expiry_h)
            return outcome, Note(user, NotificationKind.ENTRY_PLACED, text, signal_id=position.signal_id,
                                 payload=payload)
        return outcome, None

    def _entries(self, parsed: NewSignal, position: Position, profile: RiskProfile, rules: MarketRules) -> list[Leg]:
        price = position.entry_price  # the price the decision sized at
        expires = epoch_ms(self.clock()) + int(profile.entry_expiry_h * 3_600_000)
        return [Leg(signal_id=position.signal_id, user_id=position.user_id, leg=planned.name, symbol=parsed.symbol,
                    side=planned.side, amount=planned.amount, price=planned.price or price, cause="sized from signal",
                    order_type=planned.order_type, role="entry", position_id=ref(position),
                    leverage=position.leverage, margin_mode=profile.margin_mode,
                    expires_at_ms=None if planned.order_type == "market" else expires)
                for planned in entry_legs(parsed.side, parsed.entry_type, parsed.entries, position.planned_amount,
                                          profile, rules)]

    def _position_doc(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                      decision: Decision, profile: RiskProfile) -> Position:
        details = decision.details
        amount, price = details.size()
        plan = details.plan
        return Position(
            user_id=ref(user), account_id=ref(account), signal_id=ref(signal), provider_id=signal.provider_id,
            mode=account.mode, exchange=account.exchange, symbol=parsed.symbol, side=parsed.side,
            planned_amount=amount, entry_price=price, leverage=details.leverage,
            stop_loss=plan.stop if plan else None, take_profits=list(plan.targets) if plan else [],
            profile=profile.model_dump(mode="json"), opened_at=self.clock(), opened_at_ms=epoch_ms(self.clock()),
        )

    async def _position(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                        decision: Decision, profile: RiskProfile) -> Position:
        position = self._position_doc(signal, parsed, user, account, decision, profile)
        try:
            return await position.insert()
        except DuplicateKeyError:
            found = await Position.find_one(where(Position.user_id == ref(user), Position.signal_id == ref(signal)))
            assert found is not None  # noqa: S101
            return found



