"""Opening one subscriber's trade for a new signal: decide (conflicts, risk), record, execute, record."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from core.clock import Clock, epoch_ms, next_day_start
from core.domain import DecisionOutcome, NewSignal, OrderStatus, RejectedSignal, RiskProfile
from core.execution.legs import entry_legs
from core.market.rules import paper_rules
from core.risk.profiles import effective_profile
from core.services.accounts import AccountService
from core.services.deciding import Decider, SignalScope, Verdict
from core.services.execution import Executor
from core.services.notify import Notifier
from core.services.orders import Leg, OrderDesk
from core.services.positions import PositionCloser
from models import Decision, ExchangeAccount, OrderIntent, Position, Signal, Subscription, User
from models.refs import ref

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TradeOutcome:
    user_id: str
    outcome: DecisionOutcome
    rule: str
    reason: str


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


class Trader:
    def __init__(self, *, desk: OrderDesk, executor: Executor, decider: Decider, closer: PositionCloser,
                 notifier: Notifier, accounts: AccountService, clock: Clock) -> None:
        self.desk = desk
        self.executor = executor
        self.decider = decider
        self.closer = closer
        self.notifier = notifier
        self.accounts = accounts
        self.clock = clock

    async def open_for(self, scope: SignalScope, sub: Subscription) -> TradeOutcome:
        user = await User.get(sub.user_id)
        if user is None:
            return TradeOutcome(sub.user_id, DecisionOutcome.BLOCK, "user", "subscriber no longer exists")
        signal, parsed = scope.signal, scope.parsed
        decision = await Decision.find_one(Decision.signal_id == ref(signal), Decision.user_id == ref(user))
        account = await self.accounts.default_account(ref(user))
        if decision is None:
            verdict = await self.decider.decide(scope, user, account, sub)
            decision = await self._record_decision(signal, user, verdict)
            if verdict.daily_limit_hit:
                await self._pause_for_daily_loss(user, verdict.reason)
        closing = decision.details.get("close_position")
        if closing:  # a conflict said to close a position first (again on a resume: the exit leg is idempotent)
            await self.closer.close(str(closing), f"{parsed.side.value} call on {parsed.symbol}: {decision.rule}")
        if decision.outcome is DecisionOutcome.BLOCK:
            await self.notifier.notify(user, "trade_blocked", self._blocked_text(parsed, decision.reason),
                                       signal_id=ref(signal), payload={"rule": decision.rule})
            return TradeOutcome(ref(user), decision.outcome, decision.rule, decision.reason)
        assert account is not None  # noqa: S101 - a TRADE decision needs an account
        profile = effective_profile(user.settings.risk, sub.overrides)
        return await self._execute(signal, parsed, user, account, decision, profile)

    async def reject_for(self, signal: Signal, rejected: RejectedSignal, sub: Subscription) -> TradeOutcome:
        """A call that is not tradeable as written: recorded for the subscriber and told, never traded."""
        user = await User.get(sub.user_id)
        if user is None:
            return TradeOutcome(sub.user_id, DecisionOutcome.BLOCK, "user", "subscriber no longer exists")
        decision = await self._record_decision(signal, user, Verdict(False, "signal_invalid", rejected.reason))
        await self.notifier.notify(user, "signal_rejected", self._blocked_text(rejected.draft, rejected.reason),
                                   signal_id=ref(signal))
        return TradeOutcome(ref(user), decision.outcome, decision.rule, decision.reason)

    async def after_close(self, position: Position) -> None:
        """A position closed (a stop, a target, a provider's close): pause the user if today's loss reached
        the daily limit, so the counters follow fills, not only new signals."""
        user = await User.get(position.user_id)
        account = await ExchangeAccount.get(position.account_id)
        if user is None or account is None or self.decider.paused_reason(user):
            return
        reason = await self.decider.daily_limit_reason(user, account, position.profile)
        if reason:
            await self._pause_for_daily_loss(user, reason)

    async def _pause_for_daily_loss(self, user: User, reason: str) -> None:
        profile = user.settings.risk
        until = None
        if profile.daily_loss_resume == "next_day":
            until = epoch_ms(next_day_start(self.clock(), user.settings.timezone))
        await user.set({User.trading_paused: True, User.paused_reason: reason, User.paused_until_ms: until})
        when = "until midnight (" + user.settings.timezone + ")" if until else "until you resume it"
        await self.notifier.notify(user, "trading_paused", f"Trading paused {when}: {reason}.")

    async def _record_decision(self, signal: Signal, user: User, verdict: Verdict) -> Decision:
        outcome = DecisionOutcome.TRADE if verdict.trade else DecisionOutcome.BLOCK
        details = {**verdict.details, "close_position": verdict.close_position}
        decision = Decision(signal_id=ref(signal), user_id=ref(user), provider_id=signal.provider_id,
                            outcome=outcome, rule=verdict.rule, reason=verdict.reason, details=details,
                            created_at=self.clock())
        try:
            return await decision.insert()
        except DuplicateKeyError:  # a concurrent run decided first: follow its decision
            found = await Decision.find_one(Decision.signal_id == ref(signal), Decision.user_id == ref(user))
            assert found is not None  # noqa: S101
            return found

    async def _execute(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                       decision: Decision, profile: RiskProfile) -> TradeOutcome:
        position = await self._position(signal, parsed, user, account, decision, profile)
        rules = paper_rules(parsed.symbol)
        price = float(decision.details["price"])
        expires = epoch_ms(self.clock()) + int(profile.entry_expiry_h * 3_600_000)
        for planned in entry_legs(parsed.side, parsed.entry_type, parsed.entries, position.planned_amount, profile,
                                  rules):
            leg = Leg(signal_id=ref(signal), user_id=ref(user), leg=planned.name, symbol=parsed.symbol,
                      side=planned.side, amount=planned.amount, price=planned.price or price,
                      cause="sized from signal", order_type=planned.order_type, role="entry",
                      position_id=ref(position), leverage=position.leverage, margin_mode=profile.margin_mode,
                      expires_at_ms=None if planned.order_type == "market" else expires)
            intent = await self.desk.claim(leg, account)
            if intent.status is OrderStatus.PENDING:
                await self.executor.send(intent, position)
        if await self.executor.catch_up(position):  # a resumed run: fills recorded before a stop are folded in
            await self.executor.sync(position)
        position = await Position.get(ref(position)) or position
        intents = await OrderIntent.find(OrderIntent.position_id == ref(position), OrderIntent.role == "entry"
                                         ).to_list()
        refused = [i for i in intents if i.status is OrderStatus.REJECTED]
        if refused and len(refused) == len(intents):
            reason = f"order refused: {refused[0].error}"
            return TradeOutcome(ref(user), DecisionOutcome.BLOCK, "exchange", reason)
        if position.status == "open":
            await self.notifier.notify(user, "trade_opened", self._opened_text(parsed, position, account.mode),
                                       signal_id=ref(signal), payload={"position_id": ref(position)})
        elif position.status == "pending":
            resting = ", ".join(f"{i.amount:g} @ {i.price:g}" for i in intents if i.status is not OrderStatus.REJECTED)
            await self.notifier.notify(user, "entry_placed",
                                       f"Placed {parsed.side.value.upper()} {parsed.symbol} entries: {resting} "
                                       f"({account.mode}); they expire in {profile.entry_expiry_h:g} h.",
                                       signal_id=ref(signal), payload={"position_id": ref(position)})
        return TradeOutcome(ref(user), DecisionOutcome.TRADE, decision.rule, decision.reason)

    async def _position(self, signal: Signal, parsed: NewSignal, user: User, account: ExchangeAccount,
                        decision: Decision, profile: RiskProfile) -> Position:
        plan = decision.details.get("plan", {})
        position = Position(
            user_id=ref(user), account_id=ref(account), signal_id=ref(signal), provider_id=signal.provider_id,
            mode=account.mode, exchange=account.exchange, symbol=parsed.symbol, side=parsed.side,
            planned_amount=float(decision.details["amount"]), entry_price=float(decision.details["price"]),
            leverage=float(decision.details["leverage"]),
            stop_loss=plan.get("stop"), take_profits=list(plan.get("targets", [])),
            profile=profile.model_dump(mode="json"), opened_at=self.clock(), opened_at_ms=epoch_ms(self.clock()),
        )
        try:
            return await position.insert()
        except DuplicateKeyError:
            found = await Position.find_one(Position.user_id == ref(user), Position.signal_id == ref(signal))
            assert found is not None  # noqa: S101
            return found

    @staticmethod
    def _opened_text(parsed: NewSignal, position: Position, mode: str) -> str:
        stop = f", stop {position.stop_loss:g}" if position.stop_loss else ", no stop-loss given"
        return (f"Opened {parsed.side.value.upper()} {position.amount:g} {parsed.symbol} @ {position.entry_price:g} "
                f"({mode}, {position.leverage:g}x, margin {position.margin:,.2f}{stop}).")

    @staticmethod
    def _blocked_text(parsed: NewSignal, reason: str) -> str:
        return f"Did not trade {parsed.side.value.upper()} {parsed.symbol}: {_upper(reason)}."


